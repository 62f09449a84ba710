/**
 * `demo` (what `npm start` runs): the GitHub and MockApp simulators in-process on random ports, one cycle
 * of both connectors into the embedded defaults (PGlite under `<dataDir>/pgdata`, JSON lines under
 * `<dataDir>/out`), and a readable summary. A second run resumes from the stored checkpoints, so no audit
 * event is published twice.
 *
 * A platform whose connector is not registered is skipped with a one-line note.
 */
import { Console, Duration, Effect, Layer, Option, Schema, type Scope } from "effect"
import { startGitHubSimulator } from "../platforms/github/simulator/Server.js"
import { startMockAppSimulator } from "../platforms/mockapp/simulator/Server.js"
import { knownPlatforms } from "../platforms/registry.js"
import type { AppConfig, ConnectorConfig } from "../app/AppConfig.js"
import { ConnectorId, Platform } from "../domain/Ids.js"
import { defaultPipelineOptions, runConnectorOnce } from "../pipeline/Pipeline.js"
import { Dedup } from "../pipeline/Dedup.js"
import { EventSink } from "../services/EventSink.js"
import {
  buildConnectors,
  checkpointStoreLayer,
  connectorRuntimeLayer,
  describeStore,
  ExitCode,
  filesWritten,
  formatSummary,
  sinkLayer
} from "./Program.js"

interface StartedSimulator {
  readonly url: string
  readonly token: string
  readonly org?: string
}

interface DemoSource {
  readonly platform: string
  readonly id: string
  readonly start: Effect.Effect<StartedSimulator, never, Scope.Scope>
  readonly settings: (sim: StartedSimulator) => Record<string, unknown>
}

const sources: ReadonlyArray<DemoSource> = [
  {
    platform: "github",
    id: "github-demo",
    start: startGitHubSimulator({ seed: 42 }),
    settings: (sim) => ({ org: sim.org ?? "acme-corp", token: sim.token, apiUrl: sim.url })
  },
  {
    platform: "mockapp",
    id: "mockapp-demo",
    start: startMockAppSimulator({ seed: 42 }),
    settings: (sim) => ({ api_url: sim.url, token: sim.token })
  }
]

/** Start a platform's simulator for the scope's life, if that platform's connector is registered. */
const startSource = (source: DemoSource) =>
  Effect.gen(function*() {
    if (!knownPlatforms().includes(source.platform)) {
      return yield* Effect.fail(`the ${source.platform} connector is not registered`)
    }
    const sim = yield* source.start
    const connector: ConnectorConfig = {
      id: Schema.decodeSync(ConnectorId)(source.id),
      platform: Schema.decodeSync(Platform)(source.platform),
      settings: source.settings(sim),
      schedule: { permissions: Duration.hours(1), audit: Duration.minutes(1) }
    }
    yield* Effect.logInfo("simulator started").pipe(Effect.annotateLogs({ platform: source.platform, url: sim.url }))
    return connector
  })

export const runDemo = (dataDir: string) =>
  Effect.gen(function*() {
    const started = yield* Effect.forEach(sources, (s) => Effect.either(startSource(s)))
    const connectors: Array<ConnectorConfig> = []
    for (const [i, result] of started.entries()) {
      if (result._tag === "Right") connectors.push(result.right)
      else yield* Console.error(`demo: skipping ${sources[i]?.platform}: ${result.left}`)
    }
    const config: AppConfig = {
      file: undefined,
      kafka: undefined,
      postgresDsn: undefined,
      pipeline: { ...defaultPipelineOptions, batchSize: 200, batchWindow: "200 millis", progressEvery: "2 seconds" },
      dataDir,
      connectors
    }
    if (connectors.length === 0) {
      yield* Console.error("demo: no connector could be started (see above)")
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
      yield* Console.log(formatSummary(summaries, { sink: sink.describe, store: describeStore(config), ...(files ? { files } : {}) }))
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
      Effect.provide(Layer.merge(checkpointStoreLayer(config), sinkLayer(config))),
      Effect.catchTags({
        CheckpointError: (e) => Console.error(`checkpoint store: ${e.message}`).pipe(Effect.zipRight(new ExitCode({ code: 1 }))),
        SinkError: (e) => Console.error(`event sink: ${e.message}`).pipe(Effect.zipRight(new ExitCode({ code: 1 })))
      })
    )
  }).pipe(
    // the connectors keep their HTTP client and rate limiter for the program's life
    Effect.provide(connectorRuntimeLayer),
    Effect.scoped
  )
