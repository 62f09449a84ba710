/**
 * `StreamLock` on SQL: table `stream_locks(connector_id, stream, runner, epoch, claimed_at)`. A claim
 * bumps the stream's epoch and names the runner; the epochs this process holds are kept in the
 * `StreamFence` it shares with the SQL checkpoint store, whose save then only writes while the stored
 * epoch is still this process's (and locks the lock row while it writes, so a claim waits for a save in
 * progress: the new holder always loads the last saved checkpoint).
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Context, Effect, Layer, Schema } from "effect"
import { CheckpointStream } from "../domain/Checkpoint.js"
import { CheckpointError } from "../domain/Errors.js"
import type { CheckpointKey } from "../services/CheckpointStore.js"
import { type StreamHolder, StreamLock } from "../services/StreamLock.js"
import { migrateStateStores } from "./SqlMigrations.js"

/** The epochs this process holds, by stream: what the checkpoint store's save is fenced with. */
export class StreamFence extends Context.Tag("verity/adapters/StreamFence")<StreamFence, {
  readonly held: (key: CheckpointKey) => number | undefined
  readonly set: (key: CheckpointKey, epoch: number | undefined) => void
}>() {
  static readonly layer: Layer.Layer<StreamFence> = Layer.sync(StreamFence, () => {
    const held = new Map<string, number>()
    const keyOf = (key: CheckpointKey) => `${key.connectorId}\u0000${key.stream}`
    return {
      held: (key) => held.get(keyOf(key)),
      set: (key, epoch) => void (epoch === undefined ? held.delete(keyOf(key)) : held.set(keyOf(key), epoch))
    }
  })
}

const queryError = (what: string) => (cause: SqlError) =>
  new CheckpointError({ reason: "query", message: `stream lock: ${what} failed: ${cause.message}`, cause })

interface Row {
  readonly connector_id: string
  readonly stream: string
  readonly runner: string
  readonly epoch: number | string
  readonly claimed_at: Date | string
}

const isStream = Schema.is(CheckpointStream)

export const makeSqlStreamLock = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const fence = yield* StreamFence
  yield* migrateStateStores("stream lock")
  return StreamLock.of({
    claim: (key, runner) =>
      sql<{ readonly epoch: number | string }>`
        INSERT INTO stream_locks (connector_id, stream, runner, epoch, claimed_at)
        VALUES (${key.connectorId}, ${key.stream}, ${runner}, 1, now())
        ON CONFLICT (connector_id, stream) DO UPDATE
          SET runner = EXCLUDED.runner, epoch = stream_locks.epoch + 1, claimed_at = now()
        RETURNING epoch`.pipe(
        Effect.mapError(queryError("claim")),
        Effect.map((rows) => Number(rows[0]?.epoch ?? 0)),
        Effect.tap((epoch) => Effect.sync(() => fence.set(key, epoch))),
        Effect.withSpan("SqlStreamLock.claim", { attributes: { connector: key.connectorId, stream: key.stream } })
      ),
    verify: (key) =>
      Effect.suspend(() => {
        const epoch = fence.held(key)
        if (epoch === undefined) return Effect.void
        return sql<{ readonly runner: string; readonly epoch: number | string }>`
          SELECT runner, epoch FROM stream_locks WHERE connector_id = ${key.connectorId} AND stream = ${key.stream}`.pipe(
          Effect.mapError(queryError("verify")),
          Effect.flatMap((rows) => {
            const last = rows[0]
            return last === undefined || Number(last.epoch) === epoch
              ? Effect.void
              : Effect.fail(
                new CheckpointError({
                  reason: "superseded",
                  message: `connector "${key.connectorId}" stream "${key.stream}" was taken over by runner ${last.runner} ` +
                    `(claim ${last.epoch}; this runner's was ${epoch})`
                })
              )
          })
        )
      }).pipe(Effect.withSpan("SqlStreamLock.verify", { attributes: { connector: key.connectorId, stream: key.stream } })),
    release: (key) => Effect.sync(() => fence.set(key, undefined)),
    holders: sql<Row>`SELECT connector_id, stream, runner, epoch, claimed_at FROM stream_locks ORDER BY connector_id, stream`.pipe(
      Effect.mapError(queryError("list")),
      Effect.map((rows) =>
        rows.filter((r) => isStream(r.stream)).map((r): StreamHolder => ({
          connectorId: r.connector_id,
          stream: isStream(r.stream) ? r.stream : "audit",
          runner: r.runner,
          epoch: Number(r.epoch),
          claimedAt: r.claimed_at instanceof Date ? r.claimed_at : new Date(r.claimed_at)
        }))
      ),
      Effect.withSpan("SqlStreamLock.holders")
    )
  })
})

/** `StreamLock` over the provided `SqlClient`, sharing its `StreamFence` with the SQL checkpoint store. */
export const SqlStreamLockLive: Layer.Layer<StreamLock, CheckpointError, SqlClient.SqlClient | StreamFence> = Layer.effect(
  StreamLock,
  makeSqlStreamLock
)
