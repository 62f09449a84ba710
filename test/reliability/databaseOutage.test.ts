/**
 * Database outage. The program reaches PostgreSQL through a TCP proxy that the test cuts (every
 * connection reset, new ones refused) and restores.
 *
 * What the program does (decided here, documented in `run --help`):
 *   - at start-up, `run --once` (a job) fails fast: one line on stderr naming the database (host, port,
 *     database; never the password) and exit 1; `run` (a service) logs that line and retries, 1 s
 *     doubling to at most 30 s apart, then carries on from the stored checkpoint once the database is back;
 *   - mid-run, a failed checkpoint save is retried with the pipeline's `publishRetry` policy while
 *     publishing waits (one batch at a time), so no checkpoint is lost or moved backwards and nothing
 *     published is published again.
 * The sink is the JSON-lines files (the outage is the database's; Kafka has its own suite).
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { startGitHubSimulator } from "../../src/platforms/github/simulator/Server.js"
import { type TruthEvent } from "../../src/platforms/github/simulator/Types.js"
import { topics } from "../../src/pipeline/Wire.js"
import { testDatabase } from "../../src/testkit/Postgres.js"
import {
  awaitExit,
  backwardSteps,
  type CheckpointSample,
  checkpointReader,
  describeSample,
  duplicatesOf,
  sampleCheckpoints,
  startProgram,
  tempDir,
  waitUntil,
  writeConfig
} from "../support/Program.js"
import { runInProcess } from "../support/Cli.js"
import { startTcpProxy } from "../support/TcpProxy.js"

const TOKEN = "ghp_databaseOutageToken_9e11"
const PASSWORD = "Db0utagePassw0rd"
/**
 * GitHub's 900 points a minute per endpoint would pace the 120 audit pages of the mid-run test to about
 * 7 s of waiting; pacing has its own suite (Pacing.test.ts), so here the simulator and the connector
 * agree on a limit the pull never reaches (what an operator with a raised limit would configure)
 */
const REST_POINTS_PER_MINUTE = 100_000

/** The DSN through the proxy, with a password (trust auth ignores it) that must never be printed. */
const proxiedDsn = (dsn: Redacted.Redacted<string>, port: number) => {
  const url = new URL(Redacted.value(dsn))
  url.host = `127.0.0.1:${port}`
  url.password = PASSWORD
  return url
}

const eventIdsIn = (dir: string): ReadonlyArray<string> => {
  const text = readFileSync(join(dir, "out", `${topics.events("github")}.jsonl`), "utf8")
  return text.split("\n").filter((l) => l.length > 0).map((l) => {
    const line = JSON.parse(l) as { readonly value: { readonly event_id: string } }
    return line.value.event_id
  })
}

const lastTs = (truth: ReadonlyArray<TruthEvent>) => Date.parse(truth[truth.length - 1]!.occurred_at)

describe("database outage", () => {
  it.live("at start-up: run --once exits 1 naming the database (not the password); run retries until it is back, then resumes from the stored checkpoint", () =>
    Effect.gen(function*() {
      const [sim, db] = yield* Effect.all([
        startGitHubSimulator({ events: 3000, repos: 4, members: 6, teams: 1, outsideCollaborators: 1, seed: 77, token: TOKEN }),
        testDatabase
      ], { concurrency: 2 })
      const truth = yield* sim.truthEvents
      const read = yield* checkpointReader(db)
      const target = new URL(Redacted.value(db.dsn))
      const proxy = yield* startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
      const dsn = proxiedDsn(db.dsn, proxy.port)
      const dir = tempDir("db-startup")
      const connector = { id: "gh-dbstart", platform: "github", settings: { org: sim.org, token: TOKEN, apiUrl: sim.url }, schedule: { audit: "2 seconds" } }
      const config = writeConfig(dir, "db.json", {
        postgres: { dsn: dsn.toString() },
        dataDir: dir,
        pipeline: { batchSize: 500, batchWindow: "100 millis" },
        connectors: [connector]
      })

      // a first run stores the checkpoint at the end of the log (the same program, in this process: the
      // outage's runs below are the children, and each child costs seconds of CPU to start)
      const firstRun = yield* runInProcess(["run", "--once", "--config", config], { cwd: dir }).pipe(
        Effect.timeoutFail({ duration: "90 seconds", onTimeout: () => new Error("the first run did not finish within 90 s") }),
        Effect.orDie
      )
      if (firstRun.code !== 0) console.log(firstRun.stderr.slice(-3000))
      expect(firstRun.code).toBe(0)
      const stored = yield* read("gh-dbstart")
      expect(stored.ts).toBe(lastTs(truth))

      // the database goes away
      yield* proxy.cut
      const once = yield* awaitExit(yield* startProgram(["run", "--once", "--config", config], { cwd: dir }), "60 seconds")
      expect(once.code).toBe(1)
      expect(once.stderr).toContain(`checkpoint store: postgres 127.0.0.1:${proxy.port}${target.pathname}`)
      expect(once.stderr + once.stdout).not.toContain(PASSWORD)
      expect(once.stderr + once.stdout).not.toContain(TOKEN)
      expect(once.stderr).not.toMatch(/\n\s+at /)

      const service = yield* startProgram(["run", "--config", config], { cwd: dir })
      const retries = () => (service.output().stderr.match(/checkpoint store: postgres 127\.0\.0\.1:\d+\/\S+: .*retrying/g) ?? []).length
      yield* waitUntil("run logged two start-up retries", Effect.sync(() => retries() >= 2 || !service.isRunning()), "60 seconds", "200 millis")
      expect(service.isRunning()).toBe(true)
      expect(service.output().stderr).not.toContain(PASSWORD)
      // nothing was touched while it was away
      expect(yield* read("gh-dbstart")).toMatchObject({ ts: stored.ts, idsAtTs: stored.idsAtTs })

      yield* proxy.restore
      const published = yield* sim.addAuditEvents(25)
      const newest = Date.parse(published[published.length - 1]!.occurred_at)
      yield* waitUntil("run started and checkpointed the new events", read("gh-dbstart").pipe(Effect.map((s) => (s.ts ?? -1) >= newest)), "60 seconds", "200 millis")
      const stopped = yield* service.kill("SIGTERM").pipe(Effect.timeout("30 seconds"), Effect.orDie)
      expect(stopped.code).toBe(0)
      expect(stopped.stderr + stopped.stdout).not.toContain(PASSWORD)

      // resumed from the stored checkpoint: the first run's events once, the new ones once
      const ids = eventIdsIn(dir)
      expect(duplicatesOf(ids).size).toBe(0)
      expect(new Set(ids)).toEqual(new Set([...truth, ...published].map((e) => e.event_id)))
    }).pipe(Effect.scoped), 150_000)

  it.live("mid-run: the database cut for 8 s; saves are retried while publishing waits; the checkpoint is never lost or moved back; nothing lost or doubled", () =>
    Effect.gen(function*() {
      const [sim, db] = yield* Effect.all([
        startGitHubSimulator({ events: 12_000, repos: 4, members: 6, teams: 1, outsideCollaborators: 1, seed: 78, token: TOKEN, latencyMs: 3,
          secondaryLimits: { restPointsPerEndpoint: REST_POINTS_PER_MINUTE } }),
        testDatabase
      ], { concurrency: 2 })
      const truth = yield* sim.truthEvents
      const read = yield* checkpointReader(db)
      const target = new URL(Redacted.value(db.dsn))
      const proxy = yield* startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
      const dir = tempDir("db-midrun")
      const config = writeConfig(dir, "db.json", {
        postgres: { dsn: proxiedDsn(db.dsn, proxy.port).toString() },
        dataDir: dir,
        // saves are retried with this policy: 16 attempts, at most 2 s apart, outlast the 8 s cut
        pipeline: { batchSize: 250, batchWindow: "100 millis", publishRetry: { times: 16, base: "250 millis", cap: "2 seconds" } },
        connectors: [{ id: "gh-dbmid", platform: "github", settings: { org: sim.org, token: TOKEN, apiUrl: sim.url, pageSize: 100, restPointsPerMinute: REST_POINTS_PER_MINUTE } }]
      })

      const samples: Array<CheckpointSample> = []
      const sampler = yield* sampleCheckpoints(read, "gh-dbmid", "100 millis", samples)
      const program = yield* startProgram(["run", "--once", "--config", config], { cwd: dir })
      const third = Date.parse(truth[Math.floor(truth.length / 3)]!.occurred_at)
      yield* waitUntil("a third of the log is checkpointed", read("gh-dbmid").pipe(Effect.map((s) => (s.ts ?? -1) >= third || !program.isRunning())), "90 seconds")
      expect(program.isRunning()).toBe(true)

      yield* proxy.cut
      const published = () => eventIdsIn(dir).length
      const publishedAtCut = published()
      yield* Effect.sleep("8 seconds")
      // publishing waits for the save: at most the batch in flight and the one that failed to save went out
      const publishedDuringCut = published() - publishedAtCut
      yield* proxy.restore
      console.log(`database cut at ${describeSample(samples[samples.length - 1]!)}; ${publishedDuringCut} event(s) written during the cut`)
      expect(publishedDuringCut).toBeLessThanOrEqual(2 * 250)
      expect(program.isRunning()).toBe(true)

      const result = yield* awaitExit(program, "90 seconds")
      if (result.code !== 0) console.log(result.stderr.slice(-4000))
      expect(result.code).toBe(0)
      yield* sampler.stop
      expect(sampler.errors).toEqual([])
      const end = yield* read("gh-dbmid")
      samples.push(end)
      expect(end.ts).toBe(lastTs(truth))
      expect(result.stderr).toMatch(/checkpoint save failed, will retry/)
      expect(result.stderr + result.stdout).not.toContain(PASSWORD)
      expect(result.stderr + result.stdout).not.toContain(TOKEN)

      // never lost (once written, the row is always there) and never moved back, during the cut or after
      const firstRow = samples.findIndex((s) => s.ts !== undefined)
      expect(firstRow).toBeGreaterThanOrEqual(0)
      expect(samples.slice(firstRow).filter((s) => s.ts === undefined)).toEqual([])
      expect(backwardSteps(samples).map(({ after, before }) => `${describeSample(before)} -> ${describeSample(after)}`)).toEqual([])

      // every event once: a save retried after its batch was acknowledged does not publish the batch again
      const ids = eventIdsIn(dir)
      expect(duplicatesOf(ids).size).toBe(0)
      expect(new Set(ids)).toEqual(new Set(truth.map((e) => e.event_id)))
    }).pipe(Effect.scoped), 150_000)
})
