/**
 * Our side of the throughput benchmark alone, for a CPU profile of the pipeline to Kafka:
 *   node --cpu-prof --cpu-prof-dir=.verity/profiles --import tsx bench/profileThroughput.ts
 * (see bench/README.md for what the profile showed).
 */
import { Effect, Layer, Logger, LogLevel, Schema } from "effect"
import { defaultPipelineOptions } from "../src/pipeline/Options.js"
import { runAudit } from "../src/pipeline/Pipeline.js"
import { KafkaConfig } from "../src/adapters/KafkaConfig.js"
import { kafkaSinkLayer } from "../src/adapters/KafkaSink.js"
import { SqlStateStoresLive } from "../src/adapters/SqlStateStores.js"
import { startKafkaMock } from "../src/testkit/KafkaMock.js"
import { sqlLayerFor, testDatabase } from "../src/testkit/Postgres.js"
import { auditConnector, githubAuditEntries } from "./lib.js"
const program = Effect.gen(function*() {
  const kafka = yield* startKafkaMock
  const db = yield* testDatabase
  const entries = Array.from(githubAuditEntries(200000))
  const config = Schema.decodeUnknownSync(KafkaConfig)({ brokers: kafka.brokers, clientId: "p", logLevel: "nothing" })
  const ctx = yield* Layer.build(Layer.merge(kafkaSinkLayer(config), SqlStateStoresLive.pipe(Layer.provide(sqlLayerFor(db)))))
  const t0 = performance.now()
  const s = yield* runAudit(auditConnector("p", () => entries), { ...defaultPipelineOptions, progressEvery: "1 hour" }).pipe(Effect.provide(ctx))
  process.stdout.write(`ours ${Math.round(s.published / (performance.now() - t0) * 1000)}/s\n`)
}).pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Warning))
Effect.runPromise(program).catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`)
  process.exitCode = 1
})
