import { PgClient } from "@effect/sql-pg"
import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Exit, Fiber, Layer, Option, Redacted, Scope } from "effect"
import { clusterDsn } from "../../src/adapters/ClusterRunner.js"
import { SqlStateStoresLive } from "../../src/adapters/SqlStateStores.js"
import { sqlStreamHoldsLayer } from "../../src/adapters/SqlStreamLock.js"
import { Checkpoint } from "../../src/domain/Checkpoint.js"
import { CheckpointStore } from "../../src/services/CheckpointStore.js"
import { StreamHolds, StreamLock } from "../../src/services/StreamLock.js"
import { sqlLayerFor, testDatabase } from "../../src/testkit/Postgres.js"

const audit = { connectorId: "github-acme", stream: "audit" } as const

/** The state stores as one runner process holds them: its own pool, its own fence. */
const runnerStores = (db: Parameters<typeof sqlLayerFor>[0]) =>
  Layer.build(SqlStateStoresLive.pipe(Layer.provide(sqlLayerFor(db)), Layer.orDie)).pipe(
    Effect.map((ctx) => ({ checkpoints: Context.get(ctx, CheckpointStore), locks: Context.get(ctx, StreamLock) }))
  )

/**
 * A runner's stream holds as the cluster gives them: on a pool with the cluster's session settings for
 * a 3 s lock expiration (a session idle for 2 s is ended by the server), touched every `heartbeat`.
 */
const runnerHolds = (db: Parameters<typeof sqlLayerFor>[0], heartbeat: Duration.DurationInput) =>
  Layer.build(
    sqlStreamHoldsLayer({ heartbeat, pollEvery: "100 millis" }).pipe(
      Layer.provide(PgClient.layer({ url: Redacted.make(clusterDsn(Redacted.value(db.dsn), "3 seconds")), maxConnections: 2, idleTimeout: "1 second" })),
      Layer.orDie
    )
  ).pipe(Effect.map((ctx) => Context.get(ctx, StreamHolds)))

describe("SqlStreamLock: the fence on checkpoint saves", () => {
  it.live("a runner that claimed a stream saves; once another runner claims it, the first one's saves are refused and the second resumes from the last save", () =>
    Effect.gen(function*() {
      const db = yield* testDatabase
      const [a, b] = yield* Effect.all([runnerStores(db), runnerStores(db)])

      expect(yield* a.locks.claim(audit, "host-a:1")).toBe(1)
      yield* a.checkpoints.save(audit, "github", Checkpoint.initial.advance(1000, "e1"))

      // the stream moves to b: a is now fenced out, even with a position further on
      expect(yield* b.locks.claim(audit, "host-b:2")).toBe(2)
      const refused = yield* Effect.flip(a.checkpoints.save(audit, "github", Checkpoint.initial.advance(5000, "e9")))
      expect(refused.message).toContain("taken over by runner host-b:2")
      // a refusal the pipeline does not retry: the stream is the other runner's now
      expect(refused.reason).toBe("superseded")
      // and what a runner checks before it publishes a batch says so too (b's own claim passes)
      const lost = yield* Effect.flip(a.locks.verify(audit))
      expect(lost.reason).toBe("superseded")
      expect(lost.message).toContain("taken over by runner host-b:2")
      yield* b.locks.verify(audit)
      expect(Option.map(yield* b.checkpoints.load(audit), (c) => c.timestamp)).toEqual(Option.some(1000))
      yield* b.checkpoints.save(audit, "github", Checkpoint.initial.advance(2000, "e2"))

      expect((yield* a.locks.holders).map((h) => [h.connectorId, h.stream, h.runner, h.epoch])).toEqual([
        ["github-acme", "audit", "host-b:2", 2]
      ])
      // a process that never claimed (run --once, a single process) is not fenced: only checkpoints' own order applies
      yield* b.locks.release(audit)
      yield* b.checkpoints.save(audit, "github", Checkpoint.initial.advance(3000, "e3"))
      const backwards = yield* Effect.flip(b.checkpoints.save(audit, "github", Checkpoint.initial.advance(2500, "e4")))
      expect(backwards.message).toContain("before the stored position")
    }).pipe(Effect.scoped))

  it.live("a claim waits for a save in progress, so the new holder never misses the last saved position", () =>
    Effect.gen(function*() {
      const db = yield* testDatabase
      const [a, b] = yield* Effect.all([runnerStores(db), runnerStores(db)])
      yield* a.locks.claim(audit, "host-a:1")
      // many saves by a racing one claim by b: every save either lands before the claim (and b loads it) or is refused
      const saves = Effect.forEach(
        Array.from({ length: 40 }, (_, i) => i + 1),
        (i) => a.checkpoints.save(audit, "github", Checkpoint.initial.advance(i * 10, `e${i}`)).pipe(Effect.either, Effect.map((r) => [i, r._tag] as const))
      )
      const [results, loaded] = yield* Effect.all([
        saves,
        Effect.sleep("15 millis").pipe(Effect.zipRight(b.locks.claim(audit, "host-b:2")), Effect.zipRight(b.checkpoints.load(audit)))
      ], { concurrency: 2 })
      const saved = results.filter(([, tag]) => tag === "Right").map(([i]) => i)
      const refused = results.filter(([, tag]) => tag === "Left").map(([i]) => i)
      // the saves that landed are a prefix; the claim saw the last of them
      expect(saved).toEqual(Array.from({ length: saved.length }, (_, i) => i + 1))
      expect(refused.length + saved.length).toBe(40)
      const last = saved.length === 0 ? undefined : saved[saved.length - 1]! * 10
      expect(Option.getOrUndefined(Option.map(loaded, (c) => c.timestamp))).toBe(last)
    }).pipe(Effect.scoped))
})

describe("SqlStreamHolds: a claim waits for a living holder, not for a dead one", () => {
  it.live("a second runner waits while the first holds the stream (well past the session idle timeout), and resumes from the first one's last save once it lets go", () =>
    Effect.gen(function*() {
      const db = yield* testDatabase
      const [a, b] = yield* Effect.all([runnerStores(db), runnerStores(db)])
      const [holdsA, holdsB] = yield* Effect.all([runnerHolds(db, "500 millis"), runnerHolds(db, "500 millis")])
      const jobA = yield* Scope.make()
      yield* holdsA.hold(audit, "host-a:1").pipe(Scope.extend(jobA))
      yield* a.locks.claim(audit, "host-a:1")
      yield* a.checkpoints.save(audit, "github", Checkpoint.initial.advance(1000, "e1"))

      // b's job starts (the cluster moved the shard) while a is still finishing its in-flight batch
      const jobB = yield* Effect.fork(Effect.scoped(Effect.gen(function*() {
        yield* holdsB.hold(audit, "host-b:2")
        const epoch = yield* b.locks.claim(audit, "host-b:2")
        const loaded = yield* b.checkpoints.load(audit)
        return { epoch, loaded: Option.map(loaded, (c) => c.timestamp), at: Date.now() }
      })))
      // longer than the 2 s the server lets a session idle: a living holder keeps its hold
      yield* Effect.sleep("3500 millis")
      expect(jobB.unsafePoll()).toBeNull()
      // a's last save is not refused: nobody took the stream over while a held it
      yield* a.checkpoints.save(audit, "github", Checkpoint.initial.advance(2000, "e2"))
      yield* a.locks.release(audit)
      const releasedAt = Date.now()
      yield* Scope.close(jobA, Exit.void)

      const took = yield* Fiber.join(jobB)
      expect(took.epoch).toBe(2)
      expect(took.loaded).toEqual(Option.some(2000))
      expect(took.at - releasedAt).toBeLessThan(2000)

      // within one process too: a job of the same stream waits for the one still running
      const first = yield* Scope.make()
      yield* holdsB.hold(audit, "host-b:2").pipe(Scope.extend(first))
      const second = yield* Effect.fork(Effect.scoped(holdsB.hold(audit, "host-b:2")))
      yield* Effect.sleep("500 millis")
      expect(second.unsafePoll()).toBeNull()
      yield* Scope.close(first, Exit.void)
      yield* Fiber.join(second)
    }).pipe(Effect.scoped), 30_000)

  it.live("a frozen holder's hold is gone once the server ends its silent session: the waiting runner takes the stream over, and the frozen one's save is refused", () =>
    Effect.gen(function*() {
      const db = yield* testDatabase
      const [a, b] = yield* Effect.all([runnerStores(db), runnerStores(db)])
      // a's heartbeat never comes, as if the process were stopped (SIGSTOP)
      const [frozen, holdsB] = yield* Effect.all([runnerHolds(db, "1 hour"), runnerHolds(db, "500 millis")])
      yield* frozen.hold(audit, "host-a:1")
      yield* a.locks.claim(audit, "host-a:1")
      yield* a.checkpoints.save(audit, "github", Checkpoint.initial.advance(1000, "e1"))

      const started = Date.now()
      const took = yield* Effect.scoped(Effect.gen(function*() {
        yield* holdsB.hold(audit, "host-b:2")
        const waited = Date.now() - started
        yield* b.locks.claim(audit, "host-b:2")
        return { waited, loaded: Option.map(yield* b.checkpoints.load(audit), (c) => c.timestamp) }
      }))
      // the server ends a session idle for 2 s (2/3 of the 3 s lock expiration)
      expect(took.waited).toBeGreaterThanOrEqual(1000)
      expect(took.waited).toBeLessThan(6000)
      expect(took.loaded).toEqual(Option.some(1000))
      const refused = yield* Effect.flip(a.checkpoints.save(audit, "github", Checkpoint.initial.advance(5000, "e9")))
      expect(refused.reason).toBe("superseded")
    }).pipe(Effect.scoped), 30_000)
})
