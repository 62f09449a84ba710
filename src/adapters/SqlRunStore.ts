/**
 * `RunStore` on SQL (PostgreSQL, or the embedded PGlite): table `connector_runs`, one row per stream run,
 * inserted when it starts and updated when it ends.
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Layer, Option, Schema } from "effect"
import { CheckpointStream } from "../domain/Checkpoint.js"
import { CheckpointError } from "../domain/Errors.js"
import { RunOutcome, RunRecord } from "../domain/Run.js"
import { RunStore } from "../services/RunStore.js"
import { migrateStateStores } from "./SqlMigrations.js"

interface Row {
  readonly run_id: string
  readonly connector_id: string
  readonly platform: string
  readonly stream: string
  readonly runner: string
  readonly started_at: Date | string
  readonly finished_at: Date | string | null
  readonly outcome: string
  readonly published: number | string
  readonly dead_lettered: number | string
  readonly duplicates: number | string
  readonly error: string | null
}

const queryError = (what: string) => (cause: SqlError) =>
  new CheckpointError({ reason: "query", message: `run store: ${what} failed: ${cause.message}`, cause })

const asDate = (d: Date | string) => (d instanceof Date ? d : new Date(d))
const isStream = Schema.is(CheckpointStream)
const isOutcome = Schema.is(RunOutcome)

const toRecord = (row: Row): RunRecord =>
  new RunRecord({
    runId: row.run_id,
    connectorId: row.connector_id,
    platform: row.platform,
    stream: isStream(row.stream) ? row.stream : "audit",
    runner: row.runner,
    startedAt: asDate(row.started_at),
    finishedAt: row.finished_at === null ? Option.none() : Option.some(asDate(row.finished_at)),
    outcome: isOutcome(row.outcome) ? row.outcome : "failed",
    published: Number(row.published),
    deadLettered: Number(row.dead_lettered),
    duplicates: Number(row.duplicates),
    error: Option.fromNullable(row.error)
  })

export const makeSqlRunStore = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* migrateStateStores("run store")
  return RunStore.of({
    start: (run, runner) =>
      sql<Row>`INSERT INTO connector_runs (run_id, connector_id, platform, stream, runner, started_at, outcome)
               VALUES (${crypto.randomUUID()}, ${run.connectorId}, ${run.platform}, ${run.stream}, ${runner}, now(), 'running')
               RETURNING *`.pipe(
        Effect.mapError(queryError("start")),
        Effect.flatMap((rows) =>
          rows[0] === undefined
            ? Effect.fail(new CheckpointError({ reason: "query", message: "run store: start returned no row" }))
            : Effect.succeed(toRecord(rows[0]))
        ),
        Effect.withSpan("SqlRunStore.start", { attributes: { connector: run.connectorId, stream: run.stream } })
      ),
    finish: (runId, result) =>
      sql`UPDATE connector_runs SET finished_at = now(), outcome = ${result.outcome}, published = ${result.published},
            dead_lettered = ${result.deadLettered}, duplicates = ${result.duplicates}, error = ${result.error ?? null}
          WHERE run_id = ${runId}`.pipe(
        Effect.asVoid,
        Effect.mapError(queryError("finish")),
        Effect.withSpan("SqlRunStore.finish", { attributes: { run: runId } })
      ),
    list: (filter = {}) =>
      sql<Row>`SELECT * FROM connector_runs
               WHERE ${filter.connectorId === undefined ? sql`TRUE` : sql`connector_id = ${filter.connectorId}`}
                 AND ${filter.stream === undefined ? sql`TRUE` : sql`stream = ${filter.stream}`}
               ORDER BY started_at DESC, run_id
               LIMIT ${filter.limit ?? 20}`.pipe(
        Effect.map((rows) => rows.map(toRecord)),
        Effect.mapError(queryError("list")),
        Effect.withSpan("SqlRunStore.list")
      )
  })
})

/** `RunStore` over whatever `SqlClient` is provided. Runs the migrations. */
export const SqlRunStoreLive: Layer.Layer<RunStore, CheckpointError, SqlClient.SqlClient> = Layer.effect(RunStore, makeSqlRunStore)
