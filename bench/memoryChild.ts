/**
 * One memory measurement, in a process of its own so its peak RSS is its own:
 *   node --import tsx bench/memoryChild.ts <events> <brokers> <dsn>
 * (or through bench/memoryLaunch.ts, as main.ts launches `run`). Streams <events> generated GitHub audit entries (never held: generated as pulled) through the
 * pipeline, with dedup at its default capacity, to Kafka, checkpointing in PostgreSQL. Prints one JSON
 * line: events published, peak RSS (the kernel's VmHWM), heap after a final GC, duration.
 */
import { Effect, Layer, Redacted, Schema } from "effect"
import { PgClient } from "@effect/sql-pg"
import { KafkaConfig } from "../src/adapters/KafkaConfig.js"
import { kafkaSinkLayer } from "../src/adapters/KafkaSink.js"
import { SqlStateStoresLive } from "../src/adapters/SqlStateStores.js"
import { defaultPipelineOptions } from "../src/pipeline/Options.js"
import { runAudit } from "../src/pipeline/Pipeline.js"
import { auditConnector, githubAuditEntries } from "./lib.js"

const [eventsArg, brokers, dsn] = process.argv.slice(2)
const events = Number(eventsArg)
import { readFileSync } from "node:fs"

/** The kernel's high-water mark of a process's RSS: exact, however busy the event loop was. */
const peakRss = (pid: "self" | number = "self"): number => {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
  return match ? Number(match[1]) * 1024 : pid === "self" ? process.memoryUsage.rss() : 0
}

/** Launched through bench/memoryLaunch.ts with the program's own heap limits: the launcher's peak too. */
const launcherPeakRss = () => process.env["VERITY_HEAP_LIMITS_SET_BY"] === "verity" ? peakRss(process.ppid) : 0

const layers = Layer.merge(
  kafkaSinkLayer(Schema.decodeUnknownSync(KafkaConfig)({ brokers: (brokers ?? "").split(","), clientId: "verity-bench-memory", logLevel: "nothing" })),
  SqlStateStoresLive.pipe(Layer.provide(PgClient.layer({ url: Redacted.make(dsn ?? ""), maxConnections: 2 })))
)

const started = performance.now()
Effect.runPromise(
  runAudit(auditConnector(`bench-memory-${events}-${process.pid}`, () => githubAuditEntries(events, 11)), {
    ...defaultPipelineOptions,
    progressEvery: "1 hour"
  }).pipe(Effect.provide(layers))
).then((summary) => {
  const heapAfterGc = (() => {
    const gc = (globalThis as { gc?: () => void }).gc
    gc?.()
    return process.memoryUsage().heapUsed
  })()
  process.stdout.write(
    JSON.stringify({ events, published: summary.published, peakRssBytes: peakRss(), launcherPeakRssBytes: launcherPeakRss(), heapAfterGcBytes: heapAfterGc, ms: Math.round(performance.now() - started) }) + "\n"
  )
}, (error: unknown) => {
  process.stderr.write(`memory benchmark failed: ${String(error)}\n`)
  process.exitCode = 1
})
