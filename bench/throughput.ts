/**
 * Benchmark 1, pipeline throughput: pre-generated GitHub audit entries through decode -> normalise ->
 * dedup -> Kafka (librdkafka's mock cluster, acks awaited) with checkpoint commits to PostgreSQL,
 * against a bare kafkajs producer on the main thread sending the same encoded messages in the same batch
 * sizes. Ours runs twice per round, with the producer in a worker thread (`kafka.producerThread:
 * "worker"`) and in the main thread (the default): one row each, against the same baseline rounds. Rounds
 * alternate baseline and ours; each figure is the median of its rounds.
 */
import { Effect, Layer, Option, Schema } from "effect"
import { CompressionTypes, Kafka, logLevel } from "kafkajs"
import { normaliseEvent } from "../src/pipeline/Normalise.js"
import { eventMessage } from "../src/pipeline/Wire.js"
import { defaultPipelineOptions } from "../src/pipeline/Options.js"
import { runAudit } from "../src/pipeline/Pipeline.js"
import { KafkaConfig } from "../src/adapters/KafkaConfig.js"
import { kafkaSinkLayer } from "../src/adapters/KafkaSink.js"
import { SqlStateStoresLive } from "../src/adapters/SqlStateStores.js"
import { decodeAuditEntry } from "../src/platforms/github/AuditLog.js"
import { startKafkaMock } from "../src/testkit/KafkaMock.js"
import { sqlLayerFor, testDatabase } from "../src/testkit/Postgres.js"
import { auditConnector, type Figure, fmt, githubAuditEntries, median, rate } from "./lib.js"

export const throughput = (events: number, rounds: number) =>
  Effect.gen(function*() {
    const batchSize = defaultPipelineOptions.batchSize
    const kafka = yield* startKafkaMock
    const db = yield* testDatabase
    const entries = Array.from(githubAuditEntries(events))

    // the baseline sends exactly what the pipeline would: encode outside its timing
    const encoded = entries.flatMap((entry) => {
      const record = decodeAuditEntry(entry)
      if (record._tag === "Invalid") return []
      const normal = normaliseEvent(record.value, { caseInsensitivePrincipals: true })
      if (normal._tag === "Left") return []
      const m = eventMessage(normal.right, "bench")
      return [{ key: m.key, value: m.value, headers: { ...m.headers } }]
    })

    const configFor = (producerThread: "worker" | "main") =>
      Schema.decodeUnknownSync(KafkaConfig)({ brokers: kafka.brokers, clientId: "verity-bench", logLevel: "nothing", producerThread })
    const config = configFor("worker")
    // the same compression on both sides (the program's default)
    const compression = config.compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None
    const threads = ["worker", "main"] as const
    const sinkContexts = { worker: yield* Layer.build(kafkaSinkLayer(config)), main: yield* Layer.build(kafkaSinkLayer(configFor("main"))) }
    const storeContext = yield* Layer.build(SqlStateStoresLive.pipe(Layer.provide(sqlLayerFor(db))))

    const producer = new Kafka({ clientId: "bench-baseline", brokers: [...kafka.brokers], logLevel: logLevel.NOTHING }).producer({
      allowAutoTopicCreation: true
    })
    yield* Effect.promise(() => producer.connect())
    yield* Effect.addFinalizer(() => Effect.promise(() => producer.disconnect()))
    // warm both paths (topic creation, metadata, JIT)
    yield* Effect.promise(() => producer.send({ topic: "verity.events.raw.github", acks: -1, messages: [{ value: "warm-up" }] }))
    for (const thread of threads) {
      yield* runAudit(auditConnector(`bench-warm-${thread}`, () => entries.slice(0, 5000)), { ...defaultPipelineOptions, progressEvery: "1 hour" }).pipe(
        Effect.provide(sinkContexts[thread]),
        Effect.provide(storeContext)
      )
    }

    const baselineRates: Array<number> = []
    const ourRates = { worker: [] as Array<number>, main: [] as Array<number> }
    for (let round = 1; round <= rounds; round++) {
      const b0 = performance.now()
      for (let i = 0; i < encoded.length; i += batchSize) {
        const messages = encoded.slice(i, i + batchSize)
        yield* Effect.promise(() =>
          producer.sendBatch({ topicMessages: [{ topic: "verity.events.raw.github", messages }], acks: -1, compression })
        )
      }
      baselineRates.push(rate(encoded.length, performance.now() - b0))

      for (const thread of threads) {
        const o0 = performance.now()
        const summary = yield* runAudit(auditConnector(`bench-${round}-${thread}`, () => entries), { ...defaultPipelineOptions, progressEvery: "1 hour" }).pipe(
          Effect.provide(sinkContexts[thread]),
          Effect.provide(storeContext)
        )
        ourRates[thread].push(rate(summary.published, performance.now() - o0))
        if (summary.published !== encoded.length) {
          return yield* Effect.dieMessage(`pipeline published ${summary.published} of ${encoded.length}`)
        }
        yield* Effect.logInfo("throughput round").pipe(
          Effect.annotateLogs({ round, thread, baseline_per_s: baselineRates.at(-1), ours_per_s: ourRates[thread].at(-1), checkpoint: Option.map(summary.checkpointAfter, (c) => c.describe()).pipe(Option.getOrElse(() => "none")) })
        )
      }
    }
    const baseline = median(baselineRates)
    return threads.map((thread) => {
      const ours = median(ourRates[thread])
      const ratio = ours / baseline
      return {
        name: `Pipeline throughput, producer in the ${thread === "worker" ? "worker thread (producerThread: worker)" : "main thread (the default)"} (${fmt(events)} GitHub audit entries, batch ${batchSize}, ${defaultPipelineOptions.inFlight} in flight, acks=-1, ${config.compression}, checkpoints in ${db.backend})`,
        ours: `${fmt(ours)} events/s (rounds: ${ourRates[thread].map(fmt).join(", ")})`,
        baseline: `${fmt(baseline)} msg/s bare kafkajs on the main thread (rounds: ${baselineRates.map(fmt).join(", ")})`,
        ratio: ratio.toFixed(2),
        target: ">= 0.85",
        met: ratio >= 0.85
      } satisfies Figure
    })
  }).pipe(Effect.scoped)
