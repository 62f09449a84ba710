/**
 * A simulator of the parts of GitHub's REST and GraphQL APIs that the connector (and the Lumos
 * capabilities) use, faithful to GitHub's documented shapes, over real HTTP on 127.0.0.1. This file
 * is the server: it answers the simulator's own endpoints (ground truth, counters), then for every API
 * request checks the concurrency cap, waits the injected latency, refuses a request without
 * `User-Agent` (403, as GitHub does), checks Bearer auth and the token's scopes (401 with GitHub's
 * body), lets the limits and faults refuse, routes (REST or GraphQL), and sends ETags on every GET
 * with 304 on `If-None-Match` (free), `x-ratelimit-*` headers, and the odd truncated page.
 * The model, the routes, GraphQL, the limits and faults, and the truth each live in their own file here.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Fiber, type Scope } from "effect"
import { createHash } from "node:crypto"
import { chance, delay, truncate } from "../../../sdk/simulator/Faults.js"
import { jsonResponse, jsonText } from "../../../sdk/simulator/Json.js"
import { mulberry32 } from "../../../sdk/simulator/SeededRandom.js"
import { listen } from "../../../sdk/simulator/Serve.js"
import { faultSettings, makeRefusals } from "./Faults.js"
import { makeGraphQL } from "./GraphQL.js"
import { buildModel, byTimeThenId, makeEntry, repoByName } from "./Model.js"
import { makeRateWindows, makeSecondaryWindows, resourceOf } from "./RateWindows.js"
import {
  contentCreationPerMinute,
  endpointOf,
  graphqlPointsPerMinute,
  isContentCreation,
  maxConcurrentRequests,
  restPointsPerMinutePerEndpoint,
  secondaryPointsOf
} from "../Endpoint.js"
import { makeRestRoutes } from "./Rest.js"
import { makeStats } from "./Stats.js"
import { truthEventsOf, truthGrantsOf, truthEventOf } from "./Truth.js"
import type { GitHubSimulator, GitHubSimulatorOptions, LiveCounters, PendingInvitation, TruthEvent } from "./Types.js"
import { randomChange, runLive } from "./Live.js"
import { makeWrites } from "./Writes.js"
import { makeAppTokens } from "./AppTokens.js"
import { defaultTokenScopes, scopeHeaders, scopeRefusal, scopeRuleOf } from "./Scopes.js"
import { makeTokenUser } from "./TokenUser.js"

/** GitHub's answer to a request without `User-Agent`. */
const noUserAgentBody = {
  message:
    "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.",
  documentation_url: "https://docs.github.com/rest/overview/resources-in-the-rest-api#user-agent-required"
}

export const startGitHubSimulator = (options: GitHubSimulatorOptions = {}): Effect.Effect<GitHubSimulator, never, Scope.Scope> =>
  Effect.gen(function*() {
    const org = options.org ?? "acme-corp"
    const token = options.token ?? "ghp_simulated_token"
    const seed = options.seed ?? 42
    const historyEndsAt = options.historyEndsAt ?? Math.floor(Date.now() / 86_400_000) * 86_400_000
    const model = buildModel({
      org,
      repos: options.repos ?? 60,
      members: options.members ?? 50,
      teams: options.teams ?? 8,
      outsideCollaborators: options.outsideCollaborators ?? 6,
      events: options.events ?? 200,
      badEvents: options.badEvents ?? 0,
      seed,
      base: options.basePermission,
      historyEndsAt
    })
    const writes = makeWrites(model)
    const changeRng = mulberry32(seed ^ 0x1b873593)
    for (let i = 0; i < (options.changesAtStart ?? 0); i++) randomChange(model, writes, changeRng, Date.now())
    const liveCounters: LiveCounters = { events: 0, changes: 0 }
    const faults = faultSettings(options)
    const maxConcurrency = options.maxConcurrency ?? maxConcurrentRequests
    const tokenScopes = options.tokenScopes ?? defaultTokenScopes
    const faultRng = mulberry32(seed ^ 0x5bd1e995)
    const eventRng = mulberry32(seed ^ 0x27d4eb2f)
    // a personal access token gets 5,000/h; an app on Enterprise Cloud 15,000/h
    // the audit log has its own budget, 1,750 queries/h (an explicit rateLimit applies to every resource)
    const windows = makeRateWindows(
      options.rateLimit?.limit ?? (options.app ? 15_000 : 5000),
      (options.rateLimit?.windowSeconds ?? 3600) * 1000,
      options.rateLimit ? {} : { audit_log: 1750 }
    )
    const secondaryLimits = {
      restPointsPerEndpoint: options.secondaryLimits?.restPointsPerEndpoint ?? restPointsPerMinutePerEndpoint,
      graphqlPoints: options.secondaryLimits?.graphqlPoints ?? graphqlPointsPerMinute,
      windowSeconds: options.secondaryLimits?.windowSeconds ?? 60
    }
    const secondary = makeSecondaryWindows(
      secondaryLimits.restPointsPerEndpoint,
      secondaryLimits.graphqlPoints,
      secondaryLimits.windowSeconds * 1000,
      options.secondaryLimits?.contentCreation ?? contentCreationPerMinute
    )
    const appTokens = options.app ? makeAppTokens(options.app) : undefined
    const stats = makeStats(secondaryLimits)
    const refusals = makeRefusals(faults, faultRng, windows, stats, options.retryAfterSeconds ?? 1)
    const tokenUser = makeTokenUser(model, options.tokenOwner ?? true)
    const route = makeRestRoutes(model, windows, options.auditLogEnabled ?? true, writes, makeGraphQL(model, windows, stats, options.graphqlPartialErrors, options.nullPermissionSources))
    let inFlight = 0

    const pendingOf = (): ReadonlyArray<PendingInvitation> =>
      [...model.invitations.values()].map((i) => ({
        id: i.id,
        login: i.login,
        ...(i.email !== undefined ? { email: i.email } : {}),
        ...(i.repo ? { repo: `${org}/${i.repo.name}` } : {}),
        ...(i.org ? { role: i.org.role } : {})
      }))

    /** A push: only the repository's dates move (the simulator keeps no git content). */
    const push = (name: string): boolean => {
      const repo = repoByName(model, name)
      if (repo === undefined) return false
      repo.pushedAt = Math.max(Date.now(), repo.pushedAt + 1000)
      return true
    }

    /** The simulator's own endpoints: free, no auth, no faults. */
    const ownEndpoint = (path: string, method: string) => {
      // the ground truth
      if (path === "/_simulator/truth/grants") return jsonResponse({ status: 200, body: truthGrantsOf(model) })
      if (path === "/_simulator/truth/events") return jsonResponse({ status: 200, body: truthEventsOf(model, Date.now()) })
      // the counters, for a client in another process (benchmarks run the simulator as a child)
      if (path === "/_simulator/stats") return jsonResponse({ status: 200, body: stats.snapshot() })
      if (path === "/_simulator/reset-stats" && method === "POST") {
        stats.reset()
        return jsonResponse({ status: 200, body: stats.snapshot() })
      }
      // invitations wait for their invitee; accepting one here is what the invitee's click does on GitHub
      if (path === "/_simulator/invitations") return jsonResponse({ status: 200, body: pendingOf() })
      const accept = /^\/_simulator\/invitations\/(\d+)\/accept$/.exec(path)
      if (accept && method === "POST") {
        const accepted = writes.acceptInvitation({ actor: "ghost", now: Date.now() }, Number(accept[1]))._tag === "applied"
        return jsonResponse(accepted ? { status: 200, body: { accepted: true } } : { status: 404, body: { message: "Not Found" } })
      }
      const pushed = /^\/_simulator\/repos\/([^/]+)\/push$/.exec(path)
      if (pushed && method === "POST") {
        return jsonResponse(push(decodeURIComponent(pushed[1]!)) ? { status: 200, body: { pushed: true } } : { status: 404, body: { message: "Not Found" } })
      }
      if (path === "/_simulator/live") return jsonResponse({ status: 200, body: liveCounters })
      return undefined
    }

    const handler = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const base = `http://${request.headers["host"] ?? "127.0.0.1"}`
      const url = new URL(request.url, base)
      const method = request.method
      const at = Date.now()
      const own = ownEndpoint(url.pathname, method)
      if (own !== undefined) return yield* own

      const bodyText = method === "GET" || method === "DELETE" ? "" : yield* request.text.pipe(Effect.orElseSucceed(() => ""))
      const resource = resourceOf(url.pathname)
      const conditional = request.headers["if-none-match"] !== undefined
      stats.counters.requests++
      inFlight++
      const finish = (status: number, headers: Record<string, string>, body: string | undefined): HttpServerResponse.HttpServerResponse => {
        const retryAfter = headers["retry-after"]
        stats.log.push({
          at,
          finishedAt: Date.now(),
          method,
          path: url.pathname + url.search,
          status,
          resource,
          conditional,
          ...(retryAfter !== undefined ? { retryAfter: Number(retryAfter) } : {})
        })
        return jsonText(status, body, headers)
      }

      const respond = Effect.gen(function*() {
        if (inFlight > maxConcurrency) {
          const refused = refusals.tooManyInFlight(resource, Date.now())
          return finish(refused.status, refused.headers, refused.body)
        }
        yield* delay(faults.latencyMs + (faults.latencyJitterMs > 0 ? Math.floor(faultRng() * faults.latencyJitterMs) : 0))
        const now = Date.now()
        if ((request.headers["user-agent"] ?? "").trim() === "") return finish(403, {}, JSON.stringify(noUserAgentBody))
        const presented = /^(?:bearer|token)\s+(.+)$/i.exec(request.headers["authorization"] ?? "")?.[1]
        const installation = /^\/app\/installations\/([^/]+)\/access_tokens$/.exec(url.pathname)
        if (installation && method === "POST") {
          const answer = appTokens ? appTokens.issue(decodeURIComponent(installation[1] ?? ""), presented, now) : { status: 404, body: { message: "Not Found" } }
          return finish(answer.status, {}, JSON.stringify(answer.body))
        }
        // an installation token is good until it expires
        const appTokenUntil = presented !== undefined ? appTokens?.expiresAt(presented) : undefined
        const isAppToken = appTokenUntil !== undefined && appTokenUntil > now
        if (presented !== token && !isAppToken) {
          return finish(401, {}, JSON.stringify({ message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" }))
        }
        const rule = scopeRuleOf(model, method, url.pathname)
        // installation tokens carry the app's permissions, not OAuth scopes
        const scoped = isAppToken ? {} : scopeHeaders(tokenScopes, rule)
        const endpoint = endpointOf(method, url.pathname)
        const points = secondaryPointsOf(method, url.pathname, bodyText)
        if (
          resource !== "none" &&
          (!secondary.charge(endpoint, resource === "graphql", points, now) ||
            (isContentCreation(method, url.pathname, bodyText) && !secondary.chargeContent(now)))
        ) {
          const over = refusals.overPoints(resource, now)
          return finish(over.status, { ...scoped, ...over.headers }, over.body)
        }
        // what a benchmark divides by the limits for the floor they set on a pull's wall time
        if (resource !== "none") stats.points.set(endpoint, (stats.points.get(endpoint) ?? 0) + points)
        const refused = refusals.beforeRoute(resource, now)
        if (refused !== undefined) return finish(refused.status, { ...scoped, ...refused.headers }, refused.body)
        const unscoped = isAppToken ? undefined : scopeRefusal(tokenScopes, rule, url.pathname)
        if (unscoped !== undefined) {
          return finish(unscoped.status, { ...scoped, ...(resource === "none" ? {} : windows.rateHeaders(resource, now)) }, JSON.stringify(unscoped.body))
        }

        const answer = (isAppToken ? undefined : tokenUser(method, url.pathname, base)) ?? route(method, url, bodyText, base, now)
        const headers: Record<string, string> = { ...answer.headers }
        const rateHeaders = () => (resource === "none" ? {} : windows.rateHeaders(resource, now))
        let text = answer.body === undefined ? undefined : JSON.stringify(answer.body)
        const cost = answer.cost ?? 1
        if (method === "GET" && answer.status === 200 && text !== undefined) {
          const etag = `W/"${createHash("sha256").update(text).digest("hex").slice(0, 40)}"`
          const ifNoneMatch = request.headers["if-none-match"]
          if (ifNoneMatch !== undefined && ifNoneMatch.split(",").map((s) => s.trim()).includes(etag)) {
            stats.counters.notModified++
            return finish(304, { ...scoped, ...rateHeaders(), etag }, undefined)
          }
          if (chance(faultRng, faults.malformedRate)) {
            stats.counters.malformed++
            text = truncate(text)
          } else {
            headers["etag"] = etag
          }
        }
        if (resource !== "none" && cost > 0) {
          if (resource !== "graphql") windows.windowOf(resource, now).used += cost
          stats.spent.set(resource, (stats.spent.get(resource) ?? 0) + cost)
        }
        return finish(answer.status, { ...scoped, ...headers, ...rateHeaders() }, text)
      })
      return yield* respond.pipe(Effect.ensuring(Effect.sync(() => inFlight--)))
    })

    const url = yield* listen(HttpServer.serve(HttpRouter.empty.pipe(HttpRouter.all("*", handler))), options.port ?? 0)
    const liveFiber = options.live ? yield* Effect.forkScoped(runLive(model, writes, options.live, seed, liveCounters)) : undefined

    const simulator: GitHubSimulator = {
      url,
      token,
      org,
      truthGrants: Effect.sync(() => truthGrantsOf(model)),
      truthEvents: Effect.sync(() => truthEventsOf(model, Date.now())),
      requestLog: Effect.sync(() => [...stats.log]),
      pendingInvitations: Effect.sync(pendingOf),
      push: (repo) => Effect.sync(() => push(repo)),
      acceptInvitation: (id) => Effect.sync(() => writes.acceptInvitation({ actor: "ghost", now: Date.now() }, id)._tag === "applied"),
      live: Effect.sync(() => ({ ...liveCounters })),
      stopLive: liveFiber === undefined ? Effect.void : Fiber.interrupt(liveFiber).pipe(Effect.asVoid),
      addAuditEvents: (n) =>
        Effect.sync(() => {
          const added: Array<TruthEvent> = []
          for (let i = 0; i < n; i++) {
            const last = model.events[model.events.length - 1]
            const ts = Math.max(Date.now(), last?.ts ?? 0)
            const e = makeEntry(model, eventRng, ts, false)
            model.events.push(e)
            added.push(truthEventOf(model, e))
          }
          model.events.sort(byTimeThenId)
          return added
        }),
      stats: Effect.sync(stats.snapshot),
      resetStats: Effect.sync(stats.reset),
      setFaults: (next) =>
        Effect.sync(() => {
          Object.assign(faults, Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined)))
        })
    }
    return simulator
  })
