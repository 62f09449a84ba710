/**
 * This process as an `@effect/cluster` runner: registered in the state database (`SqlRunnerStorage`,
 * shard locks held there), reachable by the other runners over a socket. Processes on the same
 * database form one cluster; a runner that stops heart-beating loses its shards to the living.
 *
 * Entities are not used (each connector stream is a `Singleton`), so no message storage is kept.
 * Timings are tuned for takeover within seconds, not the library's minute-scale defaults: the shard
 * locks expire after `lockExpiration` (a runner killed outright is dropped then), are refreshed at a
 * third of it, and every runner re-reads the runners every second.
 *
 * A frozen runner (SIGSTOP, a long pause) or one cut off the network keeps its shard locks (PostgreSQL
 * advisory locks live as long as the session) unless the server ends that session: the cluster's pool
 * connects with `idle_session_timeout` below the lock expiration (a living runner touches its lock
 * connection every third of it) and short TCP keepalives, so by the time the others drop the runner
 * from the ring its locks are free and its shards move (`clusterDsn`).
 */
import { createServer } from "node:net"
import { hostname } from "node:os"
import {
  MessageStorage,
  RunnerAddress,
  RunnerHealth,
  Runners,
  type Sharding,
  ShardingConfig,
  SocketRunner,
  SqlRunnerStorage
} from "@effect/cluster"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import { RpcSerialization } from "@effect/rpc"
import type { SqlClient } from "@effect/sql"
import { Duration, Effect, Layer, Option } from "effect"
import { CheckpointError } from "../domain/Errors.js"

export interface ClusterRunnerOptions {
  /** the host other runners reach this one at (default: this machine's hostname) */
  readonly address: string | undefined
  /** 0: a free port */
  readonly port: number
  readonly shards: number
  readonly lockExpiration: Duration.DurationInput
}

const seconds = (d: Duration.Duration) => Math.max(1, Math.round(Duration.toSeconds(d)))

/**
 * The PostgreSQL session settings of the cluster's connections for a lock expiration `E`: the server
 * ends a session idle for 2E/3 (a living runner refreshes its locks every E/3) or in a transaction that
 * long, and probes a silent peer after E/3 (three probes a second apart), so a frozen or cut-off runner's
 * advisory locks are released before the others (after E) re-hash its shards.
 */
export const clusterSessionSettings = (lockExpiration: Duration.DurationInput) => {
  const e = Duration.decode(lockExpiration)
  const idleMs = Math.max(1000, Math.floor((Duration.toMillis(e) * 2) / 3))
  return {
    idle_session_timeout: idleMs,
    idle_in_transaction_session_timeout: idleMs,
    tcp_keepalives_idle: seconds(Duration.millis(Duration.toMillis(e) / 3)),
    tcp_keepalives_interval: 1,
    tcp_keepalives_count: 3
  }
}

/**
 * `dsn` with the cluster's session settings (`clusterSessionSettings`) in its `options` parameter (kept
 * after any the DSN sets itself). A DSN that is not a URL is returned as it is.
 */
export const clusterDsn = (dsn: string, lockExpiration: Duration.DurationInput): string => {
  let url: URL
  try {
    url = new URL(dsn)
  } catch {
    return dsn
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") return dsn
  const ours = Object.entries(clusterSessionSettings(lockExpiration)).map(([k, v]) => `-c ${k}=${v}`).join(" ")
  const theirs = url.searchParams.get("options")
  url.searchParams.set("options", theirs === null || theirs.trim() === "" ? ours : `${ours} ${theirs}`)
  return url.toString()
}

/** A port nobody listens on now (the runner binds it right after). */
const freePort = (host: string) =>
  Effect.async<number, Error>((resume) => {
    const server = createServer()
    server.once("error", (e) => resume(Effect.fail(e)))
    server.listen(0, host, () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resume(Effect.succeed(port)))
    })
  })

const unavailable = (message: string, cause?: unknown) =>
  new CheckpointError({ reason: "unavailable", message: `cluster: ${message}`, ...(cause !== undefined ? { cause } : {}) })

/** The sharding settings for `options`, with the port chosen. */
export const shardingSettings = (options: ClusterRunnerOptions) =>
  Effect.gen(function*() {
    const host = options.address ?? hostname()
    const listenHost = options.address ?? "0.0.0.0"
    const port = options.port !== 0 ? options.port : yield* freePort(listenHost).pipe(
      Effect.mapError((e) => unavailable(`no free port on ${listenHost}: ${e.message}`, e))
    )
    const expiration = Duration.decode(options.lockExpiration)
    return {
      ...ShardingConfig.defaults,
      runnerAddress: Option.some(RunnerAddress.make(host, port)),
      runnerListenAddress: Option.some(RunnerAddress.make(listenHost, port)),
      shardsPerGroup: options.shards,
      shardLockExpiration: expiration,
      shardLockRefreshInterval: Duration.millis(Math.max(250, Math.floor(Duration.toMillis(expiration) / 3))),
      refreshAssignmentsInterval: Duration.seconds(1),
      runnerHealthCheckInterval: Duration.seconds(2),
      entityMessagePollInterval: Duration.seconds(1)
      // shard locks stay PostgreSQL advisory locks: the row-lock mode (shardLockDisableAdvisory) moved a
      // frozen runner's shards, but a joining runner then never got its share (0.60.2, seen in the suite)
    } satisfies ShardingConfig.ShardingConfig["Type"]
  })

/** `Sharding` for this process over the provided SQL client; fails with `CheckpointError("unavailable")` if storage or the port cannot be had. */
export const clusterRunnerLayer = (
  options: ClusterRunnerOptions
): Layer.Layer<Sharding.Sharding, CheckpointError, SqlClient.SqlClient> =>
  Layer.unwrapEffect(
    Effect.map(shardingSettings(options), (settings) =>
      SocketRunner.layer.pipe(
        Layer.provide(RunnerHealth.layerPing.pipe(Layer.provide(Runners.layerRpc), Layer.provide(NodeClusterSocket.layerClientProtocol))),
        Layer.provide([NodeClusterSocket.layerSocketServer, NodeClusterSocket.layerClientProtocol]),
        Layer.provide(MessageStorage.layerNoop),
        Layer.provide(SqlRunnerStorage.layer.pipe(Layer.mapError((e) => unavailable(`runner storage: ${e.message}`, e)))),
        Layer.provide(ShardingConfig.layer(settings)),
        Layer.provide(RpcSerialization.layerMsgPack),
        Layer.mapError((e) => (e instanceof CheckpointError ? e : unavailable(`runner socket: ${e.message}`, e))),
        Layer.tap(() =>
          Effect.logInfo("joined the cluster").pipe(
            Effect.annotateLogs({ runner_address: describeAddress(settings), shards: settings.shardsPerGroup })
          )
        )
      ))
  )

const describeAddress = (settings: ShardingConfig.ShardingConfig["Type"]): string =>
  Option.match(settings.runnerAddress, { onNone: () => "client only", onSome: (a) => `${a.host}:${a.port}` })
