/**
 * Batches of up to `size` records, a partial one emitted once `window` has passed since its first
 * record arrived: what `Stream.groupedWithin` does, at a cost per upstream chunk instead of per batch
 * of fibers. `groupedWithin` forks a sink fiber and a schedule fiber for every batch and hands every
 * chunk over through a `Handoff`; on the throughput benchmark that was a fifth of our CPU per event
 * (bench/README.md). Here the upstream runs ahead into a bounded queue of chunks (the read-ahead the
 * pipeline wants anyway), and the batcher takes what is there without waiting; it waits, with the
 * window as its timeout, only when the queue is empty and a partial batch is held.
 *
 * An upstream failure fails the stream at once; records held in a partial batch are not emitted (as
 * with `groupedWithin`): nothing of them was published, so the checkpoint stays before them.
 */
import { Cause, Chunk, Clock, Duration, Effect, Option, Queue, Stream, Take } from "effect"

export interface BatchOptions {
  readonly size: number
  readonly window: Duration.DurationInput
  /** upstream chunks read ahead (a chunk is a connector page) */
  readonly prefetchChunks: number
}

export const batchesWithin = <A, E, R>(self: Stream.Stream<A, E, R>, options: BatchOptions): Stream.Stream<Chunk.Chunk<A>, E, R> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const queue = yield* Stream.toQueue(self, { capacity: Math.max(1, options.prefetchChunks) })
    const size = Math.max(1, options.size)
    const windowMs = Duration.toMillis(options.window)
    let held: Array<A> = []
    /** when the first record of the held batch arrived (epoch ms) */
    let heldSince = 0
    let ended = false

    /** Take one upstream chunk into `held`, or note the end of the stream, or fail with its failure. */
    const absorb = (take: Take.Take<A, E>, now: number): Effect.Effect<void, Option.Option<E>> =>
      Take.match(take, {
        onEnd: () => {
          ended = true
          return Effect.void
        },
        onFailure: (cause) => Effect.failCause(Cause.map(cause, Option.some)),
        onSuccess: (chunk) => {
          if (held.length === 0 && chunk.length > 0) heldSince = now
          for (const a of chunk) held.push(a)
          return Effect.void
        }
      })

    const emit = (): Chunk.Chunk<A> => {
      if (held.length <= size) {
        const out = held
        held = []
        return Chunk.unsafeFromArray(out)
      }
      return Chunk.unsafeFromArray(held.splice(0, size))
    }

    const next: Effect.Effect<Chunk.Chunk<A>, Option.Option<E>> = Effect.gen(function*() {
      while (true) {
        if (held.length >= size) return emit()
        if (ended) {
          if (held.length > 0) return emit()
          return yield* Effect.fail(Option.none())
        }
        // what is already read ahead, without waiting
        const ready = yield* Queue.poll(queue)
        const now = yield* Clock.currentTimeMillis
        if (Option.isSome(ready)) {
          yield* absorb(ready.value, now)
          continue
        }
        if (held.length === 0) {
          yield* absorb(yield* Queue.take(queue), yield* Clock.currentTimeMillis)
          continue
        }
        const remaining = heldSince + windowMs - now
        if (remaining <= 0) return emit()
        const waited = yield* Queue.take(queue).pipe(Effect.timeoutOption(Duration.millis(remaining)))
        if (Option.isNone(waited)) return emit()
        yield* absorb(waited.value, yield* Clock.currentTimeMillis)
      }
    })
    return Stream.repeatEffectOption(next)
  }))
