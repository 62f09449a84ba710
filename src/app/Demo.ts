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
import { runScheduled } from "../pipeline/Scheduler.js"
import { plugins } from "../platforms/registry.js"
import type { PlatformPlugin, PluginSimulator } from "../sdk/Plugin.js"
import { EventSink } from "../services/EventSink.js"
import { type AppConfig, type ConnectorConfig, singleProcess } from "./AppConfig.js"
import { buildConnectors } from "./Connectors.js"
import { ExitCode } from "./ExitCode.js"
import * as Layers from "./Layers.js"
import { withService } from "./Run.js"
import { filesWritten, formatSummary } from "./Summary.js"

/** What `demo --serve` adds: the dashboard's port, and the live schedules. */
export interface DemoServe {
  readonly port: number
}

/** Start a platform's simulator (in live mode when serving) for the scope's life; the connector config that points at it. */
const startSource = (plugin: PlatformPlugin, simulator: PluginSimulator, serve: DemoServe | undefined) =>
  Effect.gen(function*() {
    const target = yield* (serve === undefined ? simulator.demo : simulator.liveDemo)
    const connector: ConnectorConfig = {
      id: Schema.decodeSync(ConnectorId)(`${plugin.platform}-demo`),
      platform: Schema.decodeSync(Platform)(plugin.platform),
      settings: target.settings,
      // served, the org keeps changing: short schedules so the dashboard moves
      schedule: serve === undefined
        ? { permissions: Duration.hours(1), audit: Duration.minutes(1) }
        : { permissions: Duration.seconds(30), audit: Duration.seconds(5) }
    }
    yield* Effect.logInfo("simulator started").pipe(Effect.annotateLogs({ platform: plugin.platform, url: target.url }))
    return connector
  })

/**
 * The demo. With `serve`, it then keeps every connector on its (short) schedule against the live
 * simulators, with the HTTP API and the dashboard on `127.0.0.1:<port>`, until Ctrl-C.
 */
export const runDemo = (dataDir: string, serve?: DemoServe) =>
  Effect.gen(function*() {
    const connectors = yield* Effect.forEach(
      plugins.flatMap((p) => (p.simulator === undefined ? [] : [startSource(p, p.simulator, serve)])),
      (start) => start
    )
    const config: AppConfig = {
      file: undefined,
      kafka: undefined,
      postgresDsn: undefined,
      pipeline: { ...defaultPipelineOptions, batchSize: 200, batchWindow: "200 millis", progressEvery: "2 seconds" },
      dataDir,
      connectors,
      cluster: singleProcess,
      ...(serve === undefined ? {} : { api: { port: serve.port, host: "127.0.0.1", token: undefined, readsOpen: true } })
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
      if (summaries.some((s) => s.errors.length > 0) && serve === undefined) return yield* new ExitCode({ code: 1 })
      if (serve !== undefined) {
        yield* Console.log(
          `\nDashboard: http://127.0.0.1:${serve.port}/   API: http://127.0.0.1:${serve.port}/docs   Metrics: http://127.0.0.1:${serve.port}/metrics` +
            `\nThe simulators keep changing the orgs (live mode); the connectors run every few seconds. Ctrl-C to stop.`
        )
        return yield* runScheduled(built.map(({ config: c, connector }) => ({ connector, schedule: c.schedule })), config.pipeline)
      }
    })
    yield* (serve === undefined ? program : withService(config, program)).pipe(
      Effect.provide(Layers.stores(config)),
      Effect.provide(Layers.runnerName()),
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
