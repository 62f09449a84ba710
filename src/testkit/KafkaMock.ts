/**
 * librdkafka's mock cluster (Debian package `kcat`), started per test suite and stopped afterwards.
 * `kcat -X test.mock.num.brokers=3 -d mock ...` prints `bootstrap.servers=...` on stderr and serves the
 * Kafka protocol while it lives. `freeze()`/`thaw()` stop and continue the process (SIGSTOP/SIGCONT): a
 * whole-cluster outage.
 *
 * When kcat is missing: installed with apt-get when we are root on Debian, otherwise the suite fails with
 * one line saying how to install it. It never silently skips.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { Effect, Schedule } from "effect"

export interface KafkaMock {
  readonly brokers: ReadonlyArray<string>
  readonly bootstrap: string
  readonly freeze: Effect.Effect<void>
  readonly thaw: Effect.Effect<void>
}

const hasKcat = (): boolean => {
  try {
    execFileSync("sh", ["-c", "command -v kcat"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

export const ensureKcat = Effect.sync(() => {
  if (hasKcat()) return
  const root = typeof process.getuid === "function" && process.getuid() === 0
  if (root && existsSync("/etc/debian_version")) {
    execFileSync("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat"], {
      stdio: "ignore"
    })
    if (hasKcat()) return
  }
  throw new Error("kcat (librdkafka's mock Kafka cluster) is missing: install it with 'sudo apt-get install -y kcat'")
})

const start = Effect.async<{ child: ChildProcess; bootstrap: string }, Error>((resume) => {
  const child = spawn("kcat", ["-X", "test.mock.num.brokers=3", "-d", "mock", "-b", "ignored", "-C", "-t", "_boot", "-o", "end"], {
    stdio: ["ignore", "ignore", "pipe"]
  })
  let stderr = ""
  let done = false
  const timer = setTimeout(() => {
    if (done) return
    done = true
    child.kill("SIGKILL")
    resume(Effect.fail(new Error(`kcat mock cluster printed no bootstrap.servers within 15 s: ${stderr.slice(-500)}`)))
  }, 15_000)
  child.stderr?.setEncoding("utf8")
  child.stderr?.on("data", (chunk: string) => {
    stderr += chunk
    const match = /bootstrap\.servers=([0-9.:,]+)/.exec(stderr)
    if (match && match[1] && !done) {
      done = true
      clearTimeout(timer)
      // keep draining stderr so the child never blocks on a full pipe
      stderr = ""
      resume(Effect.succeed({ child, bootstrap: match[1] }))
    } else if (done) {
      stderr = ""
    }
  })
  child.on("exit", (code) => {
    if (done) return
    done = true
    clearTimeout(timer)
    resume(Effect.fail(new Error(`kcat mock cluster exited (${code}) before it was ready: ${stderr.slice(-500)}`)))
  })
})

const readIfThere = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8")
  } catch {
    return undefined // the thread has exited
  }
}

/**
 * SIGSTOP lands asynchronously: until every thread of the mock has stopped, a broker thread could still
 * answer a request sent just after the freeze. Where /proc is readable, wait for each thread's state "T".
 */
const untilStopped = (pid: number | undefined) =>
  Effect.sync(() => {
    if (pid === undefined || !existsSync(`/proc/${pid}/task`)) return true
    return readdirSync(`/proc/${pid}/task`).every((tid) => {
      const stat = readIfThere(`/proc/${pid}/task/${tid}/stat`)
      return stat === undefined || /^[Tt]/.test(stat.slice(stat.lastIndexOf(")") + 2))
    })
  }).pipe(
    Effect.repeat({ until: (stopped) => stopped, schedule: Schedule.spaced("1 millis").pipe(Schedule.upTo("2 seconds")) }),
    Effect.asVoid
  )

/** Start a mock cluster for the scope's life. */
export const startKafkaMock = Effect.gen(function*() {
  yield* ensureKcat
  const { bootstrap, child } = yield* Effect.acquireRelease(start, ({ child }) =>
    Effect.sync(() => {
      child.kill("SIGCONT")
      child.kill("SIGKILL")
    }))
  return {
    bootstrap,
    brokers: bootstrap.split(","),
    freeze: Effect.sync(() => void child.kill("SIGSTOP")).pipe(Effect.zipRight(untilStopped(child.pid))),
    thaw: Effect.sync(() => void child.kill("SIGCONT"))
  } satisfies KafkaMock
}).pipe(Effect.orDie)
