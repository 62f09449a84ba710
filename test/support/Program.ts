/**
 * Shared helpers for the reliability suites: write a config file, run the real program as a child
 * process (and kill it), sample the stored checkpoint row, and compare positions.
 */
import type { ChildProcess } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Cause, Context, Deferred, Duration, Effect, Fiber, Layer, type Scope } from "effect"
import type { CliOptions, CliResult } from "./Cli.js"
import { spawnCli } from "./Cli.js"
import type { TestDatabase } from "../../src/testkit/Postgres.js"

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `verity-${prefix}-`))

export const writeConfig = (dir: string, name: string, config: unknown): string => {
  const path = join(dir, name)
  writeFileSync(path, JSON.stringify(config, null, 2))
  return path
}

/** A running program: its output so far, and its exit once it comes. */
export interface RunningProgram {
  readonly child: ChildProcess
  readonly pid: number
  readonly output: () => { readonly stdout: string; readonly stderr: string }
  readonly exited: Effect.Effect<CliResult>
  readonly isRunning: () => boolean
  readonly kill: (signal: NodeJS.Signals) => Effect.Effect<CliResult>
}

/**
 * Start the program with `<args>` (test/support/Cli.ts spawnCli: the compiled copy, or `node --import tsx
 * main.ts` when `readme`) for the scope's life (a child still running when the scope closes is SIGKILLed).
 */
export const startProgram = (
  args: ReadonlyArray<string>,
  options: Pick<CliOptions, "cwd" | "env" | "readme"> = {}
): Effect.Effect<RunningProgram, never, Scope.Scope> =>
  Effect.gen(function*() {
    const done = yield* Deferred.make<CliResult>()
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => spawnCli(args, options)),
      (c) => Effect.sync(() => {
        if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL")
      })
    )
    let stdout = ""
    let stderr = ""
    let running = true
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("exit", (code, signal) => {
      running = false
      // let the pipes drain
      setImmediate(() => Deferred.unsafeDone(done, Effect.succeed({ code, signal, stdout, stderr })))
    })
    const exited = Deferred.await(done)
    return {
      child,
      pid: child.pid ?? -1,
      output: () => ({ stdout, stderr }),
      exited,
      isRunning: () => running,
      kill: (signal) =>
        Effect.suspend(() => {
          if (running) child.kill(signal)
          return exited
        })
    }
  })

/** Wait for the program to exit, failing the test (with its output) if it takes longer than `timeout`. */
export const awaitExit = (program: RunningProgram, timeout: Duration.DurationInput) =>
  program.exited.pipe(
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () => {
        const { stderr, stdout } = program.output()
        return new Error(
          `the program did not exit within ${Duration.format(Duration.decode(timeout))}\n--- stdout\n${stdout.slice(-2000)}\n--- stderr\n${stderr.slice(-4000)}`
        )
      }
    }),
    Effect.orDie
  )

// the checkpoint row

/** A stored checkpoint as the database holds it. */
export interface CheckpointSample {
  /** epoch ms when it was read */
  readonly at: number
  /** undefined: no row yet */
  readonly ts: number | undefined
  readonly idsAtTs: ReadonlyArray<string>
  readonly count: number
  readonly raw: unknown
}

interface Row {
  readonly checkpoint: unknown
}

const parse = (raw: unknown): Record<string, unknown> => {
  const value = typeof raw === "string" ? JSON.parse(raw) as unknown : raw
  if (typeof value !== "object" || value === null) throw new Error(`the checkpoint row is not a JSON object: ${String(raw)}`)
  return value as Record<string, unknown>
}

/** Reads the checkpoint row with a plain SQL client, the way an operator would (not through the program's store). */
export type CheckpointReader = (connectorId: string, stream?: "audit" | "permissions") => Effect.Effect<CheckpointSample>

/** A reader on its own small pool, for the scope's life (a connection per read would load the machine). */
export const checkpointReader = (db: TestDatabase): Effect.Effect<CheckpointReader, never, Scope.Scope> =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      PgClient.layer({ url: db.dsn, maxConnections: 2, connectTimeout: "3 seconds" }).pipe(Layer.orDie)
    )
    const sql = Context.get(context, SqlClient.SqlClient)
    return (connectorId, stream = "audit") =>
      Effect.gen(function*() {
        // the table appears when the program first migrates
        const exists = yield* sql<{ readonly t: string | null }>`SELECT to_regclass('public.connector_checkpoints')::text AS t`
        const at = Date.now()
        if (exists[0]?.t == null) return { at, ts: undefined, idsAtTs: [], count: 0, raw: undefined } satisfies CheckpointSample
        const rows = yield* sql<Row>`SELECT checkpoint FROM connector_checkpoints WHERE connector_id = ${connectorId} AND stream = ${stream}`
        const row = rows[0]
        if (row === undefined) return { at, ts: undefined, idsAtTs: [], count: 0, raw: undefined } satisfies CheckpointSample
        const cp = parse(row.checkpoint)
        const ts = cp["ts"]
        const ids = cp["ids_at_ts"]
        const count = cp["count"]
        if (cp["v"] !== 1 || (ts !== undefined && typeof ts !== "number") || (ids !== undefined && !Array.isArray(ids))) {
          return yield* Effect.dieMessage(`corrupt checkpoint row: ${JSON.stringify(cp)}`)
        }
        return {
          at,
          ts: typeof ts === "number" ? ts : undefined,
          idsAtTs: Array.isArray(ids) ? ids.map(String) : [],
          count: typeof count === "number" ? count : 0,
          raw: cp
        } satisfies CheckpointSample
      }).pipe(Effect.orDie)
  })

/** -1, 0, 1: position order (timestamp, then how many ids at that timestamp); no row is the very start. */
export const comparePositions = (a: CheckpointSample, b: CheckpointSample): number => {
  const ta = a.ts ?? -1
  const tb = b.ts ?? -1
  if (ta !== tb) return ta < tb ? -1 : 1
  return Math.sign(a.idsAtTs.length - b.idsAtTs.length)
}

/** Pairs of consecutive samples where the checkpoint moved backwards (or lost its row). */
export const backwardSteps = (samples: ReadonlyArray<CheckpointSample>) => {
  const out: Array<{ readonly before: CheckpointSample; readonly after: CheckpointSample }> = []
  for (let i = 1; i < samples.length; i++) {
    const before = samples[i - 1]!
    const after = samples[i]!
    if (comparePositions(after, before) < 0) out.push({ before, after })
  }
  return out
}

export const describeSample = (s: CheckpointSample) =>
  s.ts === undefined ? "(no row)" : `${new Date(s.ts).toISOString()} +${s.idsAtTs.length} id(s) count=${s.count}`

/**
 * Sample the row every `every` until the scope closes (or `stop` runs). The reader talks to PostgreSQL
 * directly (never through a proxy a test cuts), so a read that fails or finds a corrupt row is recorded
 * in `errors` for the test to assert on, not skipped.
 */
export const sampleCheckpoints = (
  read: CheckpointReader,
  connectorId: string,
  every: Duration.DurationInput,
  into: Array<CheckpointSample> = []
) =>
  Effect.gen(function*() {
    const errors: Array<string> = []
    const loop = read(connectorId).pipe(
      Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("checkpoint read timed out") }),
      Effect.sandbox,
      Effect.match({
        onFailure: (cause) => void errors.push(Cause.pretty(cause).split("\n")[0] ?? "read failed"),
        onSuccess: (sample) => void into.push(sample)
      }),
      Effect.zipRight(Effect.sleep(every)),
      Effect.forever
    )
    const fiber = yield* Effect.forkScoped(loop)
    return { samples: into, errors, stop: Fiber.interrupt(fiber) }
  })

/** Poll `check` every `every` until it holds; dies with `what` after `timeout`. */
export const waitUntil = <E, R>(
  what: string,
  check: Effect.Effect<boolean, E, R>,
  timeout: Duration.DurationInput,
  every: Duration.DurationInput = "50 millis"
) =>
  Effect.gen(function*() {
    while (!(yield* check)) yield* Effect.sleep(every)
  }).pipe(
    Effect.timeoutFail({ duration: timeout, onTimeout: () => new Error(`timed out waiting until ${what}`) }),
    Effect.orDie
  )

/** Every (key, value) line of a wire topic, parsed. */
export const parseValue = (value: string): Record<string, unknown> => {
  const parsed: unknown = JSON.parse(value)
  if (typeof parsed !== "object" || parsed === null) throw new Error(`not a JSON object on the wire: ${value.slice(0, 200)}`)
  return parsed as Record<string, unknown>
}

/** Duplicates of a list of ids: id -> how many times beyond the first it occurs. */
export const duplicatesOf = (ids: ReadonlyArray<string>) => {
  const seen = new Map<string, number>()
  for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1)
  return new Map(Array.from(seen).filter(([, n]) => n > 1).map(([id, n]) => [id, n - 1]))
}
