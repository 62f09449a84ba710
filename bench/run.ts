/**
 * `npm run bench`: every benchmark, each printing our figure, a baseline measured in the same run and
 * the ratio, then bench/RESULTS.md with the machine's facts and the command.
 *
 *   npm run bench                     all nine
 *   npm run bench -- throughput       only the named ones (throughput, memory, connector, freshness, cluster, grants, pacing, restart, drift)
 *   npm run bench -- --report         none: RESULTS.md again from the stored figures
 *
 * Each benchmark's latest figures are kept in bench/results/<name>.json, so a run of some of them
 * rewrites RESULTS.md with their new rows and the others' latest (each says when it ran, under what load).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { loadavg } from "node:os"
import { Effect, Logger, LogLevel, Schema } from "effect"
import { clusterScaling } from "./cluster.js"
import { connectorEfficiency } from "./connector.js"
import { driftLatency } from "./drift.js"
import { freshness } from "./freshness.js"
import { grantDiff } from "./grantDiff.js"
import { type Figure, machineFacts } from "./lib.js"
import { memory } from "./memory.js"
import { pacing } from "./pacing.js"
import { restartBudget } from "./restart.js"
import { throughput } from "./throughput.js"

const all = {
  throughput: () => throughput(200_000, 5),
  memory: () => memory(250_000, 1_000_000),
  connector: () => connectorEfficiency(500, 20),
  freshness: () => freshness(60).pipe(Effect.map((f) => [f])),
  cluster: () => clusterScaling(10_000),
  grants: () => grantDiff(10_000, 1_000_000),
  pacing: () => pacing(600),
  restart: () => restartBudget(300),
  drift: () => driftLatency(16)
} as const
type Name = keyof typeof all
const isName = (s: string): s is Name => Object.hasOwn(all, s)

const requested = process.argv.slice(2).filter((a) => !a.startsWith("-"))
const unknown = requested.filter((a) => !isName(a))
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark: ${unknown.join(", ")}; known: ${Object.keys(all).join(", ")}\n`)
  process.exit(2)
}
/** `--report`: run nothing, rewrite RESULTS.md from the stored figures */
const reportOnly = process.argv.includes("--report")
const names: ReadonlyArray<Name> = reportOnly ? [] : requested.length > 0 ? requested.filter(isName) : (Object.keys(all) as Array<Name>)
const facts = machineFacts()

const Stored = Schema.Struct({
  name: Schema.Literal(...(Object.keys(all) as Array<Name>)),
  figures: Schema.Array(Schema.Struct({
    name: Schema.String,
    ours: Schema.String,
    baseline: Schema.String,
    ratio: Schema.String,
    target: Schema.String,
    met: Schema.Union(Schema.Boolean, Schema.Literal("n/a")),
    notes: Schema.optional(Schema.String)
  })),
  seconds: Schema.Number,
  date: Schema.String,
  load: Schema.String,
  error: Schema.optional(Schema.String)
})
type Stored = typeof Stored.Type
const decodeStored = Schema.decodeUnknownSync(Schema.parseJson(Stored))
const loadNow = () => loadavg().map((l) => l.toFixed(2)).join(" ")

const resultsDir = new URL("./results/", import.meta.url)
const storedFile = (name: Name) => new URL(`${name}.json`, resultsDir)
/** The latest stored figures of a benchmark (written by this script only). */
const stored = (name: Name): Stored | undefined =>
  existsSync(storedFile(name)) ? decodeStored(readFileSync(storedFile(name), "utf8")) : undefined

const line = (f: Figure) =>
  `| ${f.name} | ${f.ours} | ${f.baseline} | ${f.ratio} | ${f.target} | ${f.met === "n/a" ? "n/a" : f.met ? "yes" : "**no**"} |`

/** What a figure adds beyond its row (CPU per event, say), under the table. */
const notesSection = (latest: ReadonlyArray<Stored>) => {
  const notes = latest.flatMap((r) => r.figures.flatMap((f) => (f.notes === undefined ? [] : [`- ${f.name}: ${f.notes}`])))
  return notes.length === 0 ? [] : ["## Notes", "", ...notes, ""]
}

const program = Effect.gen(function*() {
  const results: Array<Stored> = []
  const started = Date.now()
  for (const name of names) {
    const t0 = Date.now()
    const load = loadNow()
    process.stdout.write(`\n== ${name}\n`)
    const outcome = yield* Effect.either(all[name]())
    const seconds = Math.round((Date.now() - t0) / 1000)
    if (outcome._tag === "Left") {
      results.push({ name, figures: [], seconds, date: new Date(t0).toISOString(), load, error: String(outcome.left) })
      process.stdout.write(`   failed: ${String(outcome.left)}\n`)
      continue
    }
    results.push({ name, figures: outcome.right, seconds, date: new Date(t0).toISOString(), load })
    for (const f of outcome.right) {
      process.stdout.write(`   ${f.name}\n     ours:     ${f.ours}\n     baseline: ${f.baseline}\n     ratio:    ${f.ratio}  (target ${f.target}: ${f.met === "n/a" ? "n/a" : f.met ? "met" : "MISSED"})\n${f.notes === undefined ? "" : `     notes:    ${f.notes}\n`}`)
    }
  }
  const total = Math.round((Date.now() - started) / 1000)
  mkdirSync(resultsDir, { recursive: true })
  for (const r of results) writeFileSync(storedFile(r.name), JSON.stringify(r, null, 2) + "\n")
  // every benchmark's latest figures: this run's, else the stored ones
  const latest = (Object.keys(all) as Array<Name>).flatMap((name) => {
    const r = results.find((x) => x.name === name) ?? stored(name)
    return r === undefined ? [] : [r]
  })
  const md = [
    "# Benchmark results",
    "",
    "Written by `npm run bench` (`node --import tsx bench/run.ts" + (reportOnly ? " --report" : requested.length ? ` ${requested.join(" ")}` : "") +
      "`). Each figure is",
    "ours, a baseline measured in the same run, and their ratio. Shared, noisy machines: compare ratios, not",
    "absolute rates, and rerun before concluding.",
    "",
    "## Machine",
    "",
    `- date: ${facts.date}`,
    `- CPU: ${facts.cpu}`,
    `- memory: ${facts.memory}`,
    `- load average at start: ${facts.load}`,
    `- OS: ${facts.os}; Node ${facts.node}; kcat (librdkafka mock cluster) ${facts.kcat}`,
    `- total time: ${total} s`,
    "",
    "## Figures",
    "",
    "| benchmark | ours | baseline (same run) | ratio | target | met |",
    "|---|---|---|---|---|---|",
    ...latest.flatMap((r) => r.error !== undefined ? [`| ${r.name} | FAILED: ${r.error.replaceAll("|", "/")} | | | | **no** |`] : r.figures.map(line)),
    "",
    ...notesSection(latest),
    "## Time per benchmark",
    "",
    "Each row above is its benchmark's latest run (bench/results/<name>.json):",
    "",
    ...latest.map((r) =>
      `- ${r.name}: ${r.seconds} s, run ${r.date}${results.includes(r) ? " (this run)" : ""}, load average at its start ${r.load}`
    ),
    ""
  ].join("\n")
  writeFileSync(new URL("./RESULTS.md", import.meta.url), md)
  process.stdout.write(`\nwrote bench/RESULTS.md (${total} s)\n`)
})

Effect.runPromise(program.pipe(Logger.withMinimumLogLevel(LogLevel.Warning))).catch((error: unknown) => {
  process.stderr.write(`benchmarks failed: ${String(error)}\n`)
  process.exitCode = 1
})
