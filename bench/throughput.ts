/**
 * Benchmark 1, pipeline throughput: pre-generated GitHub audit entries through decode -> normalise ->
 * dedup -> Kafka (librdkafka's mock cluster, acks awaited) with checkpoint commits to PostgreSQL,
 * against a bare kafkajs producer on the main thread sending the same encoded messages in the same batch
 * sizes. Ours runs in three settings per round: the producer in the main thread with one batch in flight
 * (the defaults); in a worker thread (`kafka.producerThread: "worker"`) with four batches in flight
 * (`pipeline.inFlight: 4`); and in two worker threads (`kafka.producerThreads: 2`, messages split by key)
 * with four in flight. Each round runs the baseline, then each setting; the ratio of a setting is the
 * median over rounds of (its rate / that round's baseline), so a machine whose speed drifts between
 * rounds (these are shared) moves both sides of each ratio alike.
 */
import { type Context, Effect, Layer, Option, Schema } from "effect"
import { CompressionTypes, Kafka, logLevel } from "kafkajs"
import { normaliseEvent } from "../src/pipeline/Normalise.js"
import { eventMessage } from "../src/pipeline/Wire.js"
import { defaultPipelineOptions } from "../src/pipeline/Options.js"
import { runAudit } from "../src/pipeline/Pipeline.js"
import { KafkaConfig } from "../src/adapters/KafkaConfig.js"
import { kafkaSinkLayer } from "../src/adapters/KafkaSink.js"
import type { EventSink } from "../src/services/EventSink.js"
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

    const configFor = (producerThread: "worker" | "main", producerThreads = 1) =>
      Schema.decodeUnknownSync(KafkaConfig)({ brokers: kafka.brokers, clientId: "verity-bench", logLevel: "nothing", producerThread, producerThreads })
    const config = configFor("main")
    // the same compression on both sides (the program's default)
    const compression = config.compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None
    const settings = [
      { name: "main", label: "producer in the main thread, 1 batch in flight (the defaults)", kafka: config, inFlight: defaultPipelineOptions.inFlight },
      { name: "worker", label: "producer in a worker thread (kafka.producerThread: worker), 4 batches in flight (pipeline.inFlight: 4)", kafka: configFor("worker"), inFlight: 4 },
      { name: "worker2", label: "producer in 2 worker threads (kafka.producerThreads: 2), 4 batches in flight", kafka: configFor("worker", 2), inFlight: 4 }
    ] as const
    type Setting = (typeof settings)[number]["name"]
    const sinkContexts = new Map<Setting, Context.Context<EventSink>>()
    for (const setting of settings) sinkContexts.set(setting.name, yield* Layer.build(kafkaSinkLayer(setting.kafka)))
    const storeContext = yield* Layer.build(SqlStateStoresLive.pipe(Layer.provide(sqlLayerFor(db))))

    const producer = new Kafka({ clientId: "bench-baseline", brokers: [...kafka.brokers], logLevel: logLevel.NOTHING }).producer({
      allowAutoTopicCreation: true
    })
    yield* Effect.promise(() => producer.connect())
    yield* Effect.addFinalizer(() => Effect.promise(() => producer.disconnect()))
    // warm both paths (topic creation, metadata, JIT)
    yield* Effect.promise(() => producer.send({ topic: "verity.events.raw.github", acks: -1, messages: [{ value: "warm-up" }] }))
    for (const setting of settings) {
      yield* runAudit(auditConnector(`bench-warm-${setting.name}`, () => entries.slice(0, 5000)), { ...defaultPipelineOptions, inFlight: setting.inFlight, progressEvery: "1 hour" }).pipe(
        Effect.provide(sinkContexts.get(setting.name)!),
        Effect.provide(storeContext)
      )
    }

    const baselineRates: Array<number> = []
    const ourRates = new Map<Setting, Array<number>>(settings.map((s) => [s.name, []]))
    const ratios = new Map<Setting, Array<number>>(settings.map((s) => [s.name, []]))
    for (let round = 1; round <= rounds; round++) {
      const b0 = performance.now()
      for (let i = 0; i < encoded.length; i += batchSize) {
        const messages = encoded.slice(i, i + batchSize)
        yield* Effect.promise(() =>
          producer.sendBatch({ topicMessages: [{ topic: "verity.events.raw.github", messages }], acks: -1, compression })
        )
      }
      baselineRates.push(rate(encoded.length, performance.now() - b0))

      for (const setting of settings) {
        const o0 = performance.now()
        const summary = yield* runAudit(auditConnector(`bench-${round}-${setting.name}`, () => entries), { ...defaultPipelineOptions, inFlight: setting.inFlight, progressEvery: "1 hour" }).pipe(
          Effect.provide(sinkContexts.get(setting.name)!),
          Effect.provide(storeContext)
        )
        const ours = rate(summary.published, performance.now() - o0)
        ourRates.get(setting.name)!.push(ours)
        ratios.get(setting.name)!.push(ours / baselineRates.at(-1)!)
        if (summary.published !== encoded.length) {
          return yield* Effect.dieMessage(`pipeline published ${summary.published} of ${encoded.length}`)
        }
        yield* Effect.logInfo("throughput round").pipe(
          Effect.annotateLogs({ round, setting: setting.name, baseline_per_s: baselineRates.at(-1), ours_per_s: ourRates.get(setting.name)!.at(-1), checkpoint: Option.map(summary.checkpointAfter, (c) => c.describe()).pipe(Option.getOrElse(() => "none")) })
        )
      }
    }
    const baseline = median(baselineRates)
    return settings.map((setting) => {
      const rates = ourRates.get(setting.name)!
      const perRound = ratios.get(setting.name)!
      const ratio = median(perRound)
      return {
        name: `Pipeline throughput, ${setting.label} (${fmt(events)} GitHub audit entries, batch ${batchSize}, acks=-1, ${config.compression}, checkpoints in ${db.backend})`,
        ours: `${fmt(median(rates))} events/s (rounds: ${rates.map(fmt).join(", ")})`,
        baseline: `${fmt(baseline)} msg/s bare kafkajs on the main thread, 1 batch at a time (rounds: ${baselineRates.map(fmt).join(", ")})`,
        ratio: `${ratio.toFixed(2)} (median of the rounds' ratios: ${perRound.map((r) => r.toFixed(2)).join(", ")})`,
        target: ">= 0.85",
        met: ratio >= 0.85
      } satisfies Figure
    })
  }).pipe(Effect.scoped)
