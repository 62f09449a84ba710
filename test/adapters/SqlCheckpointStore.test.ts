import { SqlClient } from "@effect/sql"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime, Option } from "effect"
import { Checkpoint } from "../../src/domain/Checkpoint.js"
import { CheckpointStore } from "../../src/services/CheckpointStore.js"
import { SqlCheckpointStoreLive } from "../../src/adapters/SqlCheckpointStore.js"
import { migrate } from "../../src/adapters/SqlMigrations.js"
import { pgliteClientLayer } from "../../src/adapters/Pglite.js"
import { sqlLayerFor, testDatabase } from "../../src/testkit/Postgres.js"

const audit = { connectorId: "github-acme", stream: "audit" as const }
const permissions = { connectorId: "github-acme", stream: "permissions" as const }

type Backend = "PostgreSQL" | "embedded PGlite"

/**
 * One in-memory PGlite, served on loopback, for the file: starting one costs seconds of CPU. Each test
 * still gets a fresh database: its schema is dropped and made again before the store (and its
 * migrations) start on it.
 */
const pglite = ManagedRuntime.make(Layer.orDie(pgliteClientLayer(undefined)))
afterAll(() => pglite.dispose())

const freshPglite = Effect.gen(function*() {
  const sql = yield* Effect.promise(() => pglite.runPromise(SqlClient.SqlClient))
  yield* sql`DROP SCHEMA public CASCADE`.pipe(Effect.zipRight(sql`CREATE SCHEMA public`), Effect.orDie)
  return Layer.succeed(SqlClient.SqlClient, sql)
})

/** A fresh database for each test (PostgreSQL, or the file's PGlite), the store on it, and the raw SQL client. */
const withStoreOn = (backend: Backend) => <A, E>(f: Effect.Effect<A, E, CheckpointStore | SqlClient.SqlClient>) =>
  Effect.gen(function*() {
    const sql = backend === "PostgreSQL" ? sqlLayerFor(yield* testDatabase) : yield* freshPglite
    return yield* f.pipe(Effect.provide(Layer.provideMerge(SqlCheckpointStoreLive, sql)))
  }).pipe(Effect.scoped)

// the same store and the same SQL on both: the embedded default must behave exactly like production
describe.each<Backend>(["PostgreSQL", "embedded PGlite"])("SqlCheckpointStore (%s)", (backend) => {
  const withStore = withStoreOn(backend)

  it.live("migrations are idempotent: a second run applies nothing and keeps the rows", () =>
    withStore(Effect.gen(function*() {
      const store = yield* CheckpointStore
      yield* store.save(audit, "github", Checkpoint.initial.advance(1000, "e1"))
      const again = yield* migrate
      expect(again).toEqual([])
      const sql = yield* SqlClient.SqlClient
      const tables = yield* sql<{ table_name: string }>`SELECT table_name FROM information_schema.tables WHERE table_name = 'connector_checkpoints'`
      expect(tables).toHaveLength(1)
      expect(Option.map(yield* store.load(audit), (c) => c.timestamp)).toEqual(Option.some(1000))
    })))

  it.live("save, load, list and reset; the row holds versioned JSON and the guide's DELETE by platform works", () =>
    withStore(Effect.gen(function*() {
      const store = yield* CheckpointStore
      expect(yield* store.load(audit)).toEqual(Option.none())
      const cp = Checkpoint.initial.advance(1000, "e1").advance(1000, "e2")
      yield* store.save(audit, "github", cp)
      yield* store.save(permissions, "github", new Checkpoint({ version: 1, timestamp: 5, idsAtTimestamp: [], count: 7 }))
      yield* store.save({ connectorId: "mock-1", stream: "audit" }, "mockapp", Checkpoint.initial.advance(9, "x"))
      const loaded = yield* store.load(audit)
      expect(Option.map(loaded, (c) => [c.timestamp, c.idsAtTimestamp, c.count])).toEqual(Option.some([1000, ["e1", "e2"], 2]))
      const listed = yield* store.list
      expect(listed.map((r) => `${r.connectorId}/${r.stream}/${r.platform}`)).toEqual([
        "github-acme/audit/github",
        "github-acme/permissions/github",
        "mock-1/audit/mockapp"
      ])
      const sql = yield* SqlClient.SqlClient
      const raw = yield* sql<{ checkpoint: Record<string, unknown> }>`SELECT checkpoint FROM connector_checkpoints WHERE connector_id = 'github-acme' AND stream = 'audit'`
      expect(raw[0]?.checkpoint).toMatchObject({ v: 1, ts: 1000, ids_at_ts: ["e1", "e2"] })

      expect(yield* store.reset("github-acme", "permissions")).toBe(1)
      expect(yield* store.load(permissions)).toEqual(Option.none())
      expect(Option.isSome(yield* store.load(audit))).toBe(true)

      yield* sql`DELETE FROM connector_checkpoints WHERE platform = 'github'`
      expect((yield* store.list).map((r) => r.connectorId)).toEqual(["mock-1"])
      expect(yield* store.reset("mock-1")).toBe(1)
      expect(yield* store.list).toEqual([])
    })))

  it.live("never moves a checkpoint backwards: an older position is refused and the stored one stays", () =>
    withStore(Effect.gen(function*() {
      const store = yield* CheckpointStore
      const later = Checkpoint.initial.advance(2000, "b").advance(2000, "c")
      yield* store.save(audit, "github", later)
      const older = yield* Effect.flip(store.save(audit, "github", Checkpoint.initial.advance(1500, "a")))
      expect(older._tag).toBe("CheckpointError")
      expect(older.message).toMatch(/never move backwards/)
      const fewerIds = yield* Effect.flip(store.save(audit, "github", Checkpoint.initial.advance(2000, "b")))
      expect(fewerIds.message).toMatch(/before the stored position/)
      expect(Option.map(yield* store.load(audit), (c) => c.idsAtTimestamp)).toEqual(Option.some(["b", "c"]))
      // equal and later positions are accepted
      yield* store.save(audit, "github", later)
      yield* store.save(audit, "github", later.advance(3000, "d"))
      expect(Option.map(yield* store.load(audit), (c) => c.timestamp)).toEqual(Option.some(3000))
    })))

  it.live("a corrupt row is a CheckpointError naming the row, and a save repairs it", () =>
    withStore(Effect.gen(function*() {
      const store = yield* CheckpointStore
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO connector_checkpoints (connector_id, stream, platform, checkpoint)
                 VALUES ('github-acme', 'audit', 'github', '{"v": 7, "ts": "yesterday"}'::jsonb)`
      const error = yield* Effect.flip(store.load(audit))
      expect(error.reason).toBe("corrupt")
      expect(error.message).toContain(`connector "github-acme" stream "audit"`)
      expect(error.message).toContain("checkpoint reset github-acme")
      expect((yield* Effect.flip(store.list)).reason).toBe("corrupt")
      yield* store.save(audit, "github", Checkpoint.initial.advance(10, "e"))
      expect(Option.map(yield* store.load(audit), (c) => c.timestamp)).toEqual(Option.some(10))
    })))
})

describe("SqlCheckpointStore (PostgreSQL, several runners)", () => {
  it.live("stores starting at once on a fresh database all start: the loser of the race to create the migrations table tries again", () =>
    Effect.gen(function*() {
      for (let round = 0; round < 3; round++) {
        const fresh = yield* testDatabase
        // each provide builds its own pool: four programs starting side by side
        const start = Effect.flatMap(CheckpointStore, (store) => store.list).pipe(
          Effect.provide(SqlCheckpointStoreLive.pipe(Layer.provide(sqlLayerFor(fresh))))
        )
        expect(yield* Effect.all([start, start, start, start], { concurrency: "unbounded" })).toEqual([[], [], [], []])
      }
    }).pipe(Effect.scoped))
})

