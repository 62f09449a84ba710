import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Stream, TestClock } from "effect"
import type { Connector } from "../../src/sdk/Connector.js"
import { makeScriptedConnector } from "../../src/sdk/ScriptedConnector.js"
import { ConnectorError } from "../../src/domain/Errors.js"
import { EventSink, MemorySink } from "../../src/services/EventSink.js"
import { defaultPipelineOptions, type PipelineOptions } from "../../src/pipeline/Options.js"
import { backoffDelay, runScheduled } from "../../src/pipeline/Scheduler.js"
import { decodeRawEventJson } from "../../src/pipeline/Wire.js"
import { memoryStateStores } from "../../src/services/StateStores.js"

const options: PipelineOptions = {
  ...defaultPipelineOptions,
  batchSize: 10,
  batchWindow: "10 millis",
  publishRetry: { times: 0, base: "1 millis", cap: "1 millis" }
}

const entries = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ id: `e${from + i}`, ts: 1000 + from + i, actor: "alice", asset: "acme/api", action: "repo.access" }))

/** A connector whose audit stream fails the first `failures` times it is pulled, and counts its pulls. */
const flaky = (failures: number) => {
  const pulls: Array<number> = []
  const healthy = makeScriptedConnector({ id: "flaky", platform: "mockapp", entries: entries(3) })
  const connector: Connector = {
    ...healthy,
    auditEvents: (from) =>
      Stream.unwrap(Effect.gen(function*() {
        pulls.push(yield* TestClock.currentTimeMillis)
        return pulls.length <= failures
          ? Stream.fail(new ConnectorError({ reason: "transport", platform: "mockapp", message: "upstream down" }))
          : healthy.auditEvents(from)
      }))
  }
  return { connector, pulls }
}

describe("Scheduler", () => {
  it("backs off exponentially up to its cap", () => {
    const b = { base: "5 seconds", cap: "1 minute" } as const
    expect([1, 2, 3, 4, 5].map((n) => Duration.toSeconds(backoffDelay(b, n)))).toEqual([5, 10, 20, 40, 60])
  })

  it.effect("runs each stream on its own schedule; a failing connector is retried with backoff while the other goes on", () =>
    Effect.gen(function*() {
      let grown = entries(2)
      const steady = makeScriptedConnector({ id: "steady", platform: "github", entries: grown })
      // a connector whose log grows between cycles: each audit cycle publishes only what is new
      const growing: Connector = { ...steady, auditEvents: (from) => makeScriptedConnector({ id: "steady", platform: "github", entries: grown }).auditEvents(from) }
      const { connector: broken, pulls } = flaky(3)
      const fiber = yield* Effect.fork(runScheduled(
        [
          { connector: growing, schedule: { permissions: "1 hour", audit: "1 minute" } },
          { connector: broken, schedule: { permissions: "1 hour", audit: "1 minute" } }
        ],
        options,
        { base: "5 seconds", cap: "1 minute" }
      ))
      yield* TestClock.adjust("1 second")
      const sink = yield* MemorySink
      const steadyIds = () => sink.messages.pipe(
        Effect.map((ms) => ms.filter((m) => m.topic === "verity.events.raw.github").map((m) => decodeRawEventJson(m.value).eventId))
      )
      expect(yield* steadyIds()).toEqual(["e0", "e1"])
      grown = entries(4)
      yield* TestClock.adjust("1 minute")
      expect(yield* steadyIds()).toEqual(["e0", "e1", "e2", "e3"])
      // the broken connector failed at 0, was retried after 5 s, then 10 s, then succeeded after 20 s
      yield* TestClock.adjust("2 minutes")
      expect(pulls.slice(0, 4)).toEqual([0, 5_000, 15_000, 35_000])
      const brokenIds = (yield* sink.messages).filter((m) => m.topic === "verity.events.raw.mockapp").map((m) => decodeRawEventJson(m.value).eventId)
      expect(brokenIds).toEqual(["e0", "e1", "e2"])
      // after its recovery it is back on its normal 1-minute schedule
      expect(pulls[4]).toBe(95_000)
      yield* Fiber.interrupt(fiber)
    }).pipe(Effect.provide(Layer.merge(EventSink.memory, memoryStateStores))))
})
