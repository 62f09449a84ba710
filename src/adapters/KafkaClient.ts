/**
 * The kafkajs client behind both Kafka sinks (in the program's thread, or in the producer thread of
 * KafkaWorkerSink.ts): our config mapped to kafkajs, the bounded producers of KafkaProducers.ts, one
 * `sendBatch` per pipeline batch under our send timeout, and the readiness check.
 *
 * - `acks: -1` (every in-sync replica), one `sendBatch({ topicMessages })` per pipeline batch.
 * - Every send runs under OUR timeout (`sendTimeoutMs`): kafkajs has open bugs where a send never settles
 *   (e.g. a broker that stops answering mid-request). A send that rejects or times out is "not
 *   delivered": the pipeline keeps the checkpoint and retries the batch with backoff. A timed-out send may
 *   still land later, so delivery is at least once; consumers dedup on the key.
 * - The producer is not idempotent by default. Real clusters can turn `idempotent: true` on (with
 *   `maxInFlightRequests: 1`, as kafkajs requires); librdkafka's mock cluster, which the tests use,
 *   cannot serve it: kafkajs's idempotent producer first looks up the controller / InitProducerId, which
 *   the mock cluster does not answer for kafkajs (see DESIGN.md), so it is left to real clusters.
 * - Compression: `gzip` is built into kafkajs; `snappy`, `lz4` and `zstd` need a codec package registered
 *   in `CompressionCodecs` by the embedding program (none ships with this project), so choosing one
 *   without the codec fails at start-up with a clear message instead of at the first send.
 * - kafkajs's own logs are routed into Effect's logger at or above the configured `logLevel`.
 */
import type { LogEntry, Message } from "kafkajs"
// kafkajs is CommonJS whose named exports Node's ESM loader cannot see: take them off the default export
import Kafkajs from "kafkajs"
import { Effect, Redacted, Runtime, type Scope } from "effect"
import { SinkError } from "../domain/Errors.js"
import { makeProducers, sendBounds } from "./KafkaProducers.js"
import type { Compression, KafkaConfig } from "./KafkaConfig.js"

const { CompressionCodecs, CompressionTypes, Kafka, logLevel: KafkaLogLevel } = Kafkajs
type CompressionTypes = Kafkajs.CompressionTypes
type KafkaLogLevel = Kafkajs.logLevel

const compressionType = (c: Compression): CompressionTypes => {
  switch (c) {
    case "none":
      return CompressionTypes.None
    case "gzip":
      return CompressionTypes.GZIP
    case "snappy":
      return CompressionTypes.Snappy
    case "lz4":
      return CompressionTypes.LZ4
    case "zstd":
      return CompressionTypes.ZSTD
  }
}

const levels: Record<KafkaConfig["logLevel"], KafkaLogLevel> = {
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG
}

/** kafkajs ships placeholders that throw for the codecs it does not bundle */
const codecAvailable = (type: CompressionTypes): boolean => {
  const codecs: Partial<Record<CompressionTypes, () => unknown>> = CompressionCodecs
  const codec = codecs[type]
  if (codec === undefined) return false
  try {
    codec()
    return true
  } catch {
    return false
  }
}

/** A compression we cannot serve, refused before anything connects. */
export const checkCompression = (config: KafkaConfig): Effect.Effect<void, SinkError> => {
  const compression = compressionType(config.compression)
  return compression !== CompressionTypes.None && compression !== CompressionTypes.GZIP && !codecAvailable(compression)
    ? Effect.fail(
      new SinkError({
        reason: "unavailable",
        message:
          `kafka compression "${config.compression}" needs a codec: register one in kafkajs CompressionCodecs, or use "gzip" or "none"`
      })
    )
    : Effect.void
}

const message = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** The kafkajs client options our config maps to (secrets unwrapped only here). */
const clientOptions = (config: KafkaConfig) => {
  const ssl = config.ssl === undefined || typeof config.ssl === "boolean"
    ? config.ssl
    : {
      ...(config.ssl.rejectUnauthorized !== undefined ? { rejectUnauthorized: config.ssl.rejectUnauthorized } : {}),
      ...(config.ssl.ca !== undefined ? { ca: [config.ssl.ca] } : {}),
      ...(config.ssl.cert !== undefined ? { cert: config.ssl.cert } : {}),
      ...(config.ssl.key !== undefined ? { key: Redacted.value(config.ssl.key) } : {})
    }
  const sasl = config.sasl === undefined
    ? undefined
    : config.sasl.mechanism === "plain"
    ? { mechanism: "plain" as const, username: config.sasl.username, password: Redacted.value(config.sasl.password) }
    : config.sasl.mechanism === "scram-sha-256"
    ? { mechanism: "scram-sha-256" as const, username: config.sasl.username, password: Redacted.value(config.sasl.password) }
    : { mechanism: "scram-sha-512" as const, username: config.sasl.username, password: Redacted.value(config.sasl.password) }
  return { ssl, sasl }
}

export interface TopicMessages {
  readonly topic: string
  readonly messages: Array<Message>
}

export interface KafkaPublisher {
  readonly brokers: string
  /** One `sendBatch` of `count` messages, acknowledged by every in-sync replica, within `sendTimeoutMs`. */
  readonly send: (topicMessages: Array<TopicMessages>, count: number) => Effect.Effect<void, SinkError>
  /** The cluster answers its metadata within 3 s. */
  readonly check: Effect.Effect<void, SinkError>
}

/** A connected kafkajs client for the scope's life: fails now (not at the first batch) when no broker answers. */
export const makeKafkaPublisher = (config: KafkaConfig): Effect.Effect<KafkaPublisher, SinkError, Scope.Scope> =>
  Effect.gen(function*() {
    yield* checkCompression(config)
    const compression = compressionType(config.compression)
    const runtime = yield* Effect.runtime<never>()
    const runFork = Runtime.runFork(runtime)
    const logCreator = () => (entry: LogEntry) => {
      const text = `kafkajs ${entry.namespace}: ${entry.log.message}`
      const annotated = (e: Effect.Effect<void>) =>
        e.pipe(Effect.annotateLogs({ component: "kafkajs", ...(entry.log.broker ? { broker: String(entry.log.broker) } : {}) }))
      switch (entry.level) {
        case KafkaLogLevel.ERROR:
          runFork(annotated(Effect.logError(text)))
          break
        case KafkaLogLevel.WARN:
          runFork(annotated(Effect.logWarning(text)))
          break
        case KafkaLogLevel.INFO:
          runFork(annotated(Effect.logInfo(text)))
          break
        default:
          runFork(annotated(Effect.logDebug(text)))
      }
    }
    const { sasl, ssl } = clientOptions(config)
    const bounds = sendBounds(config.sendTimeoutMs)
    const kafka = new Kafka({
      clientId: config.clientId,
      brokers: [...config.brokers],
      ...(ssl !== undefined ? { ssl } : {}),
      ...(sasl !== undefined ? { sasl } : {}),
      logLevel: levels[config.logLevel],
      logCreator,
      connectionTimeout: bounds.connectionTimeout,
      requestTimeout: bounds.requestTimeout,
      // metadata and connection retries (they write no records) stay inside our send timeout too
      retry: { retries: 5, maxRetryTime: bounds.requestTimeout }
    })
    const brokers = config.brokers.join(",")
    const producers = yield* makeProducers(kafka, { brokers, idempotent: config.idempotent, bounds })
    yield* producers.current
    yield* Effect.logDebug("kafka producer connected").pipe(Effect.annotateLogs("brokers", brokers))
    // readiness asks the cluster for its metadata on an admin client, connected on first use
    const admin = kafka.admin()
    yield* Effect.addFinalizer(() =>
      Effect.tryPromise(() => admin.disconnect()).pipe(Effect.interruptible, Effect.timeoutOption("5 seconds"), Effect.ignore)
    )
    const check = Effect.tryPromise({
      try: async () => {
        await admin.connect()
        await admin.describeCluster()
      },
      catch: (cause) => new SinkError({ reason: "unavailable", message: `kafka ${brokers}: ${message(cause)}`, cause })
    }).pipe(
      Effect.interruptible,
      Effect.timeoutFail({
        duration: "3 seconds",
        onTimeout: () => new SinkError({ reason: "timeout", message: `kafka ${brokers}: no metadata within 3 s` })
      }),
      Effect.withSpan("KafkaSink.check", { attributes: { brokers } })
    )

    const send = (topicMessages: Array<TopicMessages>, count: number): Effect.Effect<void, SinkError> => {
      const timedOut = () =>
        new SinkError({
          reason: "timeout",
          message: `kafka ${brokers}: batch of ${count} not acknowledged within ${config.sendTimeoutMs} ms`
        })
      return producers.send({ topicMessages, acks: -1, compression, timeout: config.sendTimeoutMs }).pipe(
        Effect.mapError((failure) =>
          failure instanceof SinkError
            ? failure
            : failure.timedOut
            ? timedOut()
            : new SinkError({ reason: "rejected", message: `kafka ${brokers}: send refused: ${message(failure.cause)}`, cause: failure.cause })
        ),
        // no race and no interruptible region here: the send times out on its own timer (KafkaProducers'
        // awaitWithin), so the pipeline's uninterruptible publish-then-save survives an outside interrupt
        Effect.asVoid
      )
    }
    return { brokers, send, check }
  })
