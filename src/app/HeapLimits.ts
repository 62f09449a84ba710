/**
 * The heap limits a long-running `run` or `demo` sets for itself, so that peak RSS follows the working
 * set (a few batches and the dedup keys, about 60 MB) instead of V8's default growth (470 MB at a million
 * events; issue 15).
 *
 * V8 reads its heap limits only at start-up, so the program re-launches itself once, as a child with
 * `--max-old-space-size` and `--max-semi-space-size`, when they are not set already:
 * - `VERITY_MAX_OLD_SPACE_MB` (default 128) and `VERITY_MAX_SEMI_SPACE_MB` (default 2: at 250k events it
 *   took the process's peak from 175 to 162 MB, so that with the idle launcher, about 80 MB, the two stay
 *   under 250 MB) choose them;
 *   `VERITY_MAX_OLD_SPACE_MB=0` keeps V8's defaults (no re-launch);
 * - limits the user set (in `NODE_OPTIONS` or node's own flags) are respected: no re-launch;
 * - the launcher forwards SIGINT/SIGTERM/SIGHUP, exits with the child's code (or its signal), and a
 *   child whose launcher dies (SIGKILL) dies at once too, as the one process it replaces would have.
 *
 * Node built-ins only: this runs before anything else is loaded, so the launcher stays small.
 */
import { spawn } from "node:child_process"

export const defaultMaxOldSpaceMb = 128
export const defaultMaxSemiSpaceMb = 2

const positiveMb = (raw: string | undefined, fallback: number): number => {
  if (raw === undefined || raw.trim() === "") return fallback
  const n = Number(raw)
  return Number.isInteger(n) && n >= 0 ? n : fallback
}

/** The node flags the program sets for itself, or none when the user chose (or turned them off). */
export const heapFlags = (execArgv: ReadonlyArray<string>, env: NodeJS.ProcessEnv): ReadonlyArray<string> => {
  const userSet = [...execArgv, ...(env["NODE_OPTIONS"] ?? "").split(/\s+/)].some((a) => /^--max-old-space-size(=|$)/.test(a))
  const oldSpace = positiveMb(env["VERITY_MAX_OLD_SPACE_MB"], defaultMaxOldSpaceMb)
  if (userSet || oldSpace === 0) return []
  return [`--max-old-space-size=${oldSpace}`, `--max-semi-space-size=${positiveMb(env["VERITY_MAX_SEMI_SPACE_MB"], defaultMaxSemiSpaceMb)}`]
}

/** What this process runs with, for the start-up log line. */
export const describeHeapLimits = (execArgv: ReadonlyArray<string>, env: NodeJS.ProcessEnv): string => {
  const flags = [...execArgv, ...(env["NODE_OPTIONS"] ?? "").split(/\s+/)].filter((a) => /^--max-(old|semi)-space-size=/.test(a))
  if (flags.length === 0) return "V8's defaults (VERITY_MAX_OLD_SPACE_MB=0)"
  const source = env["VERITY_HEAP_LIMITS_SET_BY"] === "verity" ? "set by verity; VERITY_MAX_OLD_SPACE_MB / VERITY_MAX_SEMI_SPACE_MB change them" : "set by the user"
  return `${flags.join(" ")} (${source})`
}

const forwarded: ReadonlyArray<NodeJS.Signals> = ["SIGINT", "SIGTERM", "SIGHUP"]

/**
 * Re-launch this program as a child with the heap limits, when they are missing. Returns `true` when a
 * child now does the work (this process only waits for it), `false` when this process should run.
 */
export const relaunchWithHeapLimits = (): boolean => {
  const flags = heapFlags(process.execArgv, process.env)
  if (flags.length === 0) {
    // the launched child: die with the launcher, as the one process it stands in for would have
    if (process.env["VERITY_HEAP_LIMITS_SET_BY"] === "verity" && process.channel !== undefined) {
      process.on("disconnect", () => process.kill(process.pid, "SIGKILL"))
      process.channel.unref()
    }
    return false
  }
  const child = spawn(process.execPath, [...process.execArgv, ...flags, ...process.argv.slice(1)], {
    stdio: ["inherit", "inherit", "inherit", "ipc"],
    env: { ...process.env, VERITY_HEAP_LIMITS_SET_BY: "verity" }
  })
  for (const signal of forwarded) process.on(signal, () => child.kill(signal))
  child.on("exit", (code, signal) => {
    if (signal !== null) {
      for (const s of forwarded) process.removeAllListeners(s)
      process.kill(process.pid, signal)
    } else {
      process.exit(code ?? 1)
    }
  })
  return true
}
