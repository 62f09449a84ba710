/** The MockApp connector feeds the pipeline: one snapshot per association, one event per login, resumable. */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { makeMockAppConnector } from "../../../src/platforms/mockapp/Connector.js"
import { MockAppConnectorSettings } from "../../../src/platforms/mockapp/Settings.js"
import { startMockAppSimulator } from "../../../src/platforms/mockapp/simulator/Server.js"
import { makeConnectorId } from "../../../src/domain/Ids.js"
import { EventSink, MemorySink } from "../../../src/services/EventSink.js"
import { RateLimiter } from "../../../src/sdk/RateLimiter.js"
import { runConnectorOnce } from "../../../src/pipeline/Pipeline.js"
import { memoryStateStores } from "../../../src/services/StateStores.js"

const layers = Layer.mergeAll(NodeHttpClient.layerUndici, RateLimiter.default, EventSink.memory, memoryStateStores)

describe("MockApp connector in the pipeline", () => {
  it.scoped("publishes one snapshot per association and one event per login, then resumes without repeats", () =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator({ seed: 11, users: 20 })
      const state = yield* sim.state
      // a small page size so both streams really page
      const settings = new MockAppConnectorSettings({ api_url: sim.url, token: Redacted.make(sim.token), page_size: 3 })
      const connector = yield* makeMockAppConnector(makeConnectorId("mockapp-test"), settings)
      const summary = yield* runConnectorOnce(connector)
      expect(summary.errors).toEqual([])
      expect(summary.snapshots).toBe(state.associations.length)
      expect(summary.events).toBe(state.logins.length)

      const sink = yield* MemorySink
      const messages = yield* sink.messages
      const snapshots = messages.filter((m) => m.topic === "verity.permissions.snapshots.mockapp").map((m) => JSON.parse(m.value ?? "null"))
      const events = messages.filter((m) => m.topic === "verity.events.raw.mockapp").map((m) => JSON.parse(m.value ?? "null"))
      const kinds = new Map(state.entitlements.map((e) => [e.id, e.type]))
      expect(snapshots.map((s) => [s.principal_ref, s.asset_ref, s.privilege, s.grant_mechanism])).toEqual(
        state.associations.map((a) => [a.user_id, a.resource_id, a.entitlement_id, kinds.get(a.entitlement_id) === "team_member" ? "group" : "role"])
      )
      expect(new Set(snapshots.map((s) => s.grant_mechanism))).toEqual(new Set(["group", "role"]))
      expect(events.map((e) => [e.event_id, e.principal_ref, e.occurred_at])).toEqual(state.logins.map((l) => [l.id, l.user_id, l.at]))
      // the token never reaches a published record
      expect(messages.some((m) => (m.value ?? "").includes(sim.token))).toBe(false)

      // a second run resumes from the checkpoint: no login is published twice
      const again = yield* runConnectorOnce(connector)
      expect(again.events).toBe(0)
      expect(again.duplicates).toBeGreaterThanOrEqual(1)
      const last = state.logins[state.logins.length - 1]!
      expect(again.checkpointAfter._tag === "Some" && again.checkpointAfter.value.timestamp).toBe(Date.parse(last.at))
    }).pipe(Effect.provide(layers)))

  it.scoped("a wrong token fails both streams with a readable error and publishes nothing", () =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator()
      const settings = new MockAppConnectorSettings({ api_url: sim.url, token: Redacted.make("wrong-token"), page_size: 10 })
      const connector = yield* makeMockAppConnector(makeConnectorId("mockapp-bad"), settings)
      const summary = yield* runConnectorOnce(connector)
      expect(summary.errors.length).toBe(2)
      for (const e of summary.errors) expect(e).toContain("401")
      expect(summary.errors.join("\n")).not.toContain("wrong-token")
      expect(yield* (yield* MemorySink).messages).toEqual([])
    }).pipe(Effect.provide(layers)))
})
