/**
 * The MockApp simulator as the program runs it: `simulate mockapp --port P [--token T] [--seed S]
 * [--users N]` (its options, and what it prints) and the demo's instance.
 */
import { Options } from "@effect/cli"
import { Effect } from "effect"
import { defineSimulator } from "../../../sdk/Plugin.js"
import { startMockAppSimulator } from "./Server.js"

export const mockappSimulator = defineSimulator({
  description: "Serve the MockApp mock API server (the Lumos tutorial's FastAPI app), seeded and in memory",
  options: Options.all({
    port: Options.integer("port").pipe(Options.withDefault(8000), Options.withDescription("port on 127.0.0.1 (0 picks a free one)")),
    token: Options.text("token").pipe(Options.withDefault("valid-token"), Options.withDescription("the bearer token the API accepts")),
    seed: Options.integer("seed").pipe(Options.withDefault(42), Options.withDescription("seed of the generated users and grants")),
    users: Options.integer("users").pipe(Options.withDefault(12), Options.withDescription("how many users to seed")),
    errorRate: Options.float("error-rate").pipe(Options.withDefault(0), Options.withDescription("share of API requests answered 503")),
    rateLimitRate: Options.float("rate-limit-rate").pipe(Options.withDefault(0), Options.withDescription("share of API requests answered 429")),
    latencyMs: Options.integer("latency-ms").pipe(Options.withDefault(0), Options.withDescription("added latency per request"))
  }),
  serve: ({ errorRate, latencyMs, port, rateLimitRate, seed, token, users }) =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator({ port, token, seed, users, errorRate, rateLimitRate, latencyMs })
      yield* Effect.logInfo(`MockApp API at ${sim.url}/api (docs ${sim.url}/docs, OpenAPI ${sim.url}/openapi.json); Ctrl-C stops it`)
    }),
  demo: startMockAppSimulator({ seed: 42 }).pipe(
    Effect.map((sim) => ({ url: sim.url, settings: { api_url: sim.url, token: sim.token } }))
  )
})
