/**
 * CPU per event of every thread of this process (from /proc/self/task, Linux), around runs of the
 * throughput benchmark's work: what a `--cpu-prof` profile cannot show (V8's collector threads, libuv's
 * zlib threads). bench/README.md has what it found. With `--cpu-prof` it also writes a profile per
 * JavaScript thread:
 *   node --import tsx bench/threadCpu.ts worker|main|bare [events]
 *   node --cpu-prof --cpu-prof-dir=.verity/profiles --import tsx bench/threadCpu.ts main
 * `worker`: our pipeline, one producer thread, 4 in flight; `main`: the defaults; `bare`: the bare kafkajs
 * producer on the same messages. Two measured runs after a warm-up.
 */
import { readdirSync, readFileSync } from "node:fs"
import { Effect, Layer, Logger, LogLevel, Schema } from "effect"
import { CompressionTypes, Kafka, logLevel } from "kafkajs"
import { defaultPipelineOptions } from "../src/pipeline/Options.js"
import { runAudit } from "../src/pipeline/Pipeline.js"
import { KafkaConfig } from "../src/adapters/KafkaConfig.js"
import { kafkaSinkLayer } from "../src/adapters/KafkaSink.js"
import { SqlStateStoresLive } from "../src/adapters/SqlStateStores.js"
import { startKafkaMock } from "../src/testkit/KafkaMock.js"
import { sqlLayerFor, testDatabase } from "../src/testkit/Postgres.js"
import { auditConnector, bareMessages, githubAuditEntries, sendBare } from "./lib.js"

/** CPU milliseconds per thread id (utime + stime, in clock ticks of 10 ms). */
const threadTimes = (): Map<string, number> => {
  const out = new Map<string, number>()
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8")
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      out.set(tid, (Number(fields[11]) + Number(fields[12])) * 10)
    } catch {
      // the thread ended
    }
  }
  return out
}

const report = (label: string, before: Map<string, number>, events: number, ms: number) => {
  const after = threadTimes()
  const rows = [...after].map(([tid, t]) => [tid, t - (before.get(tid) ?? 0)] as const).filter(([, t]) => t > 0).sort((a, b) => b[1] - a[1])
  const total = rows.reduce((sum, [, t]) => sum + t, 0)
  const lines = rows.map(([tid, t]) =>
    `  thread ${tid}${tid === String(process.pid) ? " (main)" : ""}: ${((t / ms) * 100).toFixed(0)}% of a core, ${((t * 1000) / events).toFixed(1)} µs/event`
  )
  process.stdout.write(`${label}: ${Math.round((events / ms) * 1000)}/s, ${((total * 1000) / events).toFixed(1)} µs/event in all\n${lines.join("\n")}\n`)
}

const mode = process.argv[2] ?? "worker"
const events = Number(process.argv[3] ?? 200_000)

const program = Effect.gen(function*() {
  const kafka = yield* startKafkaMock
  const entries = Array.from(githubAuditEntries(events))
  if (mode === "bare") {
    const messages = bareMessages(entries)
    const producer = new Kafka({ clientId: "bench-bare", brokers: [...kafka.brokers], logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: true })
    yield* Effect.promise(() => producer.connect())
    yield* Effect.addFinalizer(() => Effect.promise(() => producer.disconnect()))
    for (let run = 0; run < 3; run++) {
      const before = threadTimes()
      const t0 = performance.now()
      yield* sendBare(producer, messages, defaultPipelineOptions.batchSize, CompressionTypes.GZIP)
      if (run > 0) report(`bare kafkajs, run ${run}`, before, messages.length, performance.now() - t0)
    }
    return
  }
  const db = yield* testDatabase
  const config = Schema.decodeUnknownSync(KafkaConfig)({ brokers: kafka.brokers, clientId: "bench-threads", logLevel: "nothing", producerThread: mode === "main" ? "main" : "worker" })
  const context = yield* Layer.build(Layer.merge(kafkaSinkLayer(config), SqlStateStoresLive.pipe(Layer.provide(sqlLayerFor(db)))))
  const options = { ...defaultPipelineOptions, inFlight: mode === "main" ? 1 : 4, progressEvery: "1 hour" as const }
  yield* runAudit(auditConnector("threads-warm", () => entries.slice(0, 20_000)), options).pipe(Effect.provide(context))
  for (let run = 1; run <= 2; run++) {
    const before = threadTimes()
    const t0 = performance.now()
    const summary = yield* runAudit(auditConnector(`threads-${run}`, () => entries), options).pipe(Effect.provide(context))
    report(`${mode}, run ${run}`, before, summary.published, performance.now() - t0)
  }
}).pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Warning))

Effect.runPromise(program).catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`)
  process.exitCode = 1
})
