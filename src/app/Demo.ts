/**
 * The demo (what `npm start` runs): every registered platform's simulator in-process on a random port,
 * one cycle of each platform's connector into the embedded defaults (PGlite under `<dataDir>/pgdata`,
 * JSON lines under `<dataDir>/out`), and a readable summary. A second run resumes from the stored
 * checkpoints, so no audit event is published twice. A platform without a simulator is not in the demo.
 */
import { Console, Duration, Effect, Option, Schema } from "effect"
import { ConnectorId, Platform } from "../domain/Ids.js"
import { Dedup } from "../pipeline/Dedup.js"
import { defaultPipelineOptions } from "../pipeline/Options.js"
import { runConnectorOnce } from "../pipeline/Pipeline.js"
import { plugins } from "../platforms/registry.js"
import type { PlatformPlugin, PluginSimulator } from "../sdk/Plugin.js"
import { EventSink } from "../services/EventSink.js"
import { type AppConfig, type ConnectorConfig, singleProcess } from "./AppConfig.js"
import { buildConnectors } from "./Connectors.js"
import { ExitCode } from "./ExitCode.js"
import * as Layers from "./Layers.js"
import { filesWritten, formatSummary } from "./Summary.js"

/** Start a platform's simulator for the scope's life; the connector config that points at it. */
const startSource = (plugin: PlatformPlugin, simulator: PluginSimulator) =>
  Effect.gen(function*() {
    const target = yield* simulator.demo
    const connector: ConnectorConfig = {
      id: Schema.decodeSync(ConnectorId)(`${plugin.platform}-demo`),
      platform: Schema.decodeSync(Platform)(plugin.platform),
      settings: target.settings,
      schedule: { permissions: Duration.hours(1), audit: Duration.minutes(1) }
    }
    yield* Effect.logInfo("simulator started").pipe(Effect.annotateLogs({ platform: plugin.platform, url: target.url }))
    return connector
  })

export const runDemo = (dataDir: string) =>
  Effect.gen(function*() {
    const connectors = yield* Effect.forEach(
      plugins.flatMap((p) => (p.simulator === undefined ? [] : [startSource(p, p.simulator)])),
      (start) => start
    )
    const config: AppConfig = {
      file: undefined,
      kafka: undefined,
      postgresDsn: undefined,
      pipeline: { ...defaultPipelineOptions, batchSize: 200, batchWindow: "200 millis", progressEvery: "2 seconds" },
      cluster: singleProcess,
      dataDir,
      connectors
    }
    if (connectors.length === 0) {
      yield* Console.error("demo: no registered platform has a simulator")
      return yield* new ExitCode({ code: 1 })
    }
    const built = yield* buildConnectors(config)
    const program = Effect.gen(function*() {
      const sink = yield* EventSink
      const summaries = yield* Effect.forEach(
        built,
        ({ connector }) => runConnectorOnce(connector, config.pipeline, new Dedup(config.pipeline.dedupCapacity)),
        { concurrency: "unbounded" }
      )
      const files = yield* filesWritten
      yield* Console.log(`Verity demo: ${built.length} connector${built.length === 1 ? "" : "s"} against in-process simulators\n`)
      yield* Console.log(formatSummary(summaries, { sink: sink.describe, store: Layers.describeStore(config), ...(files ? { files } : {}) }))
      const resumed = summaries.some((s) => Option.isSome(s.checkpointBefore))
      yield* Console.log(
        resumed
          ? `\nResumed from stored checkpoints: only audit events after them were published (${summaries.reduce((n, s) => n + s.events, 0)} this run); none twice.`
          : `\nFirst run. Run \`npm start\` again: the checkpoints resume, and no audit event is published twice.`
      )
      yield* Console.log(`Inspect: node --import tsx main.ts checkpoint show    Reset: rm -rf ${dataDir}`)
      if (summaries.some((s) => s.errors.length > 0)) return yield* new ExitCode({ code: 1 })
    })
    yield* program.pipe(
      Effect.provide(Layers.stores(config)),
      Effect.catchTags({
        CheckpointError: (e) => Console.error(`checkpoint store: ${e.message}`).pipe(Effect.zipRight(new ExitCode({ code: 1 }))),
        SinkError: (e) => Console.error(`event sink: ${e.message}`).pipe(Effect.zipRight(new ExitCode({ code: 1 })))
      })
    )
  }).pipe(
    // the connectors keep their HTTP client and rate limiter for the program's life
    Effect.provide(Layers.connectorRuntime),
    Effect.scoped
  )
