/**
 * GitHub's primary rate limits as the simulator keeps them: a budget per resource (`core`, `graphql`,
 * `audit_log`) over a fixed window, and the `x-ratelimit-*` headers that report it.
 */

export interface Window {
  start: number
  used: number
}

/** The budget a request spends from: GraphQL, the audit log, `/rate_limit` (free) or the REST core. */
export const resourceOf = (path: string) =>
  path === "/graphql" ? "graphql" : /^\/orgs\/[^/]+\/audit-log$/.test(path) ? "audit_log" : path === "/rate_limit" ? "none" : "core"

export interface RateWindows {
  /** requests (REST) or points (GraphQL) per window and resource */
  readonly limit: number
  readonly windowMs: number
  /** the resource's current window (a new one once the last has passed) */
  readonly windowOf: (resource: string, now: number) => Window
  readonly rateHeaders: (resource: string, now: number) => Record<string, string>
}

export const makeRateWindows = (limit: number, windowMs: number): RateWindows => {
  const windows = new Map<string, Window>()
  const windowOf = (resource: string, now: number): Window => {
    let w = windows.get(resource)
    if (!w || now >= w.start + windowMs) {
      w = { start: now, used: 0 }
      windows.set(resource, w)
    }
    return w
  }
  const rateHeaders = (resource: string, now: number): Record<string, string> => {
    const w = windowOf(resource, now)
    return {
      "x-ratelimit-limit": String(limit),
      "x-ratelimit-remaining": String(Math.max(0, limit - w.used)),
      "x-ratelimit-used": String(w.used),
      "x-ratelimit-reset": String(Math.ceil((w.start + windowMs) / 1000)),
      "x-ratelimit-resource": resource
    }
  }
  return { limit, windowMs, windowOf, rateHeaders }
}
