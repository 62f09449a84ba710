/**
 * The program's commands: `run` (every configured connector, on its schedule or `--once`), `demo` (what
 * `npm start` runs: simulators, PGlite and JSON lines, no servers needed) and `checkpoint show|reset`.
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Duration, Effect, Layer, Option, Schedule } from "effect"
import type { Checkpoint } from "../domain/Checkpoint.js"
import { CheckpointError, ConfigError, SinkError } from "../domain/Errors.js"
import { knownPlatforms } from "../platforms/registry.js"
import { type AppConfig, loadAppConfig } from "../app/AppConfig.js"
import { CheckpointStore } from "../services/CheckpointStore.js"
import { EventSink } from "../services/EventSink.js"
import { Dedup } from "../pipeline/Dedup.js"
import { runConnectorOnce } from "../pipeline/Pipeline.js"
import { runScheduled } from "../pipeline/Scheduler.js"
import { runDemo } from "./Demo.js"
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

const configOption = Options.text("config").pipe(
  Options.withAlias("c"),
  Options.withDescription("the JSON config file (see verity.config.example.json); VERITY_* environment variables override it")
)

/** One cycle of every connector, side by side; the summary goes to stdout. Exit 1 if any failed. */
const runOnce = (config: AppConfig) =>
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
    yield* Console.log(formatSummary(summaries, { sink: sink.describe, store: describeStore(config), ...(files ? { files } : {}) }))
    const failed = summaries.filter((s) => s.errors.length > 0)
    if (failed.length > 0) {
      yield* Console.error(`${failed.length} connector${failed.length === 1 ? "" : "s"} failed: ${failed.map((s) => s.connectorId).join(", ")}`)
      return yield* new ExitCode({ code: 1 })
    }
  })

const runForever = (config: AppConfig) =>
  Effect.gen(function*() {
    const built = yield* buildConnectors(config)
    const sink = yield* EventSink
    yield* Effect.logInfo("running").pipe(
      Effect.annotateLogs({
        connectors: built.map((b) => b.connector.id).join(","),
        sink: sink.describe,
        checkpoints: describeStore(config)
      })
    )
    return yield* runScheduled(
      built.map(({ config: c, connector }) => ({ connector, schedule: c.schedule })),
      config.pipeline
    )
  })

/** `run` waits for its database and brokers at start-up: 1 s, doubling, at most 30 s apart, for as long as it takes. */
export const startupRetry = Schedule.exponential("1 second", 2).pipe(
  Schedule.modifyDelay((d) => Duration.min(d, Duration.seconds(30)))
)

const retryingStartup = <A>(what: string, layer: Layer.Layer<A, CheckpointError | SinkError>) =>
  layer.pipe(
    Layer.tapError((e) => Effect.logError(`${what}: ${e.message}; retrying (at most 30 s apart)`)),
    Layer.retry(startupRetry)
  )

/**
 * The infrastructure the config chooses. `--once` (a job) fails fast: one line on stderr and exit 1.
 * `run` (a service) logs the same line and retries each store until it starts.
 */
const withInfrastructure = <A, E, R>(
  config: AppConfig,
  program: Effect.Effect<A, E, R | EventSink | CheckpointStore>,
  retryStartup = false
) =>
  program.pipe(
    // the connectors keep their HTTP client and rate limiter for the program's life
    Effect.provide(Layer.mergeAll(
      retryStartup ? retryingStartup("checkpoint store", checkpointStoreLayer(config)) : checkpointStoreLayer(config),
      retryStartup ? retryingStartup("event sink", sinkLayer(config)) : sinkLayer(config),
      connectorRuntimeLayer
    )),
    Effect.catchIf(
      (e): e is CheckpointError | SinkError => e instanceof CheckpointError || e instanceof SinkError,
      (e) =>
        Console.error(`${e._tag === "CheckpointError" ? "checkpoint store" : "event sink"}: ${e.message}`).pipe(
          Effect.zipRight(new ExitCode({ code: 1 }))
        )
    )
  )

export const runCommand = Command.make(
  "run",
  {
    config: configOption,
    once: Options.boolean("once").pipe(
      Options.withDescription("one cycle of each connector, print the summary and exit (1 if any connector failed)")
    )
  },
  ({ config: file, once }) =>
    Effect.gen(function*() {
      const config = yield* loadAppConfig(Option.some(file))
      if (config.connectors.length === 0) {
        // nothing to run: `run` would idle forever and `run --once` report an empty success
        return yield* new ConfigError({
          file,
          field: "connectors",
          message: `no connectors configured; add one such as {"id": "github-acme", "platform": "github", "settings": {...}} ` +
            `(platforms: ${knownPlatforms().join(", ")})`
        })
      }
      // platforms and settings are checked before any infrastructure starts: a typo in a connector's
      // settings is exit 2 at once, not after connecting to (or failing to start) the stores
      yield* buildConnectors(config).pipe(Effect.provide(connectorRuntimeLayer))
      yield* once ? withInfrastructure(config, runOnce(config)) : withInfrastructure(config, runForever(config), true)
    })
).pipe(
  Command.withDescription(
    "Run every configured connector: permissions every schedule.permissions (default 1 hour), audit events every " +
      "schedule.audit (default 1 minute). A failing connector is retried with backoff while the others go on. At start-up " +
      "an unreachable PostgreSQL or Kafka is retried (1 s doubling to 30 s apart); with --once it is an error (exit 1)."
  )
)

export const demoCommand = Command.make(
  "demo",
  {
    dataDir: Options.text("data-dir").pipe(
      Options.withDefault(".verity"),
      Options.withDescription("where the embedded PostgreSQL (PGlite) and the JSON-lines output live")
    )
  },
  ({ dataDir }) => runDemo(dataDir)
).pipe(
  Command.withDescription(
    "The built-in demo (npm start): starts the GitHub and MockApp simulators, runs one cycle of both connectors into " +
      "PGlite and JSON-lines files under .verity/, and prints a summary. Run it again to see the checkpoints resume."
  )
)

const describeCp = (cp: Checkpoint) => `${cp.describe()}  count=${cp.count}${cp.cursor !== undefined ? `  cursor=${cp.cursor}` : ""}`

const showCommand = Command.make(
  "show",
  { config: configOption.pipe(Options.optional) },
  ({ config: file }) =>
    Effect.gen(function*() {
      const config = yield* loadAppConfig(file)
      yield* Effect.gen(function*() {
          const store = yield* CheckpointStore
          const rows = yield* store.list
          yield* Console.log(`checkpoints: ${describeStore(config)}`)
          const configured = new Set<string>(config.connectors.map((c) => c.id))
          const lines: Array<string> = []
          for (const row of rows) {
            lines.push(
              `${row.connectorId.padEnd(20)} ${row.stream.padEnd(12)} ${row.platform.padEnd(10)} ${describeCp(row.checkpoint)}  updated ${row.updatedAt.toISOString()}`
            )
          }
          for (const c of config.connectors) {
            for (const stream of ["audit", "permissions"] as const) {
              if (!rows.some((r) => r.connectorId === c.id && r.stream === stream)) {
                lines.push(`${c.id.padEnd(20)} ${stream.padEnd(12)} ${c.platform.padEnd(10)} (none: the next run starts from the beginning)`)
              }
            }
          }
          yield* Console.log(lines.length > 0 ? lines.join("\n") : "(no checkpoints)")
          const unknown = rows.filter((r) => configured.size > 0 && !configured.has(r.connectorId))
          if (unknown.length > 0) yield* Effect.logInfo(`${unknown.length} checkpoint(s) belong to connectors not in the config`)
        }).pipe(
        Effect.provide(checkpointStoreLayer(config)),
        Effect.catchTag("CheckpointError", (e) => Console.error(e.message).pipe(Effect.zipRight(new ExitCode({ code: 1 }))))
      )
    })
).pipe(Command.withDescription("Print every connector's checkpoints (the embedded store under .verity/ without a DSN)"))

const resetCommand = Command.make(
  "reset",
  {
    connectorId: Args.text({ name: "connector-id" }).pipe(Args.withDescription("the connector whose checkpoints to forget")),
    stream: Options.choice("stream", ["audit", "permissions"]).pipe(
      Options.optional,
      Options.withDescription("only this stream (default: both)")
    ),
    config: configOption.pipe(Options.optional)
  },
  ({ config: file, connectorId, stream }) =>
    Effect.gen(function*() {
      const config = yield* loadAppConfig(file)
      const removed = yield* Effect.gen(function*() {
        const store = yield* CheckpointStore
        return yield* store.reset(connectorId, Option.getOrUndefined(stream))
      }).pipe(
        Effect.provide(checkpointStoreLayer(config)),
        Effect.catchTag("CheckpointError", (e) => Console.error(e.message).pipe(Effect.zipRight(new ExitCode({ code: 1 }))))
      )
      yield* Console.log(
        removed === 0
          ? `no checkpoint of ${connectorId}${Option.isSome(stream) ? ` (${stream.value})` : ""} to reset`
          : `reset ${removed} checkpoint${removed === 1 ? "" : "s"} of ${connectorId}: its next run starts from the beginning`
      )
    })
).pipe(Command.withDescription("Forget a connector's checkpoints (one stream, or both) so its next run starts from the beginning"))

export const checkpointCommand = Command.make("checkpoint").pipe(
  Command.withDescription("Inspect and reset connector checkpoints"),
  Command.withSubcommands([showCommand, resetCommand])
)
