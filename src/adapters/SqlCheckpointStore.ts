/**
 * `CheckpointStore` on SQL: PostgreSQL in production (`@effect/sql-pg`), and PGlite as the embedded
 * default (see `Pglite.ts`), through the same client and the same SQL.
 *
 * Table `connector_checkpoints(connector_id, stream, platform, checkpoint JSONB, updated_at)`, key
 * `(connector_id, stream)`. The checkpoint column holds the encoded `Checkpoint` (`{"v":1,"ts":...}`), so
 * the guide's `DELETE FROM connector_checkpoints WHERE platform = 'github'` is a valid reset.
 *
 * A checkpoint never moves backwards: the UPSERT replaces a row only when the new position is at or
 * after the stored one (timestamp first, then the number of ids at that timestamp). A save that would
 * move it back (a second runner of the same connector, a clock gone back) is refused with a
 * `CheckpointError`, so the caller knows its position was not recorded. When this process has claimed the
 * stream (`StreamLock`, see `SqlStreamLock.ts`), a save is also refused once another runner has claimed
 * it since: the fence that keeps two cluster runners from both advancing one stream. A stored row that is not a
 * valid checkpoint is overwritten by any save (that is how an operator repairs it), and reading it gives
 * `CheckpointError("corrupt")` naming the row.
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Layer, Option, ParseResult, Schema } from "effect"
import { Checkpoint, CheckpointStream } from "../domain/Checkpoint.js"
import { CheckpointError } from "../domain/Errors.js"
import { CheckpointStore, type StoredCheckpoint } from "../services/CheckpointStore.js"
import { migrateStateStores } from "./SqlMigrations.js"
import { StreamFence } from "./SqlStreamLock.js"

const encodeCheckpoint = Schema.encodeSync(Checkpoint)
const decodeCheckpoint = Schema.decodeUnknownEither(Checkpoint, { errors: "all" })

const queryError = (what: string) => (cause: SqlError) =>
  new CheckpointError({ reason: "query", message: `checkpoint store: ${what} failed: ${cause.message}`, cause })

interface Row {
  readonly connector_id: string
  readonly stream: string
  readonly platform: string
  readonly checkpoint: unknown
  readonly updated_at: Date | string
}

const parseStored = (raw: unknown): unknown => {
  // jsonb arrives parsed; tolerate a driver that hands back text
  if (typeof raw !== "string") return raw
  try {
    return JSON.parse(raw)
  } catch {
    return raw
  }
}

const decodeRow = (row: Row): Effect.Effect<Checkpoint, CheckpointError> => {
  const decoded = decodeCheckpoint(parseStored(row.checkpoint))
  if (decoded._tag === "Right") return Effect.succeed(decoded.right)
  const issues = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)
  const first = issues[0]
  const detail = first ? `${first.path.length > 0 ? `${first.path.join(".")}: ` : ""}${first.message}` : "invalid"
  return Effect.fail(
    new CheckpointError({
      reason: "corrupt",
      message:
        `checkpoint of connector "${row.connector_id}" stream "${row.stream}" is not a valid checkpoint (${detail}); ` +
        `reset it with: checkpoint reset ${row.connector_id} --stream ${row.stream}`
    })
  )
}

// a position as SQL sees it; a row that is not a checkpoint counts as the very beginning
const positionOf = (column: string) => `(
  CASE WHEN jsonb_typeof(${column}->'ts') = 'number' THEN (${column}->>'ts')::numeric ELSE -1 END,
  CASE WHEN jsonb_typeof(${column}->'ids_at_ts') = 'array' THEN jsonb_array_length(${column}->'ids_at_ts') ELSE 0 END
)`

export const makeSqlCheckpointStore = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // present when the stream locks share this database (SqlStateStoresLive): saves are then fenced
  const fence = yield* Effect.serviceOption(StreamFence)
  yield* migrateStateStores("checkpoint store")
  const newer = sql.unsafe(positionOf("EXCLUDED.checkpoint"))
  const stored = sql.unsafe(positionOf("connector_checkpoints.checkpoint"))

  return CheckpointStore.of({
    load: (key) =>
      sql<Row>`SELECT connector_id, stream, platform, checkpoint, updated_at FROM connector_checkpoints
               WHERE connector_id = ${key.connectorId} AND stream = ${key.stream}`.pipe(
        Effect.mapError(queryError("load")),
        Effect.flatMap((rows) => {
          const row = rows[0]
          return row === undefined ? Effect.succeed(Option.none()) : Effect.map(decodeRow(row), Option.some)
        }),
        Effect.withSpan("SqlCheckpointStore.load", { attributes: { connector: key.connectorId, stream: key.stream } })
      ),
    save: (key, platform, checkpoint) =>
      Effect.gen(function*() {
        const json = JSON.stringify(encodeCheckpoint(checkpoint))
        const epoch = Option.flatMap(fence, (f) => Option.fromNullable(f.held(key)))
        const written = yield* (Option.isNone(epoch)
          ? sql<{ readonly connector_id: string }>`
          INSERT INTO connector_checkpoints (connector_id, stream, platform, checkpoint, updated_at)
          VALUES (${key.connectorId}, ${key.stream}, ${platform}, ${json}::jsonb, now())
          ON CONFLICT (connector_id, stream) DO UPDATE
            SET platform = EXCLUDED.platform, checkpoint = EXCLUDED.checkpoint, updated_at = now()
            WHERE ${newer} >= ${stored}
          RETURNING connector_id`
          // fenced: written only while this process's claim is the stream's last one; the lock row is
          // held while the save commits, so a runner taking the stream over waits for it
          : sql<{ readonly connector_id: string }>`
          INSERT INTO connector_checkpoints (connector_id, stream, platform, checkpoint, updated_at)
          SELECT ${key.connectorId}, ${key.stream}, ${platform}, ${json}::jsonb, now()
            FROM stream_locks
            WHERE connector_id = ${key.connectorId} AND stream = ${key.stream} AND epoch = ${epoch.value}
            FOR SHARE
          ON CONFLICT (connector_id, stream) DO UPDATE
            SET platform = EXCLUDED.platform, checkpoint = EXCLUDED.checkpoint, updated_at = now()
            WHERE ${newer} >= ${stored}
          RETURNING connector_id`).pipe(Effect.mapError(queryError("save")))
        if (written.length === 0) {
          const holder = Option.isNone(epoch) ? [] : yield* sql<{ readonly runner: string; readonly epoch: number | string }>`
            SELECT runner, epoch FROM stream_locks WHERE connector_id = ${key.connectorId} AND stream = ${key.stream}`.pipe(
            Effect.mapError(queryError("save"))
          )
          const other = holder[0]
          if (Option.isSome(epoch) && other !== undefined && Number(other.epoch) !== epoch.value) {
            return yield* new CheckpointError({
              reason: "superseded",
              message: `checkpoint of connector "${key.connectorId}" stream "${key.stream}" not saved: ` +
                `the stream was taken over by runner ${other.runner} (claim ${other.epoch}; this runner's was ${epoch.value})`
            })
          }
          return yield* new CheckpointError({
            reason: "query",
            message:
              `checkpoint of connector "${key.connectorId}" stream "${key.stream}" not saved: ` +
              `${checkpoint.describe()} is before the stored position (checkpoints never move backwards; is another runner of this connector active?)`
          })
        }
      }).pipe(Effect.withSpan("SqlCheckpointStore.save", { attributes: { connector: key.connectorId, stream: key.stream } })),
    list: sql<Row>`SELECT connector_id, stream, platform, checkpoint, updated_at FROM connector_checkpoints
                   ORDER BY connector_id, stream`.pipe(
      Effect.mapError(queryError("list")),
      Effect.flatMap((rows) =>
        Effect.forEach(rows, (row) =>
          decodeRow(row).pipe(
            Effect.map((checkpoint): StoredCheckpoint => ({
              connectorId: row.connector_id,
              stream: Schema.is(CheckpointStream)(row.stream) ? row.stream : "audit",
              platform: row.platform,
              checkpoint,
              updatedAt: row.updated_at instanceof Date ? row.updated_at : new Date(row.updated_at)
            }))
          ))
      ),
      Effect.withSpan("SqlCheckpointStore.list")
    ),
    reset: (connectorId, stream) =>
      (stream === undefined
        ? sql<{ readonly connector_id: string }>`DELETE FROM connector_checkpoints WHERE connector_id = ${connectorId} RETURNING connector_id`
        : sql<{ readonly connector_id: string }>`DELETE FROM connector_checkpoints
            WHERE connector_id = ${connectorId} AND stream = ${stream} RETURNING connector_id`).pipe(
          Effect.map((rows) => rows.length),
          Effect.mapError(queryError("reset")),
          Effect.withSpan("SqlCheckpointStore.reset", { attributes: { connector: connectorId, stream: stream ?? "all" } })
        )
  })
})

/** `CheckpointStore` over whatever `SqlClient` is provided (PostgreSQL or the embedded PGlite). Runs the migrations. */
export const SqlCheckpointStoreLive: Layer.Layer<CheckpointStore, CheckpointError, SqlClient.SqlClient> = Layer.effect(
  CheckpointStore,
  makeSqlCheckpointStore
)
