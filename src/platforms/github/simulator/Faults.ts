/**
 * What can go wrong before a route answers, as GitHub does it: a secondary rate limit (too many
 * requests in flight, or injected at random, 403 or 429 with `retry-after`), a spent primary budget
 * (403 "API rate limit exceeded"), more points a minute than GitHub allows one endpoint or GraphQL, and injected 5xx. A share of secondary limits comes without
 * `retry-after`, as GitHub sometimes sends them. Latency and malformed pages are rolled by the
 * server around the route. Every roll comes from one seeded PRNG, so a seed replays the same faults.
 */
import { chance } from "../../../sdk/simulator/Faults.js"
import { pick } from "./Model.js"
import type { RateWindows } from "./RateWindows.js"
import type { Stats } from "./Stats.js"
import type { GitHubSimulatorOptions } from "./Types.js"

/** The faults that can be changed while the simulator runs. */
export type FaultSettings = {
  -readonly [K in "latencyMs" | "latencyJitterMs" | "errorRate" | "malformedRate" | "secondaryRateLimitRate" | "secondaryWithoutRetryAfterShare"]-?: number
}

export const faultSettings = (options: GitHubSimulatorOptions): FaultSettings => ({
  latencyMs: options.latencyMs ?? 0,
  latencyJitterMs: options.latencyJitterMs ?? 0,
  errorRate: options.errorRate ?? 0,
  malformedRate: options.malformedRate ?? 0,
  secondaryRateLimitRate: options.secondaryRateLimitRate ?? 0,
  secondaryWithoutRetryAfterShare: options.secondaryWithoutRetryAfterShare ?? 0
})

/** A refusal: status, headers, and the JSON text of its body. */
export interface Refusal {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string
}

const secondaryLimitBody = JSON.stringify({
  message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
  documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
})

const primaryLimitBody = JSON.stringify({
  message:
    "API rate limit exceeded for user ID 1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)",
  documentation_url: "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"
})

export interface Refusals {
  /** More requests in flight than GitHub allows: a secondary limit before anything else. */
  readonly tooManyInFlight: (resource: string, now: number) => Refusal
  /** Over the points a minute GitHub allows one REST endpoint, or GraphQL: a secondary limit. */
  readonly overPoints: (resource: string, now: number) => Refusal
  /** After auth: an injected secondary limit, a spent primary budget, or an injected 5xx. */
  readonly beforeRoute: (resource: string, now: number) => Refusal | undefined
}

export const makeRefusals = (
  faults: FaultSettings,
  rng: () => number,
  windows: RateWindows,
  stats: Stats,
  retryAfterSeconds: number
): Refusals => {
  /** `retry-after`, unless this answer is one of the share GitHub sends without it */
  const retryAfter = (): Record<string, string> =>
    chance(rng, faults.secondaryWithoutRetryAfterShare) ? {} : { "retry-after": String(retryAfterSeconds) }
  return {
    tooManyInFlight: (resource, now) => {
      stats.counters.rateLimited++
      stats.counters.secondaryLimited++
      const headers = { ...windows.rateHeaders(resource === "none" ? "core" : resource, now), ...retryAfter() }
      return { status: 403, headers, body: secondaryLimitBody }
    },
    overPoints: (resource, now) => {
      stats.counters.rateLimited++
      stats.counters.secondaryLimited++
      return { status: 403, headers: { ...windows.rateHeaders(resource, now), ...retryAfter() }, body: secondaryLimitBody }
    },
    beforeRoute: (resource, now) => {
      const limited = resource === "none" ? {} : windows.rateHeaders(resource, now)
      if (chance(rng, faults.secondaryRateLimitRate)) {
        stats.counters.rateLimited++
        stats.counters.secondaryLimited++
        const status = rng() < 0.5 ? 403 : 429
        return { status, headers: { ...limited, ...retryAfter() }, body: secondaryLimitBody }
      }
      if ((resource === "core" || resource === "audit_log") && windows.windowOf(resource, now).used >= windows.limitOf(resource)) {
        stats.counters.rateLimited++
        return { status: 403, headers: { ...windows.rateHeaders(resource, now) }, body: primaryLimitBody }
      }
      if (chance(rng, faults.errorRate)) {
        stats.counters.serverErrors++
        return { status: pick(rng, [500, 502, 503]), headers: limited, body: JSON.stringify({ message: "Server Error" }) }
      }
      return undefined
    }
  }
}
