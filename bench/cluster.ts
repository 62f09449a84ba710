/**
 * Benchmark 5, scaling out: total audit throughput of 1, 2 and 3 `run` processes (a cluster on one
 * PostgreSQL) sharing six GitHub connectors (six simulated orgs, in this process), as a ratio to one
 * runner measured in the same run. Each configuration gets a fresh database; the window starts once
 * every runner holds a share of the streams (start-up and the first rebalancing are left out) and ends
 * when every connector's audit checkpoint reaches its org's last event: events checkpointed in the
 * window / its length.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Redacted } from "effect"
import { startGitHubSimulator } from "../src/platforms/github/simulator/Server.js"
import { startKafkaMock } from "../src/testkit/KafkaMock.js"
import { testDatabase } from "../src/testkit/Postgres.js"
import { type Figure, fmt } from "./lib.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const tsxLoader = new URL("../node_modules/tsx/dist/loader.mjs", import.meta.url).href
const ORGS = 6

const startRunner = (config: string, dir: string) =>
  Effect.acquireRelease(
    Effect.sync(() =>
      spawn(process.execPath, ["--import", tsxLoader, join(root, "main.ts"), "run", "--config", config], {
        cwd: dir,
        stdio: ["ignore", "ignore", "ignore"],
        env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VERITY_")))
      })
    ),
    (child: ChildProcess) =>
      Effect.async<void>((resume) => {
        if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
        child.once("exit", () => resume(Effect.void))
        child.kill("SIGKILL")
      })
  )

const waitFor = <E, R>(check: Effect.Effect<boolean, E, R>, what: string, seconds: number) =>
  Effect.gen(function*() {
    const until = Date.now() + seconds * 1000
    while (!(yield* check)) {
      if (Date.now() > until) return yield* Effect.dieMessage(`cluster bench: timed out waiting until ${what}`)
      yield* Effect.sleep("100 millis")
    }
  })

/** Events per second, over the window, of `runners` processes. */
const measure = (runners: number, brokers: ReadonlyArray<string>, orgs: ReadonlyArray<{ org: string; token: string; url: string }>, last: ReadonlyArray<number>, total: number) =>
  Effect.gen(function*() {
    const db = yield* testDatabase
    const dir = mkdtempSync(join(tmpdir(), "verity-bench-cluster-"))
    const config = join(dir, "config.json")
    writeFileSync(config, JSON.stringify({
      kafka: { brokers, logLevel: "nothing" },
      postgres: { dsn: Redacted.value(db.dsn) },
      pipeline: { progressEvery: "1 hour" },
      connectors: orgs.map((o, i) => ({
        id: `gh-${i}`,
        platform: "github",
        settings: { org: o.org, token: o.token, apiUrl: o.url, pageSize: 100 },
        schedule: { audit: "1 hour", permissions: "1 hour" }
      }))
    }))
    const children = yield* Effect.all(Array.from({ length: runners }, () => startRunner(config, dir)))
    const locks = db.query<{ runner: string }>("SELECT runner FROM stream_locks").pipe(Effect.catchAllDefect(() => Effect.succeed([])))
    const checkpoints = db.query<{ connector_id: string; ts: string; count: string }>(
      "SELECT connector_id, checkpoint->>'ts' AS ts, checkpoint->>'count' AS count FROM connector_checkpoints WHERE stream = 'audit'"
    ).pipe(Effect.catchAllDefect(() => Effect.succeed([])))
    yield* waitFor(
      // fresh database, nobody killed: the runners named in the claims are the ones holding streams now
      locks.pipe(Effect.map((rows) => rows.length === orgs.length * 2 && new Set(rows.map((r) => r.runner)).size === children.length)),
      `each of ${runners} runner(s) holds a share`,
      180
    )
    const t0 = performance.now()
    const before = (yield* checkpoints).reduce((s, r) => s + Number(r.count), 0)
    yield* waitFor(
      checkpoints.pipe(Effect.map((rows) => orgs.every((_, i) => Number(rows.find((r) => r.connector_id === `gh-${i}`)?.ts ?? -1) >= last[i]!))),
      "every connector reached its last event",
      600
    )
    const seconds = (performance.now() - t0) / 1000
    const after = (yield* checkpoints).reduce((s, r) => s + Number(r.count), 0)
    if (after < total) return yield* Effect.dieMessage(`cluster bench: ${after} of ${total} events checkpointed`)
    const perSecond = Math.round((after - before) / seconds)
    yield* Effect.logInfo("cluster bench").pipe(Effect.annotateLogs({ runners, events_in_window: after - before, seconds: seconds.toFixed(1), per_second: perSecond }))
    return perSecond
  }).pipe(Effect.scoped)

export const clusterScaling = (eventsPerOrg: number) =>
  Effect.gen(function*() {
    const kafka = yield* startKafkaMock
    const sims = yield* Effect.all(
      Array.from({ length: ORGS }, (_, i) =>
        startGitHubSimulator({ org: `bench-org-${i}`, seed: 500 + i, events: eventsPerOrg, repos: 4, members: 6, teams: 1, outsideCollaborators: 1, latencyMs: 3 })
      ),
      { concurrency: "unbounded" }
    )
    const truths = yield* Effect.forEach(sims, (s) => s.truthEvents)
    const last = truths.map((t) => Date.parse(t[t.length - 1]!.occurred_at))
    const total = truths.reduce((s, t) => s + t.length, 0)
    const one = yield* measure(1, kafka.brokers, sims, last, total)
    const two = yield* measure(2, kafka.brokers, sims, last, total)
    const three = yield* measure(3, kafka.brokers, sims, last, total)
    const name = (n: number) =>
      `Cluster scaling: ${n} runners vs 1 (${ORGS} GitHub connectors x ${fmt(eventsPerOrg)} audit events, one PostgreSQL, ${cpus().length} cores)`
    return [2, 3].map((n): Figure => {
      const ours = n === 2 ? two : three
      return {
        name: name(n),
        ours: `${fmt(ours)} events/s total with ${n} runners`,
        baseline: `${fmt(one)} events/s with 1 runner`,
        ratio: (ours / one).toFixed(2),
        target: "report",
        met: "n/a"
      }
    })
  }).pipe(Effect.scoped)
