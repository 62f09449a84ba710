/**
 * Crash: the real program (`main.ts run --once`) pulls a simulated GitHub org of 25,000 audit events
 * into the Kafka mock cluster with checkpoints in PostgreSQL, and is SIGKILLed at 5 random points
 * (seeded; the seed is printed). Each time it is restarted; the last run finishes. Then every topic is
 * consumed: every truth event is there (zero lost), the duplicates are reported and bounded by the
 * batches in flight per kill, and the checkpoint row (sampled during and between runs) only ever moved forward.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { startGitHubSimulator } from "../../src/platforms/github/simulator/Server.js"
import { mulberry32 } from "../../src/sdk/simulator/SeededRandom.js"
import { topics } from "../../src/pipeline/Wire.js"
import { startKafkaMock } from "../../src/testkit/KafkaMock.js"
import { testDatabase } from "../../src/testkit/Postgres.js"
import { drainTopics } from "../../src/testkit/KafkaDrain.js"
import {
  awaitExit,
  backwardSteps,
  type CheckpointSample,
  describeSample,
  duplicatesOf,
  parseValue,
  checkpointReader,
  sampleCheckpoints,
  startProgram,
  tempDir,
  waitUntil,
  writeConfig
} from "../support/Program.js"

// the log, the batch and so the batches in flight at a kill are scaled together (50,000 and 1,000
// before): a sixth of the log is still about 8 batches, and half the events cost half the CPU
const EVENTS = 25_000
const KILLS = 5
const BATCH_SIZE = 500
/** batches published at once (the pipeline's default): a kill may leave each acknowledged but not checkpointed */
const IN_FLIGHT = 4
const CONNECTOR = "gh-crash"
const TOKEN = "ghp_crashSuiteToken_7f3a91c2"
// seeded: VERITY_CRASH_SEED reproduces a failing run
const SEED = Number(process.env["VERITY_CRASH_SEED"] ?? 20261121)
/**
 * GitHub's 900 points a minute per endpoint would pace the 250 audit pages to at least 17 s of waiting
 * per pass; pacing has its own suite (Pacing.test.ts), so here the simulator and the connector agree on
 * a limit the pull never reaches (what an operator with a raised limit would configure)
 */
const REST_POINTS_PER_MINUTE = 100_000

describe("crash: SIGKILL at random points", () => {
  it.live(`${EVENTS} audit events, ${KILLS} SIGKILLs and restarts: zero lost, at most the batches in flight duplicated per kill, checkpoints only forward`, () =>
    Effect.gen(function*() {
      console.log(`crash suite seed: ${SEED} (set VERITY_CRASH_SEED=${SEED} to replay)`)
      const rng = mulberry32(SEED)
      const [sim, kafka, db] = yield* Effect.all([
        startGitHubSimulator({ events: EVENTS, repos: 8, members: 10, teams: 2, outsideCollaborators: 2, seed: SEED, token: TOKEN, latencyMs: 2,
          secondaryLimits: { restPointsPerEndpoint: REST_POINTS_PER_MINUTE } }),
        startKafkaMock,
        testDatabase
      ], { concurrency: 3 })
      const truth = yield* sim.truthEvents
      const readCheckpoint = yield* checkpointReader(db)
      expect(truth.length).toBeGreaterThanOrEqual(EVENTS)

      const dir = tempDir("crash")
      const config = writeConfig(dir, "crash.json", {
        // gzip (the default) also keeps the events inside the mock cluster's 5 MB per partition
        kafka: { brokers: kafka.brokers, sendTimeoutMs: 10_000 },
        postgres: { dsn: Redacted.value(db.dsn) },
        pipeline: { batchSize: BATCH_SIZE, inFlight: IN_FLIGHT, batchWindow: "200 millis", prefetch: 2 * BATCH_SIZE, progressEvery: "3 seconds" },
        connectors: [{
          id: CONNECTOR,
          platform: "github",
          settings: { org: sim.org, token: TOKEN, apiUrl: sim.url, pageSize: 100, concurrency: 4, restPointsPerMinute: REST_POINTS_PER_MINUTE }
        }]
      })

      // the kill points: a random truth event per sixth of the log; the run is killed once the stored
      // checkpoint reaches it, after a further random 0-400 ms (so a kill lands anywhere in a batch)
      const points = Array.from({ length: KILLS }, (_, k) => {
        const index = Math.floor(((k + 0.3 + rng() * 0.6) / (KILLS + 1)) * truth.length)
        return { index, ts: Date.parse(truth[index]!.occurred_at), delayMs: Math.floor(rng() * 400) }
      })
      console.log(`kill points (truth index, extra delay): ${points.map((p) => `${p.index}+${p.delayMs}ms`).join(", ")}`)

      const samples: Array<CheckpointSample> = []
      const sampler = yield* sampleCheckpoints(readCheckpoint, CONNECTOR, "40 millis", samples)
      const outputs: Array<string> = []

      for (const [k, point] of points.entries()) {
        const startedAt = Date.now()
        const program = yield* startProgram(["run", "--once", "--config", config], { cwd: dir })
        const reached = yield* waitUntil(
          `run ${k + 1} checkpoints truth event #${point.index}`,
          readCheckpoint(CONNECTOR).pipe(Effect.map((s) => (s.ts ?? -1) >= point.ts || !program.isRunning())),
          "90 seconds",
          "40 millis"
        ).pipe(Effect.zipRight(Effect.sync(() => program.isRunning())))
        if (!reached) {
          const { stderr } = program.output()
          throw new Error(`run ${k + 1} exited before its kill point:\n${stderr.slice(-3000)}`)
        }
        yield* Effect.sleep(point.delayMs)
        const result = yield* program.kill("SIGKILL")
        expect(result.signal).toBe("SIGKILL")
        outputs.push(result.stdout, result.stderr)
        if (process.env["VERITY_CRASH_DEBUG"]) console.log(result.stderr)
        samples.push(yield* readCheckpoint(CONNECTOR))
        console.log(`run ${k + 1}: killed after ${Date.now() - startedAt} ms at ${describeSample(samples[samples.length - 1]!)}`)
      }

      const last = yield* startProgram(["run", "--once", "--config", config], { cwd: dir })
      const final = yield* awaitExit(last, "150 seconds")
      outputs.push(final.stdout, final.stderr)
      console.log(final.stdout)
      if (final.code !== 0) console.log(final.stderr.slice(-4000))
      expect(final.code).toBe(0)
      yield* sampler.stop
      expect(sampler.errors).toEqual([])
      const end = yield* readCheckpoint(CONNECTOR)
      samples.push(end)
      expect(end.ts).toBe(Date.parse(truth[truth.length - 1]!.occurred_at))

      // checkpoints only ever moved forward, across every sample, during and between runs
      expect(samples.length).toBeGreaterThan(KILLS * 3)
      expect(backwardSteps(samples).map(({ after, before }) => `${describeSample(before)} -> ${describeSample(after)}`)).toEqual([])

      // consume every topic as a downstream consumer would
      const eventsTopic = topics.events("github")
      const read = yield* drainTopics(kafka.brokers, [eventsTopic, topics.deadLetters("github"), topics.snapshots("github")])
      const ids = read.filter((m) => m.topic === eventsTopic).map((m) => String(parseValue(m.value)["event_id"]))
      const present = new Set(ids)
      const lost = truth.filter((e) => !present.has(e.event_id)).map((e) => e.event_id)
      if (lost.length > 0) {
        const lostSet = new Set(lost)
        const indices = truth.flatMap((e, i) => (lostSet.has(e.event_id) ? [i] : []))
        const perPartition = new Map<string, number>()
        for (const m of read) perPartition.set(`${m.topic}/${m.partition}`, (perPartition.get(`${m.topic}/${m.partition}`) ?? 0) + 1)
        console.log(`LOST ${lost.length}: truth indices ${indices[0]}..${indices[indices.length - 1]}, first ${indices.slice(0, 10).join(",")}; read per partition ${JSON.stringify([...perPartition])}`)
      }
      expect(lost).toEqual([])
      expect(read.filter((m) => m.topic === topics.deadLetters("github"))).toEqual([])
      expect(read.some((m) => m.topic === topics.snapshots("github"))).toBe(true)

      const duplicates = duplicatesOf(ids)
      const duplicated = Array.from(duplicates.values()).reduce((s, n) => s + n, 0)
      console.log(
        `crash suite: ${ids.length} event messages for ${truth.length} truth events; ${duplicated} duplicate message(s) ` +
          `over ${KILLS} kills (bound ${KILLS * BATCH_SIZE * IN_FLIGHT})` +
          (duplicated > 0 ? `; e.g. ${Array.from(duplicates.keys()).slice(0, 5).join(", ")}` : "")
      )
      expect(ids.length).toBe(truth.length + duplicated)
      expect(duplicated).toBeLessThanOrEqual(KILLS * BATCH_SIZE * IN_FLIGHT)
      // no event was duplicated more than once per kill
      expect(Math.max(0, ...duplicates.values())).toBeLessThanOrEqual(KILLS)

      // the token never reached any output
      for (const text of outputs) expect(text).not.toContain(TOKEN)
    }).pipe(Effect.scoped), Number(process.env["VERITY_CRASH_TIMEOUT"] ?? 240_000))
})
