/**
 * Our own rate limiter, keyed by budget (one key per token and API resource, e.g. `github:acme:core`).
 * Each key has:
 *   - a token bucket (Effect's core `RateLimiter`, which sleeps on the Clock, so `TestClock` drives it);
 *   - a concurrency cap (a semaphore), so no more than `maxConcurrency` requests are in flight;
 *   - a pause gate set from what the platform said: `x-ratelimit-remaining: 0` pauses until
 *     `x-ratelimit-reset`, and `retry-after` pauses for that long. Every request of the key waits it out.
 */
import { Clock, Context, Duration, Effect, Layer, RateLimiter as CoreRateLimiter, Ref, Scope, SynchronizedRef } from "effect"

export interface RateLimiterConfig {
  /** requests per `interval` the bucket lets through */
  readonly limit: number
  readonly interval: Duration.DurationInput
  /** requests in flight at once, per key */
  readonly maxConcurrency: number
}

export const defaultRateLimiterConfig: RateLimiterConfig = { limit: 50, interval: "1 second", maxConcurrency: 8 }

/** The parts of an HTTP response the limiter reads. Header names are lower-case. */
export interface ObservedResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
}

export class RateLimiter extends Context.Tag("verity/RateLimiter")<RateLimiter, {
  /** Run `effect` once the key's pause has passed, a token is free and a concurrency slot is free. */
  readonly withPermit: (key: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Read a response's rate-limit headers and pause the key as they say. */
  readonly observe: (key: string, response: ObservedResponse) => Effect.Effect<void>
  /** Pause every request of `key` until `epochMillis` (never shortens an existing pause). */
  readonly pauseUntil: (key: string, epochMillis: number) => Effect.Effect<void>
  /** When the key is paused until, in epoch ms (0 when it is not). */
  readonly pausedUntil: (key: string) => Effect.Effect<number>
}>() {
  static readonly layer = (config: RateLimiterConfig = defaultRateLimiterConfig): Layer.Layer<RateLimiter> =>
    Layer.scoped(RateLimiter, make(config))
  static readonly default: Layer.Layer<RateLimiter> = Layer.suspend(() => RateLimiter.layer())
}

interface Budget {
  readonly bucket: CoreRateLimiter.RateLimiter
  readonly slots: Effect.Semaphore
  readonly pausedUntil: Ref.Ref<number>
}

/** Seconds to wait from a `retry-after` value: delta-seconds or an HTTP date. */
export const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined || value.trim() === "") return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

export const make = (config: RateLimiterConfig) =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const budgets = yield* SynchronizedRef.make(new Map<string, Budget>())

    const budget = (key: string) =>
      SynchronizedRef.modifyEffect(budgets, (map) => {
        const found = map.get(key)
        if (found) return Effect.succeed([found, map] as const)
        return Effect.gen(function*() {
          const bucket = yield* CoreRateLimiter.make({
            limit: config.limit,
            interval: config.interval,
            algorithm: "token-bucket"
          }).pipe(Scope.extend(scope))
          const created: Budget = {
            bucket,
            slots: yield* Effect.makeSemaphore(config.maxConcurrency),
            pausedUntil: yield* Ref.make(0)
          }
          return [created, new Map(map).set(key, created)] as const
        })
      })

    // The pause may be extended while we sleep (another response said "wait longer"): re-check after.
    const waitForPause = (paused: Ref.Ref<number>): Effect.Effect<void> =>
      Effect.gen(function*() {
        const until = yield* Ref.get(paused)
        const now = yield* Clock.currentTimeMillis
        if (until > now) {
          yield* Effect.logDebug("rate limit pause").pipe(Effect.annotateLogs("wait_ms", until - now))
          yield* Effect.sleep(Duration.millis(until - now))
          yield* waitForPause(paused)
        }
      })

    const pauseUntil = (key: string, epochMillis: number) =>
      budget(key).pipe(Effect.flatMap((b) => Ref.update(b.pausedUntil, (current) => Math.max(current, epochMillis))))

    return RateLimiter.of({
      withPermit: (key) => (effect) =>
        Effect.flatMap(budget(key), (b) =>
          b.slots.withPermits(1)(
            waitForPause(b.pausedUntil).pipe(
              Effect.zipRight(b.bucket(Effect.void)),
              // a pause set while we waited for the token still applies
              Effect.zipRight(waitForPause(b.pausedUntil)),
              Effect.zipRight(effect)
            )
          )),
      observe: (key, response) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const retryAfter = parseRetryAfter(response.headers["retry-after"], now)
          if (retryAfter !== undefined) {
            yield* pauseUntil(key, now + retryAfter)
            return
          }
          const remaining = response.headers["x-ratelimit-remaining"]
          const reset = Number(response.headers["x-ratelimit-reset"])
          if (remaining !== undefined && Number(remaining) <= 0 && Number.isFinite(reset)) {
            yield* Effect.logWarning("rate limit budget spent; pausing until it resets").pipe(
              Effect.annotateLogs({ key, reset_at: new Date(reset * 1000).toISOString() })
            )
            yield* pauseUntil(key, reset * 1000)
          }
        }),
      pauseUntil,
      pausedUntil: (key) => budget(key).pipe(Effect.flatMap((b) => Ref.get(b.pausedUntil)))
    })
  })
