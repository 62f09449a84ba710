/**
 * Run the real program as a child process, as a user would; or, for the many cases that only check what
 * the program says and its exit code, the same program in this process.
 *
 * A child runs the compiled copy of main.ts and src/ (test/support/ProgramBuild.ts, vitest's globalSetup):
 * plain node starts it in about a third of the CPU `node --import tsx main.ts` takes. A child that asks
 * for the README's launch (`readme`, or the heap limits' re-launch with `VERITY_MAX_OLD_SPACE_MB: ""`) runs
 * `node --import tsx main.ts` itself, as do the children of a run without that globalSetup.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { Console as NodeConsole } from "node:console"
import { Writable } from "node:stream"
import { fileURLToPath } from "node:url"
import { ConfigProvider, Console, Effect } from "effect"
import { inject } from "vitest"

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
  /** launch as the README says, `node --import tsx main.ts`, rather than the compiled copy */
  readonly readme?: boolean
  /** main.js of another compiled copy (test/support/ProgramBuild.ts compileProgram), e.g. a clone's */
  readonly compiled?: string
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

/** node's arguments before the program's own: the compiled copy, or tsx and main.ts as the README has them. */
const programArgs = (options: CliOptions): ReadonlyArray<string> => {
  const compiled = options.compiled ?? inject("verityProgram")
  const readme = options.readme ?? options.env?.["VERITY_MAX_OLD_SPACE_MB"] === ""
  return readme || compiled === undefined ? ["--import", tsxLoader, mainTs] : [compiled]
}

export const spawnCli = (args: ReadonlyArray<string>, options: CliOptions = {}): ChildProcess =>
  spawn(process.execPath, [...programArgs(options), ...args], {
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

/** An Effect Console over a Node console (here one writing into strings), as the default one is over `globalThis.console`. */
const consoleOver = (unsafe: globalThis.Console): Console.Console => ({
  [Console.TypeId]: Console.TypeId,
  assert: (condition, ...args) => Effect.sync(() => unsafe.assert(condition, ...args)),
  clear: Effect.sync(() => unsafe.clear()),
  count: (label) => Effect.sync(() => unsafe.count(label)),
  countReset: (label) => Effect.sync(() => unsafe.countReset(label)),
  debug: (...args) => Effect.sync(() => unsafe.debug(...args)),
  dir: (item, options) => Effect.sync(() => unsafe.dir(item, options)),
  dirxml: (...args) => Effect.sync(() => unsafe.dirxml(...args)),
  error: (...args) => Effect.sync(() => unsafe.error(...args)),
  group: (options) => Effect.sync(() => (options?.collapsed ? unsafe.groupCollapsed(options.label) : unsafe.group(options?.label))),
  groupEnd: Effect.sync(() => unsafe.groupEnd()),
  info: (...args) => Effect.sync(() => unsafe.info(...args)),
  log: (...args) => Effect.sync(() => unsafe.log(...args)),
  table: (data, properties) => Effect.sync(() => unsafe.table(data, properties)),
  time: (label) => Effect.sync(() => unsafe.time(label)),
  timeEnd: (label) => Effect.sync(() => unsafe.timeEnd(label)),
  timeLog: (label, ...args) => Effect.sync(() => unsafe.timeLog(label, ...args)),
  trace: (...args) => Effect.sync(() => unsafe.trace(...args)),
  warn: (...args) => Effect.sync(() => unsafe.warn(...args)),
  unsafe
})

const into = (append: (text: string) => void) =>
  new Writable({
    write(chunk, _encoding, done) {
      append(String(chunk))
      done()
    }
  })

/** In-process runs change the working directory while they run (a config's relative paths, the default data dir): one at a time. */
const inProcessTurn = Effect.unsafeMakeSemaphore(1)

const inDirectory = (cwd: string | undefined) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  cwd === undefined ? self : Effect.acquireUseRelease(
    Effect.sync(() => {
      const before = process.cwd()
      process.chdir(cwd)
      return before
    }),
    () => self,
    (before) => Effect.sync(() => process.chdir(before))
  )

/**
 * Run the program main.ts runs (src/cli/Outcome.ts), in this process: what it writes through the Console
 * (the command's output, @effect/cli's usage text, the log lines) lands in `stdout` and `stderr` as in a
 * child's, `env` is the only environment its Config reads (a child gets ours minus VERITY_*: the same for
 * the program), `cwd` is the working directory while it runs, and `code` is the exit code main.ts would give.
 * Much cheaper than a child (each pays node, tsx and the module graph: seconds of CPU); keep a few real
 * children per suite to prove the wiring (main.ts, the heap limits' re-launch, signals, exit codes).
 */
export const runInProcess = (args: ReadonlyArray<string>, options: CliOptions = {}): Effect.Effect<CliResult> =>
  Effect.gen(function*() {
    const [{ exitCodeOf, program }, { platform }] = yield* Effect.promise(() =>
      Promise.all([import("../../src/cli/Outcome.js"), import("../../src/app/Layers.js")])
    )
    let stdout = ""
    let stderr = ""
    const unsafe = new NodeConsole({ stdout: into((t) => (stdout += t)), stderr: into((t) => (stderr += t)), colorMode: false })
    const exit = yield* program([process.execPath, mainTs, ...args]).pipe(
      Effect.provide(platform),
      Effect.withConsole(consoleOver(unsafe)),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(options.env ?? {})))),
      Effect.exit,
      inDirectory(options.cwd),
      inProcessTurn.withPermits(1)
    )
    return { code: exitCodeOf(exit), signal: null, stdout, stderr }
  })
