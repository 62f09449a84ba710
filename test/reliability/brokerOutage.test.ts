/**
 * Broker outage: the whole Kafka mock cluster is frozen (SIGSTOP) for 30 s in the middle of a
 * `run --once`, then thawed (SIGCONT). The same process must finish with every event on Kafka, and the
 * checkpoint sampled every 500 ms during the freeze must never be ahead of what Kafka acknowledged:
 * a frozen broker acknowledges nothing, so the stored position may not move while it is frozen, and
 * every event at or before any position stored during the freeze must be readable once it is thawed,
 * and no event may be on Kafka more than twice (a send abandoned at its timeout, and its retry).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { startGitHubSimulator } from "../../src/platforms/github/simulator/Server.js"
import { type TruthEvent } from "../../src/platforms/github/simulator/Types.js"
import { topics } from "../../src/pipeline/Wire.js"
import { startKafkaMock } from "../../src/testkit/KafkaMock.js"
import { testDatabase } from "../../src/testkit/Postgres.js"
import { drainTopics } from "../../src/testkit/KafkaDrain.js"
import {
  awaitExit,
  backwardSteps,
  type CheckpointSample,
  checkpointReader,
  describeSample,
  duplicatesOf,
  parseValue,
  sampleCheckpoints,
  startProgram,
  tempDir,
  waitUntil,
  writeConfig
} from "../support/Program.js"

// enough that the run is still publishing when the broker freezes at a quarter (20,000 before: the
// freeze, not the log's length, is what the suite is about, and each event costs CPU)
const EVENTS = 10_000
const BATCH_SIZE = 500
/** batches published at once (the pipeline's default): each may be abandoned at its timeout and sent again */
const IN_FLIGHT = 4
const FREEZE_MS = 30_000
const CONNECTOR = "gh-outage"
const TOKEN = "ghp_brokerOutageToken_51c0de"
/**
 * GitHub's 900 points a minute per endpoint would pace the 100 audit pages to about 5 s of waiting;
 * pacing has its own suite (Pacing.test.ts), so here the simulator and the connector agree on a limit
 * the pull never reaches (what an operator with a raised limit would configure)
 */
const REST_POINTS_PER_MINUTE = 100_000

/** The truth events at or before a stored position (what the checkpoint claims was published). */
const coveredBy = (truth: ReadonlyArray<TruthEvent>, cp: CheckpointSample) =>
  truth.filter((e) => {
    const ts = Date.parse(e.occurred_at)
    return cp.ts !== undefined && (ts < cp.ts || (ts === cp.ts && cp.idsAtTs.includes(e.event_id)))
  })

describe("broker outage: the cluster frozen for 30 s mid-run", () => {
  it.live("the same process recovers and finishes; zero lost; the checkpoint never passes what Kafka acknowledged", () =>
    Effect.gen(function*() {
      const [sim, kafka, db] = yield* Effect.all([
        startGitHubSimulator({ events: EVENTS, repos: 6, members: 8, teams: 2, outsideCollaborators: 2, seed: 606, token: TOKEN, latencyMs: 2,
          secondaryLimits: { restPointsPerEndpoint: REST_POINTS_PER_MINUTE } }),
        startKafkaMock,
        testDatabase
      ], { concurrency: 3 })
      const truth = yield* sim.truthEvents
      const read = yield* checkpointReader(db)
      const dir = tempDir("broker-outage")
      const config = writeConfig(dir, "outage.json", {
        // a send gives up after 5 s, so the pipeline's own retry path runs during the freeze...
        kafka: { brokers: kafka.brokers, sendTimeoutMs: 5000 },
        postgres: { dsn: Redacted.value(db.dsn) },
        // ...and retries long enough to outlast it (20 attempts, at most 5 s + 3 s each)
        pipeline: { batchSize: BATCH_SIZE, inFlight: IN_FLIGHT, batchWindow: "200 millis", publishRetry: { times: 20, base: "500 millis", cap: "3 seconds" } },
        connectors: [{
          id: CONNECTOR,
          platform: "github",
          settings: { org: sim.org, token: TOKEN, apiUrl: sim.url, pageSize: 100, concurrency: 4, restPointsPerMinute: REST_POINTS_PER_MINUTE }
        }]
      })

      const program = yield* startProgram(["run", "--once", "--config", config], { cwd: dir })
      const quarter = Date.parse(truth[Math.floor(truth.length / 4)]!.occurred_at)
      yield* waitUntil(
        "a quarter of the events is checkpointed",
        read(CONNECTOR).pipe(Effect.map((s) => (s.ts ?? -1) >= quarter || !program.isRunning())),
        "90 seconds"
      )
      expect(program.isRunning()).toBe(true)

      yield* kafka.freeze
      const frozenAt = Date.now()
      const during: Array<CheckpointSample> = []
      const sampler = yield* sampleCheckpoints(read, CONNECTOR, "500 millis", during)
      yield* Effect.sleep(FREEZE_MS)
      yield* sampler.stop
      expect(sampler.errors).toEqual([])
      yield* kafka.thaw
      const thawedAt = Date.now()
      console.log(
        `broker outage: frozen ${thawedAt - frozenAt} ms; checkpoint during the freeze: ` +
          `${describeSample(during[0]!)} .. ${describeSample(during[during.length - 1]!)} (${during.length} samples)`
      )
      // the same process, never restarted, was still running through the freeze
      expect(program.isRunning()).toBe(true)
      expect(during.length).toBeGreaterThanOrEqual(FREEZE_MS / 500 - 5)
      // a save of an ack that arrived just before SIGSTOP may land in the first second; after that a
      // frozen broker acknowledges nothing, so nothing may be checkpointed
      const settled = during.filter((s) => s.at >= frozenAt + 1000)
      const distinct = new Set(settled.map(describeSample))
      expect([...distinct]).toHaveLength(1)
      expect(backwardSteps(during)).toEqual([])

      // the run recovers on its own and finishes
      const result = yield* awaitExit(program, "90 seconds")
      if (result.code !== 0) console.log(result.stderr.slice(-4000))
      expect(result.code).toBe(0)
      // the pipeline's retry path ran: publishes failed during the freeze and were retried
      expect(result.stderr).toMatch(/publish failed, will retry/)
      expect(result.stdout).toContain(`${EVENTS} published`)
      const end = yield* read(CONNECTOR)
      expect(end.ts).toBe(Date.parse(truth[truth.length - 1]!.occurred_at))

      // what a consumer reads after the thaw: every event is there (zero lost), including every event
      // at or before any position stored during the freeze
      const eventsTopic = topics.events("github")
      const all = yield* drainTopics(kafka.brokers, [eventsTopic])
      const ids = all.map((m) => String(parseValue(m.value)["event_id"]))
      const present = new Set(ids)
      expect(truth.filter((e) => !present.has(e.event_id)).map((e) => e.event_id)).toEqual([])
      const claimed = coveredBy(truth, during[during.length - 1]!)
      expect(claimed.length).toBeGreaterThan(0)
      expect(claimed.filter((e) => !present.has(e.event_id)).map((e) => e.event_id)).toEqual([])
      // a send abandoned at its timeout may still land later: only the batches in flight can be doubled
      // and kafkajs may not re-send them on its own behind our timeout: no event more than twice (issue 15)
      const duplicates = duplicatesOf(ids)
      const mostCopies = 1 + Math.max(0, ...duplicates.values())
      console.log(
        `broker outage: ${ids.length} event messages for ${truth.length} truth events; ${duplicates.size} event(s) duplicated; ` +
          `at most ${mostCopies} copies of an event`
      )
      expect(duplicates.size).toBeLessThanOrEqual(BATCH_SIZE * IN_FLIGHT)
      expect(mostCopies).toBeLessThanOrEqual(2)
      expect(result.stdout + result.stderr).not.toContain(TOKEN)
    }).pipe(Effect.scoped), 150_000)
})
