/** Run the real program (`node --import tsx main.ts ...`) as a child process, as a user would. */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"

export const projectRoot = fileURLToPath(new URL("../..", import.meta.url))
const mainTs = `${projectRoot}main.ts`
const tsxLoader = new URL("../../node_modules/tsx/dist/loader.mjs", import.meta.url).href

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface CliOptions {
  readonly cwd?: string
  readonly env?: Readonly<Record<string, string>>
  readonly timeoutMs?: number
}

/**
 * The environment a child gets: ours minus anything VERITY_* (so the host cannot leak into a test), plus `env`.
 * Children run without the self-imposed heap limits' re-launch (a second node start per child, about a
 * second of CPU each, across a few hundred children); test/app/HeapLimits.test.ts launches the program as
 * the README does, and a test may ask for it with `VERITY_MAX_OLD_SPACE_MB: ""`.
 */
const childEnv = (env: Readonly<Record<string, string>> = {}) => {
  const base: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("VERITY_")) base[k] = v
  return { ...base, NO_COLOR: "1", VERITY_MAX_OLD_SPACE_MB: "0", ...env }
}

export const spawnCli = (args: ReadonlyArray<string>, options: CliOptions = {}): ChildProcess =>
  spawn(process.execPath, ["--import", tsxLoader, mainTs, ...args], {
    cwd: options.cwd ?? projectRoot,
    env: childEnv(options.env),
    stdio: ["ignore", "pipe", "pipe"]
  })

/** Wait for a spawned child to exit, collecting its output. */
export const collect = (child: ChildProcess, timeoutMs = 60_000) =>
  Effect.async<CliResult>((resume) => {
    let stdout = ""
    let stderr = ""
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    child.on("exit", (code, signal) => {
      clearTimeout(timer)
      // let the pipes drain
      setImmediate(() => resume(Effect.succeed({ code, signal, stdout, stderr })))
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  })

export const runCli = (args: ReadonlyArray<string>, options: CliOptions = {}) =>
  Effect.suspend(() => collect(spawnCli(args, options), options.timeoutMs))
