/**
 * Clean handovers on a cluster (issue 14): a runner that joins takes a share of the streams while their
 * batches are in flight, and a runner stopped with SIGTERM hands all of its streams over. Neither may
 * publish anything twice (the old holder finishes its batch and saves before the new one claims and
 * loads the checkpoint), and the fence refuses nothing (no save by a runner that had lost its stream).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Redacted } from "effect"
import { startGitHubSimulator } from "../../src/platforms/github/simulator/Server.js"
import { headerNames, topics } from "../../src/pipeline/Wire.js"
import { drainTopics } from "../../src/testkit/KafkaDrain.js"
import { startKafkaMock } from "../../src/testkit/KafkaMock.js"
import { testDatabase } from "../../src/testkit/Postgres.js"
import { duplicatesOf, parseValue, type RunningProgram, startProgram, tempDir, waitUntil, writeConfig } from "../support/Program.js"

const ORGS = ["org-h1", "org-h2", "org-h3", "org-h4"] as const

interface Lock {
  readonly connector_id: string
  readonly stream: string
  readonly runner: string
}

describe("cluster: clean handovers", () => {
  it.live("a joiner takes a share mid-run, then the first runner stops with SIGTERM: 0 duplicates on Kafka, 0 fence refusals", () =>
    Effect.gen(function*() {
      const [kafka, db, ...orgs] = yield* Effect.all([
        startKafkaMock,
        testDatabase,
        ...ORGS.map((org, i) =>
          startGitHubSimulator({ org, seed: 1410 + i, events: 1500, repos: 3, members: 4, teams: 1, outsideCollaborators: 1, latencyMs: 5 })
        )
      ], { concurrency: "unbounded" })
      const dir = tempDir("handover")
      const configWith = (name: string, sendTimeoutMs: number) => writeConfig(dir, name, {
        kafka: { brokers: kafka.brokers, sendTimeoutMs, logLevel: "nothing" },
        postgres: { dsn: Redacted.value(db.dsn) },
        // small pages and batches: a stream always has a batch in flight when it moves
        pipeline: { batchSize: 50, batchWindow: "50 millis", progressEvery: "30 seconds" },
        connectors: orgs.map((sim, i) => ({
          id: `gh-${ORGS[i]}`,
          platform: "github",
          settings: { org: sim.org, token: sim.token, apiUrl: sim.url, pageSize: 50 },
          // both streams busy: whichever moves while Kafka is frozen has a batch in flight
          schedule: { audit: "500 millis", permissions: "1 second" }
        }))
      })
      // The joiner connects to Kafka before it joins, so it joins only once its connect to the frozen broker
      // has timed out (its send timeout, 10 s). The first runner's sends outlast the longest freeze this
      // suite allows (the joiner's start, its connect, and at most 60 s for its claim to wait): kafkajs's
      // request timeout is 0.8 of the send timeout, and a request given up on may still land after the
      // thaw (on a loaded machine a 30 s send timeout gave one batch again per stream). This suite is about
      // handovers; the outage suites cover sends given up on.
      const firstConfig = configWith("first.json", 120_000)
      const joinerConfig = configWith("joiner.json", 10_000)
      const connectorIds = orgs.map((_, i) => `gh-${ORGS[i]}`)

      // the orgs keep writing while streams move
      const live = yield* Effect.forkScoped(
        Effect.forEach(orgs, (sim) => sim.addAuditEvents(5), { discard: true }).pipe(
          Effect.zipRight(Effect.sleep("100 millis")),
          Effect.forever
        )
      )
      const locks = db.query<Lock>("SELECT connector_id, stream, runner FROM stream_locks").pipe(
        Effect.catchAllDefect(() => Effect.succeed([] as ReadonlyArray<Lock>))
      )
      const nameOf = (p: RunningProgram) => /message=running .*?runner=(\S+)/.exec(p.output().stderr)?.[1] ?? `pid ${p.pid}?`
      const holdsOf = (p: RunningProgram) => locks.pipe(Effect.map((rows) => rows.filter((r) => r.runner === nameOf(p)).length))
      const run = (config: string) => startProgram(["run", "--config", config], { cwd: dir })

      const first = yield* run(firstConfig)
      yield* waitUntil("the first runner holds every stream", holdsOf(first).pipe(Effect.map((n) => n === connectorIds.length * 2)), "90 seconds", "200 millis")
      yield* Effect.sleep("1 second")

      // a joiner: the ring is re-hashed and part of the streams move while the first runner's batches are in
      // flight (Kafka frozen a second before the joiner starts, so every stream's cycle has reached a send,
      // and thawed once one of the joiner's claims has found the first runner still holding a stream).
      // The first runner finishes those batches and saves; the joiner, which gets the shards at once, must
      // wait for that before it claims the streams and loads their checkpoints. Shards can move within
      // milliseconds of the join, so freezing after it would often catch the streams between cycles.
      yield* kafka.freeze
      yield* Effect.sleep("1 second")
      const joiner = yield* run(joinerConfig).pipe(Effect.tapDefect(() => kafka.thaw))
      yield* waitUntil(
        "a claim of the joiner waits for the first runner (Kafka frozen)",
        Effect.sync(() => joiner.output().stderr.includes("waiting for the stream's holder to release it")),
        "60 seconds",
        "50 millis"
      ).pipe(Effect.ensuring(kafka.thaw))
      yield* waitUntil("the joiner holds a share", holdsOf(joiner).pipe(Effect.map((n) => n > 0)), "90 seconds", "200 millis")
      const moved = yield* holdsOf(joiner)
      yield* Effect.sleep("2 seconds")

      // SIGTERM: the first runner finishes its in-flight batches, saves, and hands the rest over
      const stopped = yield* first.kill("SIGTERM").pipe(Effect.timeout("60 seconds"), Effect.orDie)
      expect(stopped.code).toBe(0)
      yield* waitUntil("the joiner holds every stream", holdsOf(joiner).pipe(Effect.map((n) => n === connectorIds.length * 2)), "60 seconds", "200 millis")

      yield* Fiber.interrupt(live)
      const truth = yield* Effect.forEach(orgs, (sim) => sim.truthEvents)
      const target = new Map(truth.map((t, i) => [connectorIds[i]!, Date.parse(t[t.length - 1]!.occurred_at)] as const))
      yield* waitUntil(
        "every connector checkpointed its whole audit log",
        db.query<{ connector_id: string; ts: string }>(
          "SELECT connector_id, (checkpoint->>'ts') AS ts FROM connector_checkpoints WHERE stream = 'audit'"
        ).pipe(Effect.map((rows) => connectorIds.every((id) => Number(rows.find((r) => r.connector_id === id)?.ts ?? -1) >= target.get(id)!))),
        "90 seconds",
        "250 millis"
      )
      const last = yield* joiner.kill("SIGTERM").pipe(Effect.timeout("60 seconds"), Effect.orDie)
      expect(last.code).toBe(0)

      const stderr = [first, joiner].map((p) => p.output().stderr).join("\n")
      const refusals = (stderr.match(/taken over by runner|publish refused|checkpoint save refused/g) ?? []).length
      const refusedRuns = yield* db.query<{ n: string }>("SELECT count(*) AS n FROM connector_runs WHERE error LIKE '%taken over%'")
      // the joiner's claims that found the first runner still holding the stream
      const waited = joiner.output().stderr.split("\n")
        .filter((l) => l.includes("waiting for the stream's holder to release it") && l.includes(`holder=${nameOf(first)}`)).length

      const read = yield* drainTopics(kafka.brokers, [topics.events("github")])
      const lines: Array<string> = []
      let duplicates = 0
      for (const [i, id] of connectorIds.entries()) {
        const ids = read.filter((m) => m.headers[headerNames.connectorId] === id).map((m) => String(parseValue(m.value)["event_id"]))
        const present = new Set(ids)
        expect(truth[i]!.filter((e) => !present.has(e.event_id)).map((e) => e.event_id)).toEqual([])
        const n = [...duplicatesOf(ids).values()].reduce((s, k) => s + k, 0)
        duplicates += n
        lines.push(`${id}: ${truth[i]!.length} events, ${n} duplicate(s)`)
      }
      console.log(`handover suite: ${moved} stream(s) moved to the joiner, then ${connectorIds.length * 2} on SIGTERM; ` +
        `${waited} claim(s) waited for the old holder; refusals ${refusals} logged, ${refusedRuns[0]?.n} in run records; ${lines.join("; ")}`)
      expect(moved).toBeGreaterThan(0)
      expect(waited).toBeGreaterThan(0)
      expect(refusals).toBe(0)
      expect(Number(refusedRuns[0]?.n)).toBe(0)
      expect(duplicates).toBe(0)
    }).pipe(Effect.scoped), 300_000)
})
