import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Option, Stream } from "effect"
import { ConnectorError } from "../../src/domain/Errors.js"
import { makeConnectorId, makePlatform } from "../../src/domain/Ids.js"
import { defaultPipelineOptions, type PipelineOptions } from "../../src/pipeline/Options.js"
import { runAudit, runConnectorOnce, runPermissions } from "../../src/pipeline/Pipeline.js"
import type { Connector } from "../../src/sdk/Connector.js"
import { makeScriptedConnector } from "../../src/sdk/ScriptedConnector.js"
import { EventSink } from "../../src/services/EventSink.js"
import { RunnerName, RunStore } from "../../src/services/RunStore.js"
import { memoryStateStores } from "../../src/services/StateStores.js"

const options: PipelineOptions = { ...defaultPipelineOptions, batchSize: 2, batchWindow: "1 hour", publishRetry: { times: 0, base: "1 millis", cap: "1 millis" } }
const layers = Layer.mergeAll(EventSink.memory, memoryStateStores, Layer.succeed(RunnerName, "runner-7"))

const scripted = makeScriptedConnector({
  id: "hr",
  platform: "hris",
  entries: [1, 2, 3].map((n) => ({ id: `e${n}`, ts: n * 1000, actor: "ada", asset: "payroll", action: "session.login" })),
  grants: [{ principal: "ada", asset: "payroll", privilege: "ADMIN", mechanism: "direct" }]
})

describe("run records", () => {
  it.effect("each stream run is recorded with the runner, its outcome and its counts; the summary names the run", () =>
    Effect.gen(function*() {
      const summary = yield* runConnectorOnce(scripted, options)
      expect(summary.errors).toEqual([])
      const runs = yield* (yield* RunStore).list()
      expect(runs.map((r) => [r.connectorId, r.stream, r.runner, r.outcome, r.published]).sort()).toEqual([
        ["hr", "audit", "runner-7", "complete", 3],
        ["hr", "permissions", "runner-7", "complete", 1]
      ])
      expect(runs.every((r) => Option.isSome(r.finishedAt))).toBe(true)
      const audit = yield* runAudit(scripted, options)
      expect((yield* (yield* RunStore).list({ stream: "audit", limit: 1 }))[0]?.runId).toBe(audit.runId)
    }).pipe(Effect.provide(layers)))

  it.effect("a run that fails is recorded failed, with the reason and what it published before failing", () =>
    Effect.gen(function*() {
      const failing: Connector = {
        ...scripted,
        id: makeConnectorId("broken"),
        platform: makePlatform("hris"),
        permissions: Stream.concat(
          scripted.permissions,
          Stream.fail(new ConnectorError({ reason: "api_error", platform: "hris", message: "HTTP 500 from /grants" }))
        )
      }
      const error = yield* Effect.flip(runPermissions(failing, { ...options, batchSize: 1 }))
      expect(error._tag).toBe("ConnectorError")
      const [run] = yield* (yield* RunStore).list({ connectorId: "broken" })
      expect(run).toMatchObject({ outcome: "failed", published: 1, stream: "permissions" })
      expect(Option.getOrUndefined(run!.error)).toContain("HTTP 500 from /grants")
    }).pipe(Effect.provide(layers)))

  it.effect("an interrupted run is recorded failed as interrupted", () =>
    Effect.gen(function*() {
      const endless: Connector = { ...scripted, id: makeConnectorId("endless"), permissions: Stream.never }
      const fiber = yield* Effect.fork(runPermissions(endless, options))
      yield* Effect.yieldNow()
      const running = yield* (yield* RunStore).list({ connectorId: "endless" })
      expect(running.map((r) => r.outcome)).toEqual(["running"])
      yield* Fiber.interrupt(fiber)
      const [run] = yield* (yield* RunStore).list({ connectorId: "endless" })
      expect(run?.outcome).toBe("failed")
      expect(run?.error).toEqual(Option.some("interrupted"))
    }).pipe(Effect.provide(layers)))
})
