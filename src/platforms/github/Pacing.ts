/**
 * Pacing by GitHub's secondary limits, before a request leaves: each REST endpoint (route template)
 * gets at most `restPointsPerMinute` points a minute (GET 1, writes 5), GraphQL `graphqlPointsPerMinute`,
 * and writes across endpoints at most `contentCreationPerMinute` (GitHub's content-creation limit, 80).
 * Each budget is a virtual schedule (GCRA): a request of `p` points starts at the budget's next slot and
 * moves it `p` intervals on; a small burst may run ahead. Points in any window therefore stay at most
 * burst + window / interval + one request, and the interval is chosen so that is below the limit.
 * It sleeps on the Clock, so `TestClock` drives it.
 */
import { Clock, Duration, Effect, SynchronizedRef } from "effect"
import { contentCreationPerMinute, endpointOf, isContentCreation, secondaryPointsOf } from "./Endpoint.js"

export interface PacingLimits {
  readonly restPointsPerWindow: number
  readonly graphqlPointsPerWindow: number
  /** writes (content creation) per window across endpoints; each write waits for this too */
  readonly contentCreationPerWindow?: number
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

/** Writes count 1 each: a quarter of the budget may go at once, the rest spaced (at most burst + usable + 1 in any window). */
const contentPlan = (limit: number, windowMs: number) => {
  const burst = Math.max(1, Math.floor(limit / 4))
  return { burstPoints: burst, intervalMs: windowMs / Math.max(1, limit - burst - 1) }
}

export const makePacer = (limits: PacingLimits): Effect.Effect<Pacer> =>
  Effect.gen(function*() {
    const windowMs = Duration.toMillis(Duration.decode(limits.window))
    const rest = plan(limits.restPointsPerWindow, windowMs)
    const graphql = plan(limits.graphqlPointsPerWindow, windowMs)
    const content = contentPlan(limits.contentCreationPerWindow ?? contentCreationPerMinute, windowMs)
    const nextSlot = yield* SynchronizedRef.make(new Map<string, number>())
    /** take `points` from the budget `key`: the time this request may start */
    const slot = (key: string, points: number, budget: { readonly burstPoints: number; readonly intervalMs: number }, now: number) =>
      SynchronizedRef.modify(nextSlot, (slots) => {
        const at = Math.max(slots.get(key) ?? 0, now - budget.burstPoints * budget.intervalMs)
        return [at, new Map(slots).set(key, at + points * budget.intervalMs)] as const
      })
    return {
      pace: (method, path, body) =>
        Effect.gen(function*() {
          const isGraphql = path.endsWith("/graphql")
          const key = isGraphql ? "graphql" : endpointOf(method, path)
          const points = secondaryPointsOf(method, isGraphql ? "/graphql" : path, body)
          const now = yield* Clock.currentTimeMillis
          const byEndpoint = yield* slot(key, points, isGraphql ? graphql : rest, now)
          // a write also waits for the content-creation budget, shared by every endpoint
          const byContent = isContentCreation(method, isGraphql ? "/graphql" : path, body) ? yield* slot("content creation", 1, content, now) : now
          const start = Math.max(byEndpoint, byContent)
          if (start > now) {
            yield* Effect.logDebug("pacing by GitHub's secondary limits").pipe(Effect.annotateLogs({ endpoint: key, wait_ms: Math.ceil(start - now) }))
            yield* Effect.sleep(Duration.millis(Math.ceil(start - now)))
          }
        }).pipe(Effect.withSpan("GitHubPacer.pace"))
    }
  })
