/**
 * `ConditionalCache` on SQL (PostgreSQL, or the embedded PGlite): table `conditional_cache`
 * (migration 10), one JSON value per connector and key, replaced on each put.
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Layer, Option } from "effect"
import { CheckpointError } from "../domain/Errors.js"
import { ConditionalCache } from "../sdk/ConditionalCache.js"
import { createConditionalCache, migrateStateStores } from "./SqlMigrations.js"

const queryError = (what: string) => (cause: SqlError) =>
  new CheckpointError({ reason: "query", message: `conditional cache: ${what} failed: ${cause.message}`, cause })

const parseValue = (value: unknown, connector: string, key: string) =>
  Effect.try({
    // node-postgres parses JSONB; PGlite over the wire may hand back text
    try: (): unknown => (typeof value === "string" ? JSON.parse(value) : value),
    catch: () => new CheckpointError({ reason: "corrupt", message: `conditional cache: the value of ${connector}/${key} is not JSON` })
  })

export const makeSqlConditionalCache = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* migrateStateStores("conditional cache")
  // the Migrator skips ids below the latest applied: a database already past 10 (ids are given out by
  // issue, not by date) would never get the table, so its (idempotent) migration is applied again here
  yield* createConditionalCache.pipe(
    Effect.mapError((e) => new CheckpointError({ reason: "unavailable", message: `conditional cache: cannot create its table: ${String(e)}` }))
  )
  return ConditionalCache.of({
    get: Effect.fn("ConditionalCache.get")(function*(connector, key) {
      const rows = yield* sql<{ readonly value: unknown }>`
        SELECT value FROM conditional_cache WHERE connector_id = ${connector} AND cache_key = ${key}`.pipe(
        Effect.mapError(queryError(`read ${key}`))
      )
      const row = rows[0]
      return row === undefined ? Option.none() : Option.some(yield* parseValue(row.value, connector, key))
    }),
    // the row's revision is its xmin (the transaction that last wrote it): a new one per put, no column
    // to add, and the comparison happens in the database, so an unchanged value never crosses the wire
    getChanged: Effect.fn("ConditionalCache.getChanged")(function*(connector, key, known) {
      const rows = yield* sql<{ readonly value: unknown; readonly revision: string }>`
        SELECT value, xmin::text AS revision FROM conditional_cache
        WHERE connector_id = ${connector} AND cache_key = ${key} AND xmin::text IS DISTINCT FROM ${known ?? null}`.pipe(
        Effect.mapError(queryError(`read ${key}`))
      )
      const row = rows[0]
      return row === undefined ? Option.none() : Option.some({ value: yield* parseValue(row.value, connector, key), revision: row.revision })
    }),
    put: Effect.fn("ConditionalCache.put")(function*(connector, key, value) {
      const text = JSON.stringify(value)
      const rows = yield* sql<{ readonly revision: string }>`
        INSERT INTO conditional_cache (connector_id, cache_key, value, updated_at)
        VALUES (${connector}, ${key}, ${text}::jsonb, now())
        ON CONFLICT (connector_id, cache_key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
        RETURNING xmin::text AS revision`.pipe(
        Effect.mapError(queryError(`write ${key}`))
      )
      return rows[0]?.revision ?? ""
    })
  })
})

/** `ConditionalCache` over whatever `SqlClient` is provided. Runs the migrations. */
export const SqlConditionalCacheLive: Layer.Layer<ConditionalCache, CheckpointError, SqlClient.SqlClient> = Layer.effect(
  ConditionalCache,
  makeSqlConditionalCache
)
