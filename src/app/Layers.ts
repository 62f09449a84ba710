/**
 * The composition root: every choice of implementation the program makes, in one place. Kafka or JSON
 * lines, PostgreSQL or the embedded PGlite, the HTTP client and the rate limiter, the Node platform and
 * the loggers. Commands ask this module for the layers they need; nothing else in `src/` provides a
 * concrete implementation (the pipeline and the platforms see only Tags).
 */
import { createServer } from "node:http"
import { hostname } from "node:os"
import { join } from "node:path"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type { SqlClient } from "@effect/sql"
import { Duration, Effect, Layer, Redacted, Schedule } from "effect"
import type { Sharding } from "@effect/cluster"
import type { StateStores } from "../adapters/SqlStateStores.js"
import { CheckpointError, type SinkError } from "../domain/Errors.js"
import { RateLimiter } from "../sdk/RateLimiter.js"
import { RunnerName } from "../services/RunStore.js"
import type { EventSink } from "../services/EventSink.js"
import type { MetricsShape } from "../services/Metrics.js"
import type { RunTriggersShape } from "../services/RunTriggers.js"
import type { StreamHolds } from "../services/StreamLock.js"
import { type ApiConfig, type AppConfig, describeDsn } from "./AppConfig.js"
import { reportingSourceResponses } from "./SourceMetrics.js"
import { type LogFormat, loggingLayer, type LogLevelName } from "./Logging.js"

/**
 * A layer whose module (a driver, the cluster, the HTTP API) loads when the layer is built: every command
 * imports this file, and a process that stops at a config error or prints help never loads them. The
 * Node platform comes from its own modules, not @effect/platform-node's index, which loads the cluster.
 */
const lazy = <M, A, E, R>(load: () => Promise<M>, build: (module: M) => Layer.Layer<A, E, R>): Layer.Layer<A, E, R> =>
  Layer.unwrapEffect(Effect.promise(load).pipe(Effect.map(build)))

/** The Node platform the CLI runs on (file system, paths, terminal). */
export const platform = NodeContext.layer

/** Log lines on stderr in the chosen format, at the chosen minimum level. */
export const logging = (format: LogFormat, level: LogLevelName | undefined): Layer.Layer<never> => loggingLayer(format, level)

/** HttpClient and RateLimiter for the connectors (one limiter: its budgets are keyed per token/resource). */
export const connectorRuntime = Layer.merge(NodeHttpClient.layerUndici, reportingSourceResponses(RateLimiter.default))

/** The SQL client the config chooses: PostgreSQL at the DSN, or PGlite under `<dataDir>/pgdata`. */
export const sqlClient = (
  config: AppConfig,
  maxConnections = 4,
  session?: { readonly dsn: (dsn: string) => string; readonly idleTimeout: Duration.DurationInput }
): Layer.Layer<SqlClient.SqlClient, CheckpointError> =>
  config.postgresDsn !== undefined
    ? lazy(() => import("@effect/sql-pg"), ({ PgClient }) =>
      PgClient.layer({
        url: session === undefined ? config.postgresDsn! : Redacted.make(session.dsn(Redacted.value(config.postgresDsn!))),
        applicationName: "verity-ingest",
        maxConnections,
        ...(session === undefined ? {} : { idleTimeout: session.idleTimeout })
      }).pipe(
        Layer.mapError((e) =>
          new CheckpointError({
            reason: "unavailable",
            message: `${describeDsn(config.postgresDsn!)}: ${e.message}`,
            cause: e
          })
        )
      ))
    : lazy(() => import("../adapters/Pglite.js"), (m) => m.pgliteClientLayer(join(config.dataDir, "pgdata")))

/** Where the checkpoints live, for summaries. */
export const describeStore = (config: AppConfig): string =>
  config.postgresDsn !== undefined ? describeDsn(config.postgresDsn) : `embedded PGlite ${join(config.dataDir, "pgdata")}`

/** The state database's stores (checkpoints, run records, grants, stream locks), on one SQL client. */
export const checkpointStore = (config: AppConfig): Layer.Layer<StateStores, CheckpointError> =>
  lazy(() => import("../adapters/SqlStateStores.js"), (m) => m.SqlStateStoresLive).pipe(Layer.provide(sqlClient(config)))

/** This process, as run records name it. */
export const runnerName = (name: string = `${hostname()}:${process.pid}`) => Layer.succeed(RunnerName, name)

/** Kafka when brokers are configured, else JSON-lines files under `<dataDir>/out`. */
export const sink = (config: AppConfig): Layer.Layer<EventSink, SinkError> =>
  config.kafka !== undefined
    ? lazy(() => import("../adapters/KafkaSink.js"), (m) => m.kafkaSinkLayer(config.kafka!))
    : lazy(() => import("../adapters/JsonlSink.js"), (m) => m.jsonlSinkLayer(join(config.dataDir, "out")))

/** `run` waits for its database and brokers at start-up: 1 s, doubling, at most 30 s apart, for as long as it takes. */
export const startupRetry = Schedule.exponential("1 second", 2).pipe(
  Schedule.modifyDelay((d) => Duration.min(d, Duration.seconds(30)))
)

const retryingStartup = <A, E extends CheckpointError | SinkError>(what: string, layer: Layer.Layer<A, E>) =>
  layer.pipe(
    Layer.tapError((e) => Effect.logError(`${what}: ${e.message}; retrying (at most 30 s apart)`)),
    Layer.retry(startupRetry)
  )

/**
 * This process as a cluster runner on the state database (its own small pool: the runner storage keeps
 * one connection for its shard locks). Its sessions end when idle for most of the lock expiration (so a
 * frozen runner's locks are freed, `clusterDsn`); the pool closes its idle connections sooner, so the
 * server never ends one the pool is about to hand out. `run` waits for it the way it waits for the stores.
 */
export const cluster = (config: AppConfig): Layer.Layer<Sharding.Sharding | StreamHolds, CheckpointError> =>
  retryingStartup(
    "cluster",
    lazy(() => Promise.all([import("../adapters/ClusterRunner.js"), import("../adapters/SqlStreamLock.js")]), ([m, holds]) =>
      Layer.merge(
        m.clusterRunnerLayer({
          address: config.cluster.address,
          port: config.cluster.port,
          shards: config.cluster.shards,
          lockExpiration: config.cluster.lockExpiration
        }),
        // the stream holds on the same pool: their session ends with a frozen runner's, as its shard locks do
        holds.sqlStreamHoldsLayer({ heartbeat: Duration.millis(Duration.toMillis(Duration.decode(config.cluster.lockExpiration)) / 4) })
      ).pipe(Layer.provide(sqlClient(config, 4, {
        dsn: (dsn) => m.clusterDsn(dsn, config.cluster.lockExpiration),
        idleTimeout: Duration.millis(Duration.toMillis(Duration.decode(config.cluster.lockExpiration)) / 3)
      }))))
  )

/** The checkpoint store and the event sink the config chooses; with `retryStartup` each is retried until it starts. */
export const stores = (config: AppConfig, options: { readonly retryStartup?: boolean } = {}) =>
  options.retryStartup
    ? Layer.merge(retryingStartup("checkpoint store", checkpointStore(config)), retryingStartup("event sink", sink(config)))
    : Layer.merge(checkpointStore(config), sink(config))

/** Everything a run needs: the stores, and the connectors' HTTP client and rate limiter for the program's life. */
export const infrastructure = (config: AppConfig, options: { readonly retryStartup?: boolean } = {}) =>
  Layer.mergeAll(stores(config, options), connectorRuntime, runnerName())

/** The program's metrics: Prometheus, through prom-client. */
export const metrics: Effect.Effect<MetricsShape> = Effect.promise(() => import("../adapters/PromMetrics.js")).pipe(
  Effect.flatMap((m) => m.makePromMetrics)
)

/** The HTTP API on Node's HTTP server at `api.host:api.port`, for the life of whatever it is provided to. */
export const apiServer = (
  config: ApiConfig,
  program: { readonly metrics: MetricsShape; readonly triggers: RunTriggersShape }
) =>
  lazy(
    () => Promise.all([import("./api/Server.js"), import("@effect/platform-node/NodeHttpServer")]),
    ([{ apiLayer }, NodeHttpServer]) =>
      apiLayer(config, program).pipe(Layer.provide(NodeHttpServer.layer(createServer, { port: config.port, host: config.host })))
  )
