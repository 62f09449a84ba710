import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Option } from "effect"
import { SqlStateStoresLive } from "../../src/adapters/SqlStateStores.js"
import { Checkpoint } from "../../src/domain/Checkpoint.js"
import { CheckpointStore } from "../../src/services/CheckpointStore.js"
import { StreamLock } from "../../src/services/StreamLock.js"
import { sqlLayerFor, testDatabase } from "../../src/testkit/Postgres.js"

const audit = { connectorId: "github-acme", stream: "audit" } as const

/** The state stores as one runner process holds them: its own pool, its own fence. */
const runnerStores = (db: Parameters<typeof sqlLayerFor>[0]) =>
  Layer.build(SqlStateStoresLive.pipe(Layer.provide(sqlLayerFor(db)), Layer.orDie)).pipe(
    Effect.map((ctx) => ({ checkpoints: Context.get(ctx, CheckpointStore), locks: Context.get(ctx, StreamLock) }))
  )

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
