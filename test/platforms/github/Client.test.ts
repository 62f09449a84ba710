import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Redacted, Schema, TestClock } from "effect"
import { makeGitHubClient } from "../../../src/platforms/github/Client.js"
import { makeGitHubConnector } from "../../../src/platforms/github/Connector.js"
import { makeConnectorId } from "../../../src/domain/Ids.js"
import { startGitHubSimulator } from "../../../src/platforms/github/simulator/Server.js"
import { type GitHubSimulatorOptions } from "../../../src/platforms/github/simulator/Types.js"
import { runAudit, runConnectorOnce, runPermissions } from "../../../src/pipeline/Pipeline.js"
import { captureLogs, type ClientRecord, connectorFor, fastOptions, limiterLayer, pipelineOptions, publishedEvents, publishedSnapshots, runtimeLayer, sortedKeys } from "../../support/GitHub.js"

/** A full cycle (permissions + audit) that must come out equal to the simulator's truth. */
const fullPullEqualsTruth = (simOptions: GitHubSimulatorOptions, settings: { readonly pageSize?: number } = {}) =>
  Effect.gen(function*() {
    const sim = yield* startGitHubSimulator(simOptions)
    const connector = yield* connectorFor(sim, settings)
    const summary = yield* runConnectorOnce(connector, pipelineOptions)
    expect(summary.errors).toEqual([])
    const truthGrants = yield* sim.truthGrants
    const truthEvents = yield* sim.truthEvents
    expect(sortedKeys((yield* publishedSnapshots) as never)).toEqual(sortedKeys(truthGrants))
    expect((yield* publishedEvents).map((e) => e["event_id"])).toEqual(truthEvents.map((e) => e.event_id))
    return { sim, stats: yield* sim.stats, log: yield* sim.requestLog }
  })

// each test has a simulator of its own and mostly waits (rate windows, retry-after): run them side by side
describe.concurrent("GitHub connector as a good API citizen", () => {
  it.live("a budget of 100 requests per 4 s window: the full pull waits for the reset and gets no 403/429", () =>
    Effect.gen(function*() {
      const { log, stats } = yield* fullPullEqualsTruth({
        repos: 50,
        members: 30,
        teams: 8,
        events: 150,
        seed: 5,
        rateLimit: { limit: 100, windowSeconds: 4 }
      })
      expect(stats.rateLimitedResponses).toBe(0)
      expect(log.filter((e) => e.status === 403 || e.status === 429)).toEqual([])
      // more than one window's budget was needed, so the pull really waited for a reset
      const core = log.filter((e) => e.resource === "core")
      expect(core.length).toBeGreaterThan(100)
      const first = core[0]?.at ?? 0
      console.log(`rate limit window: ${core.length} core requests over ${core[core.length - 1]!.at - first} ms`)
      expect(core.some((e) => e.at >= first + 3_000)).toBe(true)
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())), 60_000)

  it.live("each budget is its own (x-ratelimit-resource): a spent audit_log budget pauses the audit stream, not the permissions pull", () =>
    Effect.gen(function*() {
      const windowMs = 5_000
      const sim = yield* startGitHubSimulator({ repos: 3, members: 5, teams: 1, events: 40, seed: 6, rateLimit: { limit: 20, windowSeconds: windowMs / 1000 } })
      // 40 events at 2 a page: 20 pages, the audit_log budget of 20 runs down and the stream waits for its reset
      const audit = yield* Effect.fork(Effect.flatMap(connectorFor(sim, { pageSize: 2 }), (c) => runAudit(c, pipelineOptions)))
      const spentAt = yield* Effect.gen(function*() {
        for (;;) {
          const log = yield* sim.requestLog
          const audits = log.filter((e) => e.resource === "audit_log")
          if (audits.length >= 14) return audits[0]!.at
          yield* Effect.sleep("20 millis")
        }
      })
      // meanwhile the core budget is untouched: the permissions pull runs now, not after the audit reset
      yield* runPermissions(yield* connectorFor(sim), pipelineOptions)
      const pulledAt = Date.now()
      expect(pulledAt).toBeLessThan(spentAt + windowMs)
      const published = yield* Fiber.join(audit)
      expect(published.published).toBe((yield* sim.truthEvents).length)
      const log = yield* sim.requestLog
      // the audit stream waited for its own reset and was never refused; neither was anything else
      expect(log.filter((e) => e.status === 403 || e.status === 429)).toEqual([])
      expect(log.some((e) => e.resource === "audit_log" && e.at >= spentAt + windowMs)).toBe(true)
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())), 30_000)

  it.live("injected secondary limits: no request is sent before retry-after has passed", () => {
    const sent: Array<ClientRecord> = []
    const logs = captureLogs()
    return Effect.gen(function*() {
      const { log, stats } = yield* fullPullEqualsTruth({
        repos: 20,
        members: 10,
        teams: 3,
        events: 60,
        seed: 9,
        secondaryRateLimitRate: 0.1,
        retryAfterSeconds: 1
      }, { pageSize: 20 })
      const limited = log.filter((e) => (e.status === 403 || e.status === 429) && e.retryAfter !== undefined)
      expect(limited.length).toBeGreaterThan(0)
      expect(stats.rateLimitedResponses).toBe(limited.length)

      // the simulator's log: each refused request came back only once retry-after had passed
      const early = limited.flatMap((l) => {
        const retry = log.find((e) => e.at > l.finishedAt && e.method === l.method && e.path === l.path)
        return retry === undefined || retry.at >= l.finishedAt + (l.retryAfter ?? 0) * 1000 - 10
          ? []
          : [`${l.path} retried ${retry.at - l.finishedAt} ms after a ${l.status}`]
      })
      expect(early).toEqual([])

      // the client's own record: after a refusal arrived, nothing at all (any budget) left before retry-after
      const refusals = sent.filter((r) => (r.status === 403 || r.status === 429) && r.retryAfter !== undefined)
      expect(refusals.length).toBe(limited.length)
      const violations = refusals.flatMap((l) =>
        sent.filter((r) => r.sentAt > l.receivedAt && r.sentAt < l.receivedAt + Number(l.retryAfter) * 1000 - 2)
          .map((r) => `${r.url} sent ${r.sentAt - l.receivedAt} ms after a ${l.status} with retry-after ${l.retryAfter}`)
      )
      expect(violations).toEqual([])
      // the waits were logged, and no log line carries the token
      expect(logs.lines.some((l) => l.includes("rate limited; waiting before retrying"))).toBe(true)
      expect(logs.lines.join("\n")).not.toContain("ghp_simulated_token")
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer({}, sent)), Effect.provide(logs.layer))
  }, 60_000)

  it.live("10% 5xx answers and latency jitter: the pull completes and is correct", () =>
    Effect.gen(function*() {
      const { stats } = yield* fullPullEqualsTruth({
        repos: 30,
        members: 20,
        teams: 4,
        events: 120,
        seed: 21,
        errorRate: 0.1,
        latencyMs: 2,
        latencyJitterMs: 20
      }, { pageSize: 25 })
      expect(stats.serverErrors).toBeGreaterThan(0)
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())), 60_000)

  it.live("malformed pages are fetched again; a page that stays malformed fails with a clear error", () =>
    Effect.gen(function*() {
      const { stats } = yield* fullPullEqualsTruth({ repos: 20, members: 10, teams: 3, events: 80, seed: 4, malformedRate: 0.15 }, {
        pageSize: 20
      })
      expect(stats.malformed).toBeGreaterThan(0)

      const broken = yield* startGitHubSimulator({ repos: 3, members: 3, teams: 1, malformedRate: 1 })
      const error = yield* runPermissions(yield* connectorFor(broken), pipelineOptions).pipe(Effect.flip)
      expect(error.message).toMatch(/returned a malformed page \(not JSON, \d+ bytes\) from http:\/\/127\.0\.0\.1:\d+\/orgs\/acme-corp$/)
      // first try + 3 refetches, then it gave up
      expect((yield* broken.stats).malformed).toBe(4)
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())), 60_000)

  it.live("more requests in flight than GitHub allows are refused; a limiter capped below it never is", () =>
    Effect.gen(function*() {
      const capped = yield* Effect.scoped(
        fullPullEqualsTruth({ repos: 8, members: 8, teams: 2, events: 20, seed: 12, maxConcurrency: 2, latencyMs: 15 }, { pageSize: 10 })
      ).pipe(Effect.provide(runtimeLayer({ maxConcurrency: 2 })))
      expect(capped.stats.rateLimitedResponses).toBe(0)
      const over = yield* Effect.scoped(
        fullPullEqualsTruth({ repos: 8, members: 8, teams: 2, events: 20, seed: 12, maxConcurrency: 2, latencyMs: 15 }, { pageSize: 10 })
      ).pipe(Effect.provide(runtimeLayer({ maxConcurrency: 8 })))
      // the refused ones were retried after retry-after, and the result is still exact
      expect(over.stats.rateLimitedResponses).toBeGreaterThan(0)
    }), 60_000)

  it.live("secondary limits without retry-after: the client waits at least the floor (a setting, 1 s here), then longer; the pull is exact", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 6, members: 5, teams: 1, events: 10, seed: 31, secondaryRateLimitRate: 0.15, secondaryWithoutRetryAfterShare: 1 })
      const { secondaryBackoff: _, ...noBackoff } = fastOptions
      const connector = yield* makeGitHubConnector(makeConnectorId("github-test"), {
        org: sim.org, token: Redacted.make(sim.token), apiUrl: sim.url, pageSize: 100, concurrency: 4, secondaryWaitSeconds: 1
      }, noBackoff)
      const summary = yield* runConnectorOnce(connector, pipelineOptions)
      expect(summary.errors).toEqual([])
      expect(sortedKeys((yield* publishedSnapshots) as never)).toEqual(sortedKeys(yield* sim.truthGrants))
      const log = yield* sim.requestLog
      const bare = log.filter((e) => (e.status === 403 || e.status === 429) && e.retryAfter === undefined)
      expect(bare.length).toBeGreaterThan(0)
      const early = bare.flatMap((l) => {
        const retry = log.find((e) => e.at > l.finishedAt && e.method === l.method && e.path === l.path)
        return retry === undefined || retry.at >= l.finishedAt + 1000 - 10 ? [] : [`${l.path} retried ${retry.at - l.finishedAt} ms after a bare ${l.status}`]
      })
      expect(early).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())), 60_000)

  it.effect("by default, a secondary limit without retry-after waits 60 s before the retry", () => {
    let calls = 0
    const http = Layer.succeed(
      HttpClient.HttpClient,
      HttpClient.make((request) =>
        Effect.sync(() => {
          calls++
          const refused = calls === 1
          return HttpClientResponse.fromWeb(
            request,
            new Response(refused ? JSON.stringify({ message: "You have exceeded a secondary rate limit." }) : "{}", {
              status: refused ? 403 : 200,
              headers: { "content-type": "application/json" }
            })
          )
        })
      )
    )
    return Effect.gen(function*() {
      const client = yield* makeGitHubClient({ org: "acme-corp", token: Redacted.make("t"), apiUrl: "https://api.github.com", pageSize: 100, concurrency: 4 })
      const fiber = yield* Effect.fork(client.getJson("core", "/orgs/acme-corp", Schema.Unknown, "read the org"))
      yield* TestClock.adjust("59 seconds")
      expect(calls).toBe(1)
      yield* TestClock.adjust("2 minutes")
      yield* Fiber.join(fiber)
      expect(calls).toBe(2)
    }).pipe(Effect.provide(Layer.merge(http, limiterLayer())))
  })
})

describe("token scopes", () => {
  it.live("a token without read:audit_log: the audit stream fails with one error naming the scope and the owner; without read:org the pull fails naming it", () =>
    Effect.gen(function*() {
      const noAudit = yield* startGitHubSimulator({ repos: 3, members: 4, teams: 1, events: 5, tokenScopes: ["read:org", "repo"] })
      const error = yield* runAudit(yield* connectorFor(noAudit), pipelineOptions).pipe(Effect.flip)
      expect(error.message).toBe(
        "GitHub refused to read the audit log of acme-corp (HTTP 403): the token lacks the read:audit_log scope; it has read:org, repo. " +
          "Add read:audit_log to the token. The audit log needs a token with the read:audit_log scope that belongs to an owner of acme-corp."
      )
      expect(yield* publishedEvents).toEqual([])
      const noOrg = yield* startGitHubSimulator({ repos: 3, members: 4, teams: 1, events: 5, tokenScopes: ["read:audit_log", "public_repo"] })
      const denied = yield* runPermissions(yield* connectorFor(noOrg), pipelineOptions).pipe(Effect.flip)
      expect(denied.message).toMatch(/^GitHub refused to .+ \(HTTP 403\): the token lacks the read:org scope \(or one of admin:org, write:org\); it has read:audit_log, public_repo\. Add read:org to the token\.$/)
      const summary = yield* runConnectorOnce(yield* connectorFor(noOrg), pipelineOptions)
      expect(summary.errors.length).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())), 60_000)
})
