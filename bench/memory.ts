/**
 * Benchmark 2, memory: peak RSS for 250,000 and 1,000,000 events through the pipeline (dedup at its
 * default capacity), each in a fresh process launched as `main.ts run` is (no flags: the program's own
 * heap limits). The baseline is the same program at 250,000 events: the ratio is the growth from 250k
 * to 1M. V8's default limits at 250,000 events are shown for comparison.
 */
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { Effect, Redacted, Schema } from "effect"
import { startKafkaMock } from "../src/testkit/KafkaMock.js"
import { testDatabase } from "../src/testkit/Postgres.js"
import { heapFlags } from "../src/app/HeapLimits.js"
import { defaultDedupCapacity } from "../src/pipeline/Dedup.js"
import { type Figure, fmt } from "./lib.js"

const Result = Schema.parseJson(
  Schema.Struct({
    events: Schema.Number,
    published: Schema.Number,
    peakRssBytes: Schema.Number,
    launcherPeakRssBytes: Schema.Number,
    heapAfterGcBytes: Schema.Number,
    ms: Schema.Number
  })
)

/**
 * One run in a fresh process, launched as `main.ts run` is (bench/memoryLaunch.ts: the program sets its
 * own heap limits, src/app/HeapLimits.ts), with `env` added (`VERITY_MAX_OLD_SPACE_MB=0`: V8's defaults).
 */
const measure = (events: number, brokers: string, dsn: string, env: Record<string, string> = {}) =>
  Effect.promise(() =>
    promisify(execFile)(process.execPath, ["--expose-gc", "--import", "tsx", "bench/memoryLaunch.ts", String(events), brokers, dsn], {
      cwd: new URL("..", import.meta.url).pathname,
      env: { ...process.env, ...env },
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
    const a = yield* measure(small, kafka.bootstrap, dsn)
    const b = yield* measure(large, kafka.bootstrap, dsn)
    // V8's defaults, for comparison (250k only, to keep `npm run bench` under 10 minutes)
    const d = yield* measure(small, kafka.bootstrap, dsn, { VERITY_MAX_OLD_SPACE_MB: "0" })
    for (const r of [a, b, d]) {
      if (r.published !== r.events) return yield* Effect.dieMessage(`memory benchmark published ${r.published} of ${r.events}`)
    }
    const growth = b.peakRssBytes / a.peakRssBytes - 1
    const flags = heapFlags([], {}).join(" ")
    figures.push({
      name: `Memory as launched (no flags: the program re-launches itself with ${flags}): peak RSS (VmHWM) of the process ` +
        `running the pipeline to Kafka, dedup capacity ${fmt(defaultDedupCapacity)}; the target counts both processes`,
      ours: `${mb(b.peakRssBytes).toFixed(0)} MB at ${fmt(large)} events (heap after GC ${mb(b.heapAfterGcBytes).toFixed(0)} MB, ` +
        `${fmt(Math.round(large / b.ms * 1000))}/s); with the idle launcher's ${mb(b.launcherPeakRssBytes).toFixed(0)} MB, ` +
        `${mb(b.peakRssBytes + b.launcherPeakRssBytes).toFixed(0)} MB in all`,
      baseline: `${mb(a.peakRssBytes).toFixed(0)} MB at ${fmt(small)} events (heap after GC ${mb(a.heapAfterGcBytes).toFixed(0)} MB)`,
      ratio: `${(1 + growth).toFixed(2)} (growth ${(growth * 100).toFixed(1)}%)`,
      target: "<= 250 MB at 1M, growth <= 15%",
      met: mb(b.peakRssBytes + b.launcherPeakRssBytes) <= 250 && growth <= 0.15
    })
    figures.push({
      name: `Memory with V8's default heap limits (VERITY_MAX_OLD_SPACE_MB=0), ${fmt(small)} events (for comparison)`,
      ours: `${mb(d.peakRssBytes).toFixed(0)} MB peak RSS (heap after GC ${mb(d.heapAfterGcBytes).toFixed(0)} MB, ${fmt(Math.round(small / d.ms * 1000))}/s)`,
      baseline: `${mb(a.peakRssBytes).toFixed(0)} MB with the program's own limits`,
      ratio: (d.peakRssBytes / a.peakRssBytes).toFixed(2),
      target: "n/a",
      met: "n/a"
    })
    return figures
  }).pipe(Effect.scoped)
