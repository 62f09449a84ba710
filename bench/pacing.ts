/**
 * Pacing by GitHub's secondary limits: a full pull (permissions + audit) against the simulator enforcing
 * them, its wall time beside the floor the limits set for the busiest REST endpoint (points on it ÷ the
 * endpoint's points per window × the window). GitHub's 900 points/min is scaled to 300 points per 10 s
 * (30 requests/s, below the default rate limiter's 50/s) so the row runs in seconds; the ratio
 * floor/ours is what the pacing keeps of the limit. Target: ≥0.9 with 0 secondary-limit answers.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer, Redacted } from "effect"
import { makeConnectorId } from "../src/domain/Ids.js"
import { endpointOf } from "../src/platforms/github/Endpoint.js"
import { makeGitHubConnector } from "../src/platforms/github/Connector.js"
import { startGitHubSimulator } from "../src/platforms/github/simulator/Server.js"
import { defaultPipelineOptions } from "../src/pipeline/Options.js"
import { runConnectorOnce } from "../src/pipeline/Pipeline.js"
import { defaultRateLimiterConfig, RateLimiter } from "../src/sdk/RateLimiter.js"
import { EventSink } from "../src/services/EventSink.js"
import { memoryStateStores } from "../src/services/StateStores.js"
import { type Figure, fmt } from "./lib.js"

export const pacing = (repos: number) =>
  Effect.gen(function*() {
    const limits = { restPointsPerEndpoint: 300, graphqlPoints: 660, windowSeconds: 10 }
    const sim = yield* startGitHubSimulator({ repos, members: 40, teams: 8, events: 200, seed: 15, secondaryLimits: limits })
    const connector = yield* makeGitHubConnector(makeConnectorId("github-pacing-bench"), {
      org: sim.org,
      token: Redacted.make(sim.token),
      apiUrl: sim.url,
      pageSize: 100,
      concurrency: 4,
      restPointsPerMinute: limits.restPointsPerEndpoint,
      graphqlPointsPerMinute: limits.graphqlPoints
    }, { pacingWindow: `${limits.windowSeconds} seconds` })
    const t0 = Date.now()
    const summary = yield* runConnectorOnce(connector, defaultPipelineOptions)
    const ms = Date.now() - t0
    const stats = yield* sim.stats
    const perEndpoint = new Map<string, number>()
    for (const e of yield* sim.requestLog) {
      if (e.resource !== "core") continue
      const key = endpointOf(e.method, e.path)
      perEndpoint.set(key, (perEndpoint.get(key) ?? 0) + (e.method === "GET" || e.method === "HEAD" ? 1 : 5))
    }
    const [busiest, points] = [...perEndpoint].reduce((a, b) => (b[1] > a[1] ? b : a), ["", 0])
    const floorMs = (points / limits.restPointsPerEndpoint) * limits.windowSeconds * 1000
    const ratio = floorMs / ms
    const figure: Figure = {
      name: `GitHub pacing by the secondary limits (900 points/min per REST endpoint scaled to ${limits.restPointsPerEndpoint} per ${limits.windowSeconds} s): full pull of ${fmt(repos)} repositories vs the floor the limit sets on its busiest endpoint`,
      ours: `${(ms / 1000).toFixed(2)} s, ${stats.secondaryLimitedResponses} secondary-limit answers, ${summary.errors.length} errors`,
      baseline: `floor ${(floorMs / 1000).toFixed(2)} s (${fmt(points)} points on ${busiest})`,
      ratio: ratio.toFixed(2),
      target: "floor/ours >= 0.9 with 0 secondary-limit answers",
      met: ratio >= 0.9 && stats.secondaryLimitedResponses === 0 && summary.errors.length === 0
    }
    return [figure]
  }).pipe(
    Effect.scoped,
    Effect.provide(Layer.mergeAll(NodeHttpClient.layerUndici, RateLimiter.layer(defaultRateLimiterConfig), EventSink.memory, memoryStateStores))
  )
