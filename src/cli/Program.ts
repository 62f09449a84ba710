/**
 * The program's assembly: which implementations the config chooses (Kafka or JSON lines, PostgreSQL or
 * the embedded PGlite), building the configured connectors, and the readable summary of a cycle.
 * Only this file (with main.ts and the tests) picks implementations; the pipeline sees Tags.
 */
import { join } from "node:path"
import { NodeHttpClient } from "@effect/platform-node"
import type { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Data, Effect, Layer, Option } from "effect"
import type { Connector } from "../sdk/Connector.js"
import { lookup } from "../platforms/registry.js"
import type { Checkpoint } from "../domain/Checkpoint.js"
import { CheckpointError, ConfigError, type SinkError } from "../domain/Errors.js"
import { type AppConfig, type ConnectorConfig, describeDsn } from "../app/AppConfig.js"
import type { CheckpointStore } from "../services/CheckpointStore.js"
import type { EventSink } from "../services/EventSink.js"
import { JsonlSinkStats, jsonlSinkLayer } from "../adapters/JsonlSink.js"
import { kafkaSinkLayer } from "../adapters/KafkaSink.js"
import { pgliteClientLayer } from "../adapters/Pglite.js"
import { RateLimiter } from "../sdk/RateLimiter.js"
import { SqlCheckpointStoreLive } from "../adapters/SqlCheckpointStore.js"
import type { ConnectorSummary } from "../pipeline/Pipeline.js"

/** Ends the program with this exit code (main.ts maps it); whatever had to be said was already printed. */
export class ExitCode extends Data.TaggedError("ExitCode")<{ readonly code: number }> {}

/** The SQL client the config chooses: PostgreSQL at the DSN, or PGlite under `<dataDir>/pgdata`. */
export const sqlClientLayer = (config: AppConfig): Layer.Layer<SqlClient.SqlClient, CheckpointError> =>
  config.postgresDsn !== undefined
    ? PgClient.layer({ url: config.postgresDsn, applicationName: "verity-ingest", maxConnections: 4 }).pipe(
      Layer.mapError((e) =>
        new CheckpointError({
          reason: "unavailable",
          message: `${describeDsn(config.postgresDsn!)}: ${e.message}`,
          cause: e
        })
      )
    )
    : pgliteClientLayer(join(config.dataDir, "pgdata"))

export const describeStore = (config: AppConfig): string =>
  config.postgresDsn !== undefined ? describeDsn(config.postgresDsn) : `embedded PGlite ${join(config.dataDir, "pgdata")}`

export const checkpointStoreLayer = (config: AppConfig): Layer.Layer<CheckpointStore, CheckpointError> =>
  SqlCheckpointStoreLive.pipe(Layer.provide(sqlClientLayer(config)))

export const sinkLayer = (config: AppConfig): Layer.Layer<EventSink, SinkError> =>
  config.kafka !== undefined ? kafkaSinkLayer(config.kafka) : jsonlSinkLayer(join(config.dataDir, "out"))

/** Build every configured connector; a bad `settings` is a `ConfigError` naming the connector's field. */
export const buildConnectors = (config: AppConfig) =>
  Effect.forEach(config.connectors, (c: ConnectorConfig, index) =>
    Effect.gen(function*() {
      const definition = yield* lookup(c.platform)
      const connector: Connector = yield* definition.make({ id: c.id, settings: c.settings })
      return { config: c, connector }
    }).pipe(
      Effect.mapError((e) =>
        new ConfigError({
          file: e.file ?? config.file,
          field: e.field !== undefined
            ? (e.field.startsWith("connectors.") ? e.field : `connectors.${index}.${e.field === "platform" ? "platform" : `settings.${e.field}`}`)
            : `connectors.${index}`,
          message: e.message
        })
      )
    ))

/** HttpClient and RateLimiter for the connectors (one limiter: its budgets are keyed per token/resource). */
export const connectorRuntimeLayer = Layer.merge(NodeHttpClient.layerUndici, RateLimiter.default)

const describeCheckpoint = (cp: Option.Option<Checkpoint>) => Option.match(cp, { onNone: () => "(start)", onSome: (c) => c.describe() })

const pad = (label: string) => `  ${label.padEnd(22)}`

/** The readable summary of one cycle, per connector. `files` are the JSON-lines files written (if any). */
export const formatSummary = (
  summaries: ReadonlyArray<ConnectorSummary>,
  context: { readonly sink: string; readonly store: string; readonly files?: ReadonlyMap<string, number> }
): string => {
  const lines: Array<string> = []
  lines.push(`sink: ${context.sink}    checkpoints: ${context.store}`)
  for (const s of summaries) {
    const records = s.snapshots + s.events + s.deadLettered
    const seconds = Math.max(0.001, s.durationMs / 1000)
    lines.push("")
    lines.push(`${s.connectorId} (${s.platform})${s.errors.length > 0 ? "  FAILED" : ""}`)
    lines.push(`${pad("permission snapshots")}${s.snapshots}`)
    lines.push(`${pad("audit events")}${s.events} published, ${s.duplicates} duplicate${s.duplicates === 1 ? "" : "s"} dropped`)
    lines.push(`${pad("dead letters")}${s.deadLettered}`)
    lines.push(`${pad("audit checkpoint")}${describeCheckpoint(s.checkpointAfter)}  (was ${describeCheckpoint(s.checkpointBefore)})`)
    lines.push(`${pad("throughput")}${Math.round(records / seconds)} records/s (${records} in ${seconds.toFixed(2)} s)`)
    if (context.files !== undefined) {
      const mine = Array.from(context.files).filter(([path]) => path.endsWith(`.${s.platform}.jsonl`))
      lines.push(`${pad("files written")}${mine.length === 0 ? "(none)" : mine.map(([p, n]) => `${p} (+${n})`).join(", ")}`)
    }
    for (const e of s.errors) lines.push(`${pad("error")}${e}`)
  }
  return lines.join("\n")
}

/** What the JSON-lines sink wrote, when that is the sink in use. */
export const filesWritten = Effect.serviceOption(JsonlSinkStats).pipe(
  Effect.flatMap(Option.match({ onNone: () => Effect.succeed(undefined), onSome: (s) => s.written }))
)

