/**
 * Crash safety of access over time: the real program (`main.ts run --once`) against the GitHub simulator,
 * PostgreSQL and the Kafka mock cluster. A clean run records the baseline; the org then changes through
 * GitHub's write API; the next runs are SIGKILLed at seeded random points (while publishing the snapshot,
 * diffing or publishing changes), then one runs clean (the clean runs in this process, the killed ones
 * as child processes). Read back by an independent consumer, the change
 * events deduplicated by `change_id` equal the truth's differences exactly (none missed, none invented),
 * the tombstones are exactly the removals, and the grant state equals the truth.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { startGitHubSimulator } from "../../src/platforms/github/simulator/Server.js"
import { topics } from "../../src/pipeline/Wire.js"
import { mulberry32 } from "../../src/sdk/simulator/SeededRandom.js"
import { drainTopics } from "../../src/testkit/KafkaDrain.js"
import { startKafkaMock } from "../../src/testkit/KafkaMock.js"
import { testDatabase } from "../../src/testkit/Postgres.js"
import { adminRequest } from "../support/GitHub.js"
import { readChanges, removedKeys, truthDiff } from "../support/GrantTruth.js"
import { runInProcess } from "../support/Cli.js"
import { startProgram, tempDir, waitUntil, writeConfig } from "../support/Program.js"

const KILLS = 3
const CONNECTOR = "gh-grant-crash"
const TOKEN = "ghp_grantCrashToken_51c0de"
const SEED = Number(process.env["VERITY_GRANT_CRASH_SEED"] ?? 20261122)


describe("crash: SIGKILL during snapshot runs and diffs", () => {
  it.live(`${KILLS} SIGKILLs, then a clean run: deduplicated change events equal the truth's differences`, () =>
    Effect.gen(function*() {
      console.log(`grant crash seed: ${SEED} (set VERITY_GRANT_CRASH_SEED=${SEED} to replay)`)
      const rng = mulberry32(SEED)
      const [sim, kafka, db] = yield* Effect.all([
        startGitHubSimulator({ events: 10, repos: 30, members: 40, teams: 4, outsideCollaborators: 3, basePermission: "write", seed: SEED, token: TOKEN }),
        startKafkaMock,
        testDatabase
      ], { concurrency: 3 })
      const dir = tempDir("grant-crash")
      const config = writeConfig(dir, "crash.json", {
        kafka: { brokers: kafka.brokers, sendTimeoutMs: 10_000 },
        postgres: { dsn: Redacted.value(db.dsn) },
        // small batches: a run is many acknowledged steps, so a kill lands inside one
        pipeline: { batchSize: 50, batchWindow: "50 millis" },
        connectors: [{ id: CONNECTOR, platform: "github", settings: { org: sim.org, token: TOKEN, apiUrl: sim.url, pageSize: 100, concurrency: 4 } }]
      })
      const runCount = db.query<{ n: string }>("SELECT count(*) AS n FROM connector_runs WHERE stream = 'permissions'").pipe(
        Effect.map((rows) => Number(rows[0]?.n ?? 0)),
        Effect.orElseSucceed(() => 0)
      )

      const truth0 = yield* sim.truthGrants
      // the clean runs (the baseline, the last) run the same program in this process: only the killed
      // runs need a process of their own, and each child costs seconds of CPU to start
      const cleanRun = runInProcess(["run", "--once", "--config", config], { cwd: dir }).pipe(
        Effect.timeoutFail({ duration: "150 seconds", onTimeout: () => new Error("a clean run did not finish within 150 s") }),
        Effect.orDie
      )
      const baseline = yield* cleanRun
      if (baseline.code !== 0) console.log(baseline.stderr.slice(-3000))
      expect(baseline.code).toBe(0)

      // the org changes: a base permission lowered, a collaborator removed, another added
      yield* adminRequest(sim, "PATCH", `/orgs/${sim.org}`, { default_repository_permission: "read" })
      const direct = truth0.find((g) => g.grant_mechanism === "direct")!
      yield* adminRequest(sim, "DELETE", `/repos/${direct.asset_ref}/collaborators/${direct.principal_ref}`)
      const member = truth0.find((g) => g.grant_mechanism === "role" && g.asset_ref !== direct.asset_ref)!
      yield* adminRequest(sim, "PUT", `/repos/${direct.asset_ref}/collaborators/${member.principal_ref}`, { permission: "admin" })
      const truth1 = yield* sim.truthGrants
      const expected = truthDiff(truth0, truth1)
      expect(expected.length).toBeGreaterThan(truth0.length / 20)

      for (let k = 0; k < KILLS; k++) {
        const before = yield* runCount
        const program = yield* startProgram(["run", "--once", "--config", config], { cwd: dir })
        yield* waitUntil(`run ${k + 2} starts its snapshot`, runCount.pipe(Effect.map((n) => n > before || !program.isRunning())), "120 seconds")
        const delay = Math.floor(rng() * 2500)
        yield* Effect.sleep(delay)
        const result = yield* program.kill("SIGKILL")
        console.log(`run ${k + 2}: ${result.signal === "SIGKILL" ? "killed" : `exited ${result.code} before`} ${delay} ms into its snapshot`)
      }
      const last = yield* cleanRun
      if (last.code !== 0) console.log(last.stderr.slice(-3000))
      expect(last.code).toBe(0)

      const read = yield* drainTopics(kafka.brokers, [topics.changes("github"), topics.snapshots("github")])
      expect(readChanges(read.filter((m) => m.topic === topics.changes("github")))).toEqual(expected)
      const tombstoned = [...new Set(read.filter((m) => m.tombstone).map((m) => m.key))].sort()
      expect(tombstoned).toEqual(removedKeys(expected))
      const state = yield* db.query<{ n: string }>(`SELECT count(*) AS n FROM grant_state WHERE connector_id = '${CONNECTOR}'`)
      expect(Number(state[0]?.n)).toBe(truth1.length)
    }).pipe(Effect.scoped), 600_000)
})
