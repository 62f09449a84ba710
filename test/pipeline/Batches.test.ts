import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Queue, Stream, TestClock } from "effect"
import { batchesWithin } from "../../src/pipeline/Batches.js"

const collect = <A, E>(s: Stream.Stream<Chunk.Chunk<A>, E>) => Stream.runCollect(s).pipe(Effect.map((c) => Chunk.toReadonlyArray(c).map(Chunk.toReadonlyArray)))

describe("batchesWithin", () => {
  it.effect("cuts pages into batches of the size, in order, the rest last", () =>
    Effect.gen(function*() {
      const records = Array.from({ length: 1234 }, (_, i) => i)
      const batches = yield* collect(batchesWithin(Stream.fromIterable(records).pipe(Stream.rechunk(100)), { size: 500, window: "1 hour", prefetchChunks: 3 }))
      expect(batches.map((b) => b.length)).toEqual([500, 500, 234])
      expect(batches.flat()).toEqual(records)
    }))

  it.effect("emits a partial batch once the window has passed since its first record, then carries on", () =>
    Effect.gen(function*() {
      const source = yield* Queue.unbounded<number>()
      const fiber = yield* Effect.fork(collect(batchesWithin(Stream.fromQueue(source).pipe(Stream.take(5)), { size: 3, window: "1 second", prefetchChunks: 2 })))
      yield* Queue.offerAll(source, [1, 2])
      yield* TestClock.adjust("999 millis")
      yield* Queue.offer(source, 3)
      yield* TestClock.adjust("1 millis")
      yield* Queue.offerAll(source, [4, 5])
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toEqual([[1, 2, 3], [4, 5]])
    }))

  it.effect("a partial batch waits for the window, not for a full batch", () =>
    Effect.gen(function*() {
      const source = yield* Queue.unbounded<number>()
      const seen: Array<ReadonlyArray<number>> = []
      const fiber = yield* Effect.fork(batchesWithin(Stream.fromQueue(source), { size: 10, window: "2 seconds", prefetchChunks: 2 }).pipe(
        Stream.runForEach((b) => Effect.sync(() => seen.push(Chunk.toReadonlyArray(b))))
      ))
      yield* Queue.offerAll(source, [1, 2, 3])
      yield* TestClock.adjust("1 second")
      expect(seen).toEqual([])
      yield* TestClock.adjust("1 second")
      expect(seen).toEqual([[1, 2, 3]])
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("an upstream failure fails the stream", () =>
    Effect.gen(function*() {
      const failing = Stream.concat(Stream.make(1, 2), Stream.fail("page 2 refused"))
      const result = yield* Effect.flip(collect(batchesWithin(failing, { size: 10, window: "1 hour", prefetchChunks: 1 })))
      expect(result).toBe("page 2 refused")
    }))
})
