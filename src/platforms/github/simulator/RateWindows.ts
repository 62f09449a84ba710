/**
 * GitHub's primary rate limits as the simulator keeps them: a budget per resource (`core`, `graphql`,
 * `audit_log`, which has its own 1,750 queries/h) over a fixed window, and the `x-ratelimit-*` headers that report it.
 */

export interface Window {
  start: number
  used: number
}

/** The budget a request spends from: GraphQL, the audit log, `/rate_limit` (free) or the REST core. */
export const resourceOf = (path: string) =>
  path === "/graphql" ? "graphql" : /^\/orgs\/[^/]+\/audit-log$/.test(path) ? "audit_log" : path === "/rate_limit" ? "none" : "core"

export interface RateWindows {
  /** requests (REST) or points (GraphQL) per window, for `resource` */
  readonly limitOf: (resource: string) => number
  readonly windowMs: number
  /** the resource's current window (a new one once the last has passed) */
  readonly windowOf: (resource: string, now: number) => Window
  readonly rateHeaders: (resource: string, now: number) => Record<string, string>
}

/** `limits` overrides `limit` per resource (e.g. the audit log's own 1,750/h). */
export const makeRateWindows = (limit: number, windowMs: number, limits: Readonly<Record<string, number>> = {}): RateWindows => {
  const limitOf = (resource: string) => limits[resource] ?? limit
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
    const own = limitOf(resource)
    return {
      "x-ratelimit-limit": String(own),
      "x-ratelimit-remaining": String(Math.max(0, own - w.used)),
      "x-ratelimit-used": String(w.used),
      "x-ratelimit-reset": String(Math.ceil((w.start + windowMs) / 1000)),
      "x-ratelimit-resource": resource
    }
  }
  return { limitOf, windowMs, windowOf, rateHeaders }
}

/**
 * GitHub's secondary limits on points: per REST endpoint (default 900 points/min) and for GraphQL
 * (default 2,000 points/min), each over a fixed window that starts with its first request; and content
 * creation (writes, default 80 requests/min) across every endpoint.
 * `charge` and `chargeContent` spend, or answer false (spending nothing) when they would go over.
 */
export interface SecondaryWindows {
  readonly charge: (endpoint: string, graphql: boolean, points: number, now: number) => boolean
  readonly chargeContent: (now: number) => boolean
}

export const makeSecondaryWindows = (restPoints: number, graphqlPoints: number, windowMs: number, contentCreation: number): SecondaryWindows => {
  const windows = new Map<string, Window>()
  const spend = (key: string, amount: number, limit: number, now: number) => {
    let w = windows.get(key)
    if (!w || now >= w.start + windowMs) {
      w = { start: now, used: 0 }
      windows.set(key, w)
    }
    if (w.used + amount > limit) return false
    w.used += amount
    return true
  }
  return {
    charge: (endpoint, graphql, points, now) => spend(endpoint, points, graphql ? graphqlPoints : restPoints, now),
    // a key no endpoint has (endpoints start with their method)
    chargeContent: (now) => spend("content creation", 1, contentCreation, now)
  }
}
