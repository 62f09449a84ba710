/** The simulator's counters and request log: what a test or a benchmark reads back (in process, or over HTTP). */
import type { RequestLogEntry, SimulatorStats } from "./Types.js"

export interface Stats {
  readonly counters: { requests: number; rateLimited: number; secondaryLimited: number; notModified: number; serverErrors: number; malformed: number }
  /** rate budget spent per resource (REST requests, GraphQL points) */
  readonly spent: Map<string, number>
  /** secondary-limit points of the requests served, per endpoint */
  readonly points: Map<string, number>
  readonly log: Array<RequestLogEntry>
  readonly snapshot: () => SimulatorStats
  /** zero the counters and the request log */
  readonly reset: () => void
}

export const makeStats = (secondaryLimits: SimulatorStats["secondaryLimits"]): Stats => {
  const counters = { requests: 0, rateLimited: 0, secondaryLimited: 0, notModified: 0, serverErrors: 0, malformed: 0 }
  const spent = new Map<string, number>()
  const points = new Map<string, number>()
  const log: Array<RequestLogEntry> = []
  return {
    counters,
    spent,
    points,
    log,
    snapshot: () => ({
      requests: counters.requests,
      rateLimitedResponses: counters.rateLimited,
      secondaryLimitedResponses: counters.secondaryLimited,
      budgetSpent: [...spent.values()].reduce((s, n) => s + n, 0),
      budgetByResource: Object.fromEntries(spent),
      notModified: counters.notModified,
      serverErrors: counters.serverErrors,
      malformed: counters.malformed,
      secondaryPointsByEndpoint: Object.fromEntries(points),
      secondaryLimits
    }),
    reset: () => {
      counters.requests = 0
      counters.rateLimited = 0
      counters.secondaryLimited = 0
      counters.notModified = 0
      counters.serverErrors = 0
      counters.malformed = 0
      spent.clear()
      points.clear()
      log.length = 0
    }
  }
}
