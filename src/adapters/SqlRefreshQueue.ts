/**
 * `RefreshQueue` on SQL (PostgreSQL, or the embedded PGlite): table `refresh_requests` (migration 60),
 * one row per connector and scope. Another runner's offers are seen by polling (`wait`); this process's
 * ring its doorbell at once.
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Layer, Option } from "effect"
import { CheckpointError } from "../domain/Errors.js"
import { coalesce, makeDoorbells, type QueuedRefresh, RefreshQueue, scopeKey, scopeOfKey } from "../services/RefreshQueue.js"
import { createRefreshRequests, migrateStateStores } from "./SqlMigrations.js"

interface Row {
  readonly scope_key: string
  readonly occurred_at: number | string
  readonly version: number | string
}

const queryError = (what: string) => (cause: SqlError) =>
  new CheckpointError({ reason: "query", message: `refresh queue: ${what} failed: ${cause.message}`, cause })

export const makeSqlRefreshQueue = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* migrateStateStores("refresh queue")
  // the Migrator skips ids below the latest applied (see SqlConditionalCache): applied again, idempotent
  yield* createRefreshRequests.pipe(
    Effect.mapError((e) => new CheckpointError({ reason: "unavailable", message: `refresh queue: cannot create its table: ${String(e)}` }))
  )
  const doorbells = makeDoorbells()
  return RefreshQueue.of({
    offer: Effect.fn("RefreshQueue.offer")(function*(connectorId, requests) {
      if (requests.length === 0) return
      // one row per scope in a statement (ON CONFLICT cannot touch a row twice)
      const rows = [...coalesce(requests)].map(([k, r]) => ({ connector_id: connectorId, scope_key: k, occurred_at: r.occurredAt, version: 1 }))
      yield* sql`
        INSERT INTO refresh_requests ${sql.insert(rows)}
        ON CONFLICT (connector_id, scope_key) DO UPDATE
          SET occurred_at = GREATEST(refresh_requests.occurred_at, EXCLUDED.occurred_at),
              version = refresh_requests.version + 1,
              requested_at = now()`.pipe(Effect.mapError(queryError("offer")))
      yield* doorbells.ring(connectorId)
    }),
    pending: Effect.fn("RefreshQueue.pending")(function*(connectorId) {
      const rows = yield* sql<Row>`
        SELECT scope_key, occurred_at, version FROM refresh_requests WHERE connector_id = ${connectorId}`.pipe(
        Effect.mapError(queryError("read"))
      )
      return rows.flatMap((row): ReadonlyArray<QueuedRefresh> =>
        Option.match(scopeOfKey(row.scope_key), {
          onNone: () => [],
          onSome: (scope) => [{ scope, occurredAt: Number(row.occurred_at), version: Number(row.version) }]
        })
      )
    }),
    remove: Effect.fn("RefreshQueue.remove")(function*(connectorId, taken) {
      for (const t of taken) {
        yield* sql`
          DELETE FROM refresh_requests
          WHERE connector_id = ${connectorId} AND scope_key = ${scopeKey(t.scope)} AND version = ${t.version}`.pipe(
          Effect.mapError(queryError("remove"))
        )
      }
    }),
    wait: doorbells.wait
  })
})

/** `RefreshQueue` over whatever `SqlClient` is provided. Runs the migrations. */
export const SqlRefreshQueueLive: Layer.Layer<RefreshQueue, CheckpointError, SqlClient.SqlClient> = Layer.effect(RefreshQueue, makeSqlRefreshQueue)
