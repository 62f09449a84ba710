import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { SqlConditionalCacheLive } from "../../src/adapters/SqlConditionalCache.js"
import { makeConnectorId } from "../../src/domain/Ids.js"
import { ConditionalCache } from "../../src/sdk/ConditionalCache.js"
import { sqlLayerFor, testDatabase } from "../../src/testkit/Postgres.js"

const a = makeConnectorId("github-a")
const b = makeConnectorId("github-b")

/** What every implementation must do: JSON in, the same JSON out, per connector and key, the last put wins. */
const contract = Effect.gen(function*() {
  const cache = yield* ConditionalCache
  expect(yield* cache.get(a, "k")).toEqual(Option.none())
  const value = { etag: 'W/"abc"', pages: [["/orgs/x?page=2", { next: null, names: ["é", "b"] }]], n: 3 }
  yield* cache.put(a, "k", value)
  expect(yield* cache.get(a, "k")).toEqual(Option.some(value))
  expect(yield* cache.get(b, "k")).toEqual(Option.none())
  expect(yield* cache.get(a, "other")).toEqual(Option.none())
  yield* cache.put(a, "k", { replaced: true })
  expect(yield* cache.get(a, "k")).toEqual(Option.some({ replaced: true }))
  // revisions: a new one per put; the value is handed out only when its revision is not the one known
  const first = yield* cache.put(b, "r", { n: 1 })
  expect(yield* cache.getChanged(b, "r", undefined)).toEqual(Option.some({ value: { n: 1 }, revision: first }))
  expect(yield* cache.getChanged(b, "r", first)).toEqual(Option.none())
  const second = yield* cache.put(b, "r", { n: 2 })
  expect(second).not.toBe(first)
  expect(yield* cache.getChanged(b, "r", first)).toEqual(Option.some({ value: { n: 2 }, revision: second }))
  expect(yield* cache.getChanged(b, "r", second)).toEqual(Option.none())
  expect(yield* cache.getChanged(b, "absent", undefined)).toEqual(Option.none())
})

describe("ConditionalCache", () => {
  it.effect("memory keeps JSON per connector and key", () => contract.pipe(Effect.provide(ConditionalCache.memory)))

  it.live("PostgreSQL keeps JSON per connector and key, across a new layer on the same database, and on a database migrated past 10", () =>
    Effect.gen(function*() {
      const db = yield* testDatabase
      const layer = () => SqlConditionalCacheLive.pipe(Layer.provide(sqlLayerFor(db)), Layer.orDie)
      yield* contract.pipe(Effect.provide(layer()))
      // a second program on the same database (after a restart) reads what the first left
      const again = yield* Effect.flatMap(ConditionalCache, (cache) => cache.get(a, "k")).pipe(Effect.provide(layer()))
      expect(again).toEqual(Option.some({ replaced: true }))
      // a database whose migrations are already past 10 (as one deployed before this store) still gets the table
      yield* db.query("DROP TABLE conditional_cache")
      const latest = yield* db.query<{ readonly id: number }>("SELECT max(migration_id) AS id FROM verity_migrations")
      expect(Number(latest[0]?.id)).toBeGreaterThan(10)
      const revived = yield* Effect.flatMap(ConditionalCache, (cache) => Effect.zipRight(cache.put(b, "k", [1]), cache.get(b, "k"))).pipe(
        Effect.provide(layer())
      )
      expect(revived).toEqual(Option.some([1]))
    }).pipe(Effect.scoped))
})
