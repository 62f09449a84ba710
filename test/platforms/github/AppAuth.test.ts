/** GitHub App authentication against the simulator: an installation token bought with the app's JWT, and bought again before it ends. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { generateKeyPairSync } from "node:crypto"
import { makeConnectorId } from "../../../src/domain/Ids.js"
import { runConnectorOnce, runPermissions } from "../../../src/pipeline/Pipeline.js"
import { makeGitHubConnector } from "../../../src/platforms/github/Connector.js"
import { startGitHubSimulator } from "../../../src/platforms/github/simulator/Server.js"
import type { GitHubSimulator } from "../../../src/platforms/github/simulator/Types.js"
import { MemorySink } from "../../../src/services/EventSink.js"
import { captureLogs, fastOptions, pipelineOptions, publishedEvents, publishedSnapshots, runtimeLayer, sortedKeys } from "../../support/GitHub.js"

const pem = (bits: number) => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: bits })
  return {
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKey: publicKey.export({ type: "spki", format: "pem" }).toString()
  }
}

const appConnector = (sim: GitHubSimulator, privateKey: string) =>
  makeGitHubConnector(makeConnectorId("github-app"), {
    org: sim.org,
    apiUrl: sim.url,
    pageSize: 100,
    concurrency: 4,
    appId: 4242,
    installationId: "77",
    privateKey: Redacted.make(privateKey)
  }, fastOptions)

describe("GitHub App authentication", () => {
  it.live("pulls through an installation token, buys a new one before it ends, and a wrong key is one clear error", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const keys = pem(2048)
      const sim = yield* startGitHubSimulator({
        repos: 8, members: 8, teams: 2, events: 30, seed: 14,
        app: { appId: 4242, installationId: 77, publicKey: keys.publicKey, tokenLifetimeSeconds: 5 }
      })
      const connector = yield* appConnector(sim, keys.privateKey)
      const first = yield* runConnectorOnce(connector, pipelineOptions)
      expect(first.errors).toEqual([])
      expect(sortedKeys((yield* publishedSnapshots) as never)).toEqual(sortedKeys(yield* sim.truthGrants))
      expect((yield* publishedEvents).map((e) => e["event_id"])).toEqual((yield* sim.truthEvents).map((e) => e.event_id))
      const bought = () => Effect.map(sim.requestLog, (log) => log.filter((e) => e.path === "/app/installations/77/access_tokens"))
      const firstBuys = (yield* bought()).map((e) => e.status)
      // one token, or two if this slow machine took past four fifths of its 5 s life
      expect(firstBuys.length).toBeGreaterThanOrEqual(1)
      expect(firstBuys.length).toBeLessThanOrEqual(2)
      expect(firstBuys.every((s) => s === 201)).toBe(true)

      // past four fifths of the token's life: the same connector buys a new one before sending anything else
      yield* Effect.sleep("4200 millis")
      yield* (yield* MemorySink).clear
      yield* runPermissions(connector, pipelineOptions)
      expect(sortedKeys((yield* publishedSnapshots) as never)).toEqual(sortedKeys(yield* sim.truthGrants))
      const buys = (yield* bought()).map((e) => e.status)
      expect(buys.length).toBeGreaterThan(firstBuys.length)
      expect(buys.every((s) => s === 201)).toBe(true)
      const log = yield* sim.requestLog
      expect(log.filter((e) => e.status === 401)).toEqual([])

      // a key that is not the app's: one error that says what to check, and no secret in it or the logs
      const wrong = yield* appConnector(sim, pem(1024).privateKey)
      const error = yield* runPermissions(wrong, pipelineOptions).pipe(Effect.flip)
      expect(error.message).toBe(
        "GitHub refused to buy an installation token for GitHub App 4242, installation 77 (HTTP 401): check the app id, the installation id and the private key"
      )
      expect(logs.lines.join("\n")).not.toContain("PRIVATE KEY")
      expect(logs.lines.join("\n")).not.toContain("ghs_")
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer()), Effect.provide(logs.layer))
  }, 60_000)
})
