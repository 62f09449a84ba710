/**
 * Pacing by GitHub's secondary limits, before a request leaves: each REST endpoint (route template)
 * gets at most `restPointsPerMinute` points a minute (GET 1, writes 5), GraphQL `graphqlPointsPerMinute`.
 * Each budget is a virtual schedule (GCRA): a request of `p` points starts at the budget's next slot and
 * moves it `p` intervals on; a small burst may run ahead. Points in any window therefore stay at most
 * burst + window / interval + one request, and the interval is chosen so that is below the limit.
 * It sleeps on the Clock, so `TestClock` drives it.
 */
import { Clock, Duration, Effect, SynchronizedRef } from "effect"
import { endpointOf, secondaryPointsOf } from "./Endpoint.js"

export interface PacingLimits {
  readonly restPointsPerWindow: number
  readonly graphqlPointsPerWindow: number
  /** GitHub's window is a minute; tests and benches scale it down with the limits */
  readonly window: Duration.DurationInput
}

export interface Pacer {
  /** Wait until a request of this method, path and body may leave within the limits. */
  readonly pace: (method: string, path: string, body: string) => Effect.Effect<void>
}

/** Points of headroom: one write, and a burst of a fortieth of the budget. */
const plan = (limit: number, windowMs: number) => {
  const burst = Math.max(1, Math.floor(limit / 40))
  const usable = Math.max(1, limit - burst - 5)
  return { burstPoints: burst, intervalMs: windowMs / usable }
}

export const makePacer = (limits: PacingLimits): Effect.Effect<Pacer> =>
  Effect.gen(function*() {
    const windowMs = Duration.toMillis(Duration.decode(limits.window))
    const rest = plan(limits.restPointsPerWindow, windowMs)
    const graphql = plan(limits.graphqlPointsPerWindow, windowMs)
    const nextSlot = yield* SynchronizedRef.make(new Map<string, number>())
    return {
      pace: (method, path, body) =>
        Effect.gen(function*() {
          const isGraphql = path.endsWith("/graphql")
          const { burstPoints, intervalMs } = isGraphql ? graphql : rest
          const key = isGraphql ? "graphql" : endpointOf(method, path)
          const points = secondaryPointsOf(method, isGraphql ? "/graphql" : path, body)
          const now = yield* Clock.currentTimeMillis
          const start = yield* SynchronizedRef.modify(nextSlot, (slots) => {
            const at = Math.max(slots.get(key) ?? 0, now - burstPoints * intervalMs)
            return [at, new Map(slots).set(key, at + points * intervalMs)] as const
          })
          if (start > now) {
            yield* Effect.logDebug("pacing by GitHub's secondary limits").pipe(Effect.annotateLogs({ endpoint: key, wait_ms: Math.ceil(start - now) }))
            yield* Effect.sleep(Duration.millis(Math.ceil(start - now)))
          }
        }).pipe(Effect.withSpan("GitHubPacer.pace"))
    }
  })
