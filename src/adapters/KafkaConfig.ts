/**
 * The Kafka sink's configuration (the `kafka` object of the config file): brokers, client id,
 * compression, TLS, SASL, and our own bounds on a send. The program's config embeds it; the Kafka sink
 * reads it.
 */
import { Schema } from "effect"

const PositiveInt = Schema.Number.pipe(Schema.int(), Schema.positive())

export const Compression = Schema.Literal("none", "gzip", "snappy", "lz4", "zstd")
export type Compression = typeof Compression.Type

export const SaslConfig = Schema.Struct({
  mechanism: Schema.Literal("plain", "scram-sha-256", "scram-sha-512"),
  username: Schema.String,
  password: Schema.Redacted(Schema.String)
})
export type SaslConfig = typeof SaslConfig.Type

export const SslConfig = Schema.Union(
  Schema.Boolean,
  Schema.Struct({
    rejectUnauthorized: Schema.optional(Schema.Boolean),
    /** PEM text of the CA, client certificate and key (not file paths) */
    ca: Schema.optional(Schema.String),
    cert: Schema.optional(Schema.String),
    key: Schema.optional(Schema.Redacted(Schema.String))
  })
)
export type SslConfig = typeof SslConfig.Type

/** Why a broker address is not `host:port` (kafkajs would otherwise retry it for as long as it is let), or `undefined`. */
export const brokerProblem = (broker: string): string | undefined => {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:,[\]]+):(\d{1,5})$/.exec(broker.trim())
  const port = m?.[2] === undefined ? NaN : Number(m[2])
  return m !== null && port >= 1 && port <= 65535
    ? undefined
    : `a broker is "host:port" with a port from 1 to 65535, such as "127.0.0.1:9092"; got ${JSON.stringify(broker)}`
}

const Broker = Schema.NonEmptyTrimmedString.pipe(Schema.filter((b) => brokerProblem(b) ?? true))

/** Brokers as a list, or a comma-separated string (what `VERITY_KAFKA_BROKERS` holds). */
export const Brokers = Schema.Union(
  Schema.Array(Broker),
  Schema.transform(Schema.String, Schema.Array(Broker), {
    strict: true,
    decode: (s) => s.split(",").map((b) => b.trim()).filter((b) => b.length > 0),
    encode: (bs) => bs.join(",")
  })
)

export const KafkaConfig = Schema.Struct({
  brokers: Schema.optionalWith(Brokers, { default: () => [] }),
  clientId: Schema.optionalWith(Schema.NonEmptyString, { default: () => "verity-ingest" }),
  compression: Schema.optionalWith(Compression, { default: () => "gzip" as const }),
  ssl: Schema.optional(SslConfig),
  sasl: Schema.optional(SaslConfig),
  /** the idempotent producer: for real clusters only (the librdkafka mock cluster cannot serve it) */
  idempotent: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  /** our own bound on one `send` (kafkajs can hang) */
  sendTimeoutMs: Schema.optionalWith(PositiveInt, { default: () => 30_000 }),
  /**
   * where the kafkajs producer runs: "main" (default) the program's own thread; "worker" a worker thread
   * (with kafkajs's encoder swapped for KafkajsEncoder.ts's), so that kafkajs's encoding and compression
   * use a second core while the pipeline decodes and normalises on the first. With `pipeline.inFlight: 4`
   * it was the fastest setting on the 2-core bench machine (bench/RESULTS.md); it costs that core and a
   * heap of its own, which is why it is not the default (the memory budget of a default run)
   */
  producerThread: Schema.optionalWith(Schema.Literal("worker", "main"), { default: () => "main" as const }),
  /**
   * with `producerThread: "worker"`, how many producer threads: each message goes to the one its key
   * hashes to (a key's messages stay in order on one producer), and a batch is acknowledged when every
   * thread acknowledged its part. More than one pays where more than two cores are free
   */
  producerThreads: Schema.optionalWith(PositiveInt.pipe(Schema.lessThanOrEqualTo(8)), { default: () => 1 }),
  /** kafkajs's own log lines at or above this level reach our logs */
  logLevel: Schema.optionalWith(Schema.Literal("nothing", "error", "warn", "info", "debug"), { default: () => "warn" as const })
})
export type KafkaConfig = typeof KafkaConfig.Type
