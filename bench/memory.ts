/**
 * Benchmark 2, memory: peak RSS for 250,000 and 1,000,000 events through the pipeline (dedup at its
 * default capacity), each in a fresh process. The baseline is the same program at 250,000 events:
 * the ratio is the growth from 250k to 1M.
 */
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { Effect, Redacted, Schema } from "effect"
import { startKafkaMock } from "../src/testkit/KafkaMock.js"
import { testDatabase } from "../src/testkit/Postgres.js"
import { defaultDedupCapacity } from "../src/pipeline/Dedup.js"
import { type Figure, fmt } from "./lib.js"

const Result = Schema.parseJson(
  Schema.Struct({ events: Schema.Number, published: Schema.Number, peakRssBytes: Schema.Number, heapAfterGcBytes: Schema.Number, ms: Schema.Number })
)

/**
 * The V8 setting the README recommends for the ingest process: its working set is bounded (a few
 * batches and the dedup keys), but by default V8 lets the old generation grow to hundreds of MB
 * before it collects; with a cap it collects sooner and RSS follows the working set.
 */
export const recommendedNodeFlags = ["--max-old-space-size=128", "--max-semi-space-size=4"]

const measure = (events: number, brokers: string, dsn: string, nodeFlags: ReadonlyArray<string>) =>
  Effect.promise(() =>
    promisify(execFile)(process.execPath, [...nodeFlags, "--expose-gc", "--import", "tsx", "bench/memoryChild.ts", String(events), brokers, dsn], {
      cwd: new URL("..", import.meta.url).pathname,
      maxBuffer: 1 << 20
    })
  ).pipe(Effect.map(({ stdout }) => Schema.decodeUnknownSync(Result)(stdout.trim().split("\n").at(-1) ?? "")))

export const memory = (small = 250_000, large = 1_000_000) =>
  Effect.gen(function*() {
    const kafka = yield* startKafkaMock
    const db = yield* testDatabase
    const dsn = Redacted.value(db.dsn)
    const mb = (x: number) => x / 2 ** 20
    const figures: Array<Figure> = []
    const a = yield* measure(small, kafka.bootstrap, dsn, recommendedNodeFlags)
    const b = yield* measure(large, kafka.bootstrap, dsn, recommendedNodeFlags)
    // V8's defaults, for comparison (1M only, to keep `npm run bench` under 10 minutes)
    const d = yield* measure(large, kafka.bootstrap, dsn, [])
    for (const r of [a, b, d]) {
      if (r.published !== r.events) return yield* Effect.dieMessage(`memory benchmark published ${r.published} of ${r.events}`)
    }
    const growth = b.peakRssBytes / a.peakRssBytes - 1
    figures.push({
      name: `Memory (node ${recommendedNodeFlags.join(" ")}): peak RSS (VmHWM) through the pipeline to Kafka, dedup capacity ${fmt(defaultDedupCapacity)}`,
      ours: `${mb(b.peakRssBytes).toFixed(0)} MB at ${fmt(large)} events (heap after GC ${mb(b.heapAfterGcBytes).toFixed(0)} MB, ${fmt(Math.round(large / b.ms * 1000))}/s)`,
      baseline: `${mb(a.peakRssBytes).toFixed(0)} MB at ${fmt(small)} events (heap after GC ${mb(a.heapAfterGcBytes).toFixed(0)} MB)`,
      ratio: `${(1 + growth).toFixed(2)} (growth ${(growth * 100).toFixed(1)}%)`,
      target: "<= 250 MB at 1M, growth <= 15%",
      met: mb(b.peakRssBytes) <= 250 && growth <= 0.15
    })
    figures.push({
      name: "Memory with V8's default flags, 1M events (for comparison)",
      ours: `${mb(d.peakRssBytes).toFixed(0)} MB peak RSS (heap after GC ${mb(d.heapAfterGcBytes).toFixed(0)} MB, ${fmt(Math.round(large / d.ms * 1000))}/s)`,
      baseline: `${mb(b.peakRssBytes).toFixed(0)} MB with the recommended flags`,
      ratio: (d.peakRssBytes / b.peakRssBytes).toFixed(2),
      target: "<= 250 MB at 1M",
      met: mb(d.peakRssBytes) <= 250
    })
    return figures
  }).pipe(Effect.scoped)
