import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Schema } from "effect"
import { makeConnectorId } from "../../../src/domain/Ids.js"
import { makeGitHubConnector } from "../../../src/platforms/github/Connector.js"
import { endpointOf } from "../../../src/platforms/github/Endpoint.js"
import { startGitHubSimulator } from "../../../src/platforms/github/simulator/Server.js"
import { defaultRateLimiterConfig } from "../../../src/sdk/RateLimiter.js"
import { runConnectorOnce } from "../../../src/pipeline/Pipeline.js"
import { fastOptions, pipelineOptions, runtimeLayer } from "../../support/GitHub.js"

// GitHub's 900 points/min per endpoint and 2,000 GraphQL points/min, scaled down to a 2 s window
const scaled = { restPointsPerEndpoint: 60, graphqlPoints: 130, windowSeconds: 2 }

// each test has a simulator of its own and mostly waits (rate windows, retry-after): run them side by side
describe.concurrent("GitHub pacing by the secondary limits", () => {
  it("an endpoint is its route template: every repository's collaborators are one endpoint", () => {
    expect(endpointOf("GET", "/repos/acme/a/collaborators")).toBe(endpointOf("get", "/repos/acme/b/collaborators"))
    expect(endpointOf("GET", "/orgs/acme/teams/x/members")).toBe("GET /orgs/{}/teams/{}/members")
    expect(endpointOf("PUT", "/repos/acme/a/collaborators/bob")).not.toBe(endpointOf("GET", "/repos/acme/a/collaborators"))
  })

  it.live("a paced pull gets no secondary limit; a raw burst on one endpoint is refused as GitHub does", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 90, members: 20, teams: 4, events: 40, seed: 15, secondaryLimits: scaled })
      const connector = yield* makeGitHubConnector(makeConnectorId("github-pacing"), {
        org: sim.org,
        token: Redacted.make(sim.token),
        apiUrl: sim.url,
        pageSize: 100,
        concurrency: 4,
        restPointsPerMinute: scaled.restPointsPerEndpoint,
        graphqlPointsPerMinute: scaled.graphqlPoints
      }, { ...fastOptions, pacingWindow: `${scaled.windowSeconds} seconds` })
      const summary = yield* runConnectorOnce(connector, pipelineOptions)
      expect(summary.errors).toEqual([])
      const pulled = yield* sim.stats
      expect(pulled.secondaryLimitedResponses).toBe(0)
      expect(pulled.rateLimitedResponses).toBe(0)
      // the pull needed more than one window's points on the collaborators endpoint, so pacing mattered
      const collaborators = (yield* sim.requestLog).filter((e) => /^\/repos\/[^/]+\/[^/]+\/collaborators/.test(e.path))
      expect(collaborators.length).toBeGreaterThan(scaled.restPointsPerEndpoint)

      // a client that ignores the limit: 90 GETs of one endpoint at once, in a fresh window
      yield* Effect.sleep(`${scaled.windowSeconds} seconds`)
      yield* sim.resetStats
      const answers = yield* Effect.forEach(
        Array.from({ length: 90 }, (_, i) => `${sim.url}/repos/${sim.org}/repo-${i}/collaborators`),
        (url) =>
          Effect.promise(async () => {
            const response = await fetch(url, { headers: { authorization: `Bearer ${sim.token}`, "user-agent": "burst-test" } })
            return { status: response.status, retryAfter: response.headers.get("retry-after"), message: String((await response.json() as { message?: unknown }).message) }
          }),
        { concurrency: "unbounded" }
      )
      const refused = answers.filter((a) => a.status === 403 && a.message.includes("secondary rate limit"))
      expect(refused.length).toBeGreaterThanOrEqual(90 - scaled.restPointsPerEndpoint)
      expect(refused.every((a) => a.retryAfter !== null)).toBe(true)
      expect((yield* sim.stats).secondaryLimitedResponses).toBe(refused.length)
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer(defaultRateLimiterConfig))), 30_000)

  it.live("writes are paced by the content-creation limit across endpoints: none is refused, where a raw burst is", () =>
    Effect.gen(function*() {
      // GitHub's 80 writes a minute, scaled down to 6 in a 2 s window
      const sim = yield* startGitHubSimulator({ repos: 4, members: 8, teams: 2, events: 0, seed: 15, secondaryLimits: { contentCreation: 6, windowSeconds: 2 } })
      const connector = yield* makeGitHubConnector(makeConnectorId("github-pacing-writes"), {
        org: sim.org,
        token: Redacted.make(sim.token),
        apiUrl: sim.url,
        pageSize: 100,
        concurrency: 4,
        contentCreationPerMinute: 6
      }, { ...fastOptions, pacingWindow: "2 seconds" })
      const slug = (yield* connector.client.getJson("core", `/orgs/${sim.org}/teams`, Schema.Array(Schema.Struct({ slug: Schema.String })), "list teams")).body[0]?.slug
      // ten writes on two endpoints, all at once
      const started = Date.now()
      yield* Effect.forEach(Array.from({ length: 10 }, (_, i) => i), (i) =>
        i % 2 === 0
          ? connector.client.write("PUT", `/orgs/${sim.org}/teams/${slug}/repos/${sim.org}/backend`, { permission: i % 4 === 0 ? "pull" : "push" }, "set a team's repository")
          : connector.client.write("PUT", `/repos/${sim.org}/backend/collaborators/alice`, { permission: i % 4 === 1 ? "push" : "maintain" }, "set a collaborator"), { concurrency: "unbounded" })
      expect((yield* sim.stats).secondaryLimitedResponses).toBe(0)
      // more than one window's writes: pacing spread them over more than one window
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_000)
      // the same ten writes sent raw, in a fresh window: GitHub's limit refuses the ones past six
      yield* Effect.sleep("2 seconds")
      const raw = yield* Effect.forEach(Array.from({ length: 10 }, (_, i) => i), (i) =>
        Effect.promise(() =>
          fetch(`${sim.url}/orgs/${sim.org}/teams/${slug}/repos/${sim.org}/backend`, {
            method: "PUT",
            headers: { authorization: `Bearer ${sim.token}`, "user-agent": "burst-test" },
            body: JSON.stringify({ permission: i % 2 ? "pull" : "push" })
          }).then((r) => r.status)
        ), { concurrency: "unbounded" })
      expect(raw.filter((s) => s === 403).length).toBe(4)
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer(defaultRateLimiterConfig))), 30_000)
})
