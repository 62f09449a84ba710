/**
 * What `run` does: one cycle of every configured connector (`--once`, a job), or every connector on its
 * schedule until stopped (a service), on the infrastructure the config chooses.
 */
import { Console, Effect, Layer } from "effect"
import { CheckpointError, SinkError } from "../domain/Errors.js"
import { Dedup } from "../pipeline/Dedup.js"
import { runConnectorOnce } from "../pipeline/Pipeline.js"
import { runScheduled, scheduledStreams } from "../pipeline/Scheduler.js"
import { RunnerName } from "../services/RunStore.js"
import type { StateStores } from "../services/StateStores.js"
import { EventSink } from "../services/EventSink.js"
import { Metrics } from "../services/Metrics.js"
import { makeRunTriggers, RunTriggers } from "../services/RunTriggers.js"
import { Served } from "./api/Status.js"
import type { AppConfig } from "./AppConfig.js"
import { runOnCluster } from "./ClusterRun.js"
import { buildConnectors } from "./Connectors.js"
import { ExitCode } from "./ExitCode.js"
import * as Layers from "./Layers.js"
import { filesWritten, formatSummary } from "./Summary.js"

/** One cycle of every connector, side by side; the summary goes to stdout. Exit 1 if any failed. */
export const runOnce = (config: AppConfig) =>
  Effect.gen(function*() {
    const built = yield* buildConnectors(config)
    const sink = yield* EventSink
    const summaries = yield* Effect.forEach(
      built,
      ({ connector }) =>
        runConnectorOnce(connector, config.pipeline, new Dedup(config.pipeline.dedupCapacity)).pipe(
          Effect.annotateLogs("connector", connector.id)
        ),
      { concurrency: "unbounded" }
    )
    const files = yield* filesWritten
    yield* Console.log(formatSummary(summaries, { sink: sink.describe, store: Layers.describeStore(config), ...(files ? { files } : {}) }))
    const failed = summaries.filter((s) => s.errors.length > 0)
    if (failed.length > 0) {
      yield* Console.error(`${failed.length} connector${failed.length === 1 ? "" : "s"} failed: ${failed.map((s) => s.connectorId).join(", ")}`)
      return yield* new ExitCode({ code: 1 })
    }
  })

/**
 * Every connector on its schedule, until interrupted: every stream in this process, or, on a cluster
 * (a PostgreSQL DSN, `cluster.enabled` not false), each stream on exactly one of the runners.
 */
export const runForever = (config: AppConfig) =>
  Effect.gen(function*() {
    const built = yield* buildConnectors(config)
    const sink = yield* EventSink
    const runner = yield* RunnerName
    yield* Effect.logInfo("running").pipe(
      Effect.annotateLogs({
        connectors: built.map((b) => b.connector.id).join(","),
        sink: sink.describe,
        checkpoints: Layers.describeStore(config),
        runner,
        cluster: config.cluster.enabled ? "on" : "off"
      })
    )
    const scheduled = built.map(({ config: c, connector }) => ({ connector, schedule: c.schedule }))
    if (!config.cluster.enabled) return yield* runScheduled(scheduled, config.pipeline)
    return yield* runOnCluster(scheduledStreams(scheduled, config.pipeline)).pipe(
      Effect.provide(Layers.cluster(config)),
      Effect.zipRight(Effect.never)
    )
  })

/**
 * Run `program` on the infrastructure the config chooses. `--once` (a job) fails fast: one line on
 * stderr and exit 1. `run` (a service) logs the same line and retries each store until it starts.
 */
export const withInfrastructure = <A, E, R>(
  config: AppConfig,
  program: Effect.Effect<A, E, R | EventSink | StateStores>,
  retryStartup = false
) =>
  program.pipe(
    Effect.provide(Layers.infrastructure(config, { retryStartup })),
    Effect.catchIf(
      (e): e is CheckpointError | SinkError => e instanceof CheckpointError || e instanceof SinkError,
      (e) =>
        Console.error(`${e._tag === "CheckpointError" ? "checkpoint store" : "event sink"}: ${e.message}`).pipe(
          Effect.zipRight(new ExitCode({ code: 1 }))
        )
    )
  )

/**
 * Run `program` with this program's metrics and run-now triggers, and with the HTTP API up for its
 * life when the config has `api`. A port that cannot be bound is one line on stderr and exit 1.
 */
export const withService = <A, E, R>(config: AppConfig, program: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const metrics = yield* Layers.metrics
    const triggers = makeRunTriggers()
    const inner = program.pipe(Effect.provideService(Metrics, metrics), Effect.provideService(RunTriggers, triggers))
    const api = config.api
    if (api === undefined) return yield* inner
    const served = Layer.succeed(Served, { connectors: config.connectors, startedAt: Date.now(), runner: yield* RunnerName })
    return yield* inner.pipe(
      Effect.provide(Layers.apiServer(api, { metrics, triggers }).pipe(Layer.provide(served))),
      Effect.catchTag("ServeError", (e) => {
        const cause = "cause" in e ? e.cause : undefined
        return Console.error(`api: cannot listen on ${api.host}:${api.port}: ${cause instanceof Error ? cause.message : String(cause)}`).pipe(
          Effect.zipRight(new ExitCode({ code: 1 }))
        )
      })
    )
  })

/** After `program`, keep running (the API serving) until interrupted. */
export const thenServe = <A, E, R>(program: Effect.Effect<A, E, R>) =>
  program.pipe(Effect.zipRight(Effect.logInfo("cycle done; serving the API until interrupted")), Effect.zipRight(Effect.never))
