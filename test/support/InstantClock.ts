/**
 * A Clock on which sleeping takes no time: each sleep moves this clock forward by its duration (from
 * the real time it started at). Retries, backoffs and `retry-after` pauses then run at once, in the
 * order and with the waits they would have had, so a test can drive a client to the end of its
 * retries against a real server without waiting for them.
 */
import { Clock, Duration, Effect } from "effect"

export const makeInstantClock = (): Clock.Clock => {
  let offset = 0
  const millis = () => Date.now() + offset
  return {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: millis,
    currentTimeMillis: Effect.sync(millis),
    unsafeCurrentTimeNanos: () => BigInt(millis()) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(millis()) * 1_000_000n),
    sleep: (duration) =>
      Effect.sync(() => {
        offset += Duration.toMillis(Duration.decode(duration))
      }).pipe(Effect.zipRight(Effect.yieldNow()))
  }
}
