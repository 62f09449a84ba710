/**
 * Benchmark 1, pipeline throughput: pre-generated GitHub audit entries through decode -> normalise ->
 * dedup -> Kafka (librdkafka's mock cluster, acks awaited) with checkpoint commits to PostgreSQL,
 * against a bare kafkajs producer on the main thread sending the same encoded messages in the same batch
 * sizes. Ours runs in three settings: the producer in the main thread with one batch in flight (the
 * defaults); in a worker thread (`kafka.producerThread: "worker"`) with four batches in flight
 * (`pipeline.inFlight: 4`); and in two worker threads (`kafka.producerThreads: 2`, messages split by key)
 * with four in flight.
 *
 * These machines are shared and their speed drifts by half within a minute, so each run of a setting is
 * paired with a baseline run right beside it (baseline first in odd rounds, ours first in even ones),
 * and a setting's ratio is the median over rounds of (its rate / its pair's baseline rate). The CPU
 * both sides spend per event (every thread of the process: collector and zlib threads included) is
 * printed too; it drifts less than the rates.
 */
import { type Context, Effect, Layer, Option, Schema } from "effect"
import { CompressionTypes, Kafka, logLevel } from "kafkajs"
import { defaultPipelineOptions } from "../src/pipeline/Options.js"
import { runAudit } from "../src/pipeline/Pipeline.js"
import { KafkaConfig } from "../src/adapters/KafkaConfig.js"
import { kafkaSinkLayer } from "../src/adapters/KafkaSink.js"
import type { EventSink } from "../src/services/EventSink.js"
import { SqlStateStoresLive } from "../src/adapters/SqlStateStores.js"
import { startKafkaMock } from "../src/testkit/KafkaMock.js"
import { sqlLayerFor, testDatabase } from "../src/testkit/Postgres.js"
import { auditConnector, bareMessages, type Figure, fmt, githubAuditEntries, median, rate, sendBare } from "./lib.js"

export const throughput = (events: number, rounds: number) =>
  Effect.gen(function*() {
    const batchSize = defaultPipelineOptions.batchSize
    const kafka = yield* startKafkaMock
    const db = yield* testDatabase
    const entries = Array.from(githubAuditEntries(events))

    // the baseline sends exactly what the pipeline would: encode outside its timing
    const encoded = bareMessages(entries)

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

    const baselineCpu: Array<number> = []
    const ourRates = new Map<Setting, Array<number>>(settings.map((s) => [s.name, []]))
    const ourCpu = new Map<Setting, Array<number>>(settings.map((s) => [s.name, []]))
    const ratios = new Map<Setting, Array<number>>(settings.map((s) => [s.name, []]))
    const pairedBaselines = new Map<Setting, Array<number>>(settings.map((s) => [s.name, []]))
    /** microseconds of CPU (all threads) per message since `from` */
    const cpuPer = (from: NodeJS.CpuUsage, count: number) => {
      const used = process.cpuUsage(from)
      return (used.user + used.system) / count
    }
    const runBaseline = Effect.gen(function*() {
      const c0 = process.cpuUsage()
      const b0 = performance.now()
      yield* sendBare(producer, encoded, batchSize, compression)
      const r = rate(encoded.length, performance.now() - b0)
      baselineCpu.push(cpuPer(c0, encoded.length))
      return r
    })
    const runOurs = (round: number, setting: (typeof settings)[number]) =>
      Effect.gen(function*() {
        const c0 = process.cpuUsage()
        const o0 = performance.now()
        const summary = yield* runAudit(auditConnector(`bench-${round}-${setting.name}`, () => entries), { ...defaultPipelineOptions, inFlight: setting.inFlight, progressEvery: "1 hour" }).pipe(
          Effect.provide(sinkContexts.get(setting.name)!),
          Effect.provide(storeContext)
        )
        const ours = rate(summary.published, performance.now() - o0)
        if (summary.published !== encoded.length) {
          return yield* Effect.dieMessage(`pipeline published ${summary.published} of ${encoded.length}`)
        }
        ourRates.get(setting.name)!.push(ours)
        ourCpu.get(setting.name)!.push(cpuPer(c0, summary.published))
        return { ours, summary }
      })
    for (let round = 1; round <= rounds; round++) {
      for (const setting of settings) {
        const baselineFirst = round % 2 === 1
        const before = baselineFirst ? yield* runBaseline : 0
        const { ours, summary } = yield* runOurs(round, setting)
        const base = baselineFirst ? before : yield* runBaseline
        ratios.get(setting.name)!.push(ours / base)
        pairedBaselines.get(setting.name)!.push(base)
        yield* Effect.logInfo("throughput round").pipe(
          Effect.annotateLogs({ round, setting: setting.name, baseline_per_s: base, ours_per_s: ours, ratio: (ours / base).toFixed(2), checkpoint: Option.map(summary.checkpointAfter, (c) => c.describe()).pipe(Option.getOrElse(() => "none")) })
        )
      }
    }
    const us = (xs: ReadonlyArray<number>) => `${median(xs).toFixed(1)} µs`
    return settings.map((setting) => {
      const rates = ourRates.get(setting.name)!
      const perRound = ratios.get(setting.name)!
      const ratio = median(perRound)
      const baselines = pairedBaselines.get(setting.name)!
      return {
        name: `Pipeline throughput, ${setting.label} (${fmt(events)} GitHub audit entries, batch ${batchSize}, acks=-1, ${config.compression}, checkpoints in ${db.backend})`,
        ours: `${fmt(median(rates))} events/s (runs: ${rates.map(fmt).join(", ")})`,
        baseline: `${fmt(median(baselines))} msg/s bare kafkajs on the main thread, 1 batch at a time (the paired runs: ${baselines.map(fmt).join(", ")})`,
        ratio: `${ratio.toFixed(2)} (median of the paired runs' ratios: ${perRound.map((r) => r.toFixed(2)).join(", ")})`,
        target: ">= 0.85",
        met: ratio >= 0.85,
        notes: `CPU per event, every thread of the process: ours ${us(ourCpu.get(setting.name)!)}, the bare producer ${us(baselineCpu)} (medians)`
      } satisfies Figure
    })
  }).pipe(Effect.scoped)
