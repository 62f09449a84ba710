/**
 * Acceptance: the real program (`node --import tsx main.ts run --once --config F`, a child process) against
 * the GitHub simulator, librdkafka's mock cluster and PostgreSQL (the rerun: the same program in this
 * process). A kafkajs consumer reads back what was published and compares it with the simulator's ground truth.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { startGitHubSimulator } from "../../src/platforms/github/simulator/Server.js"
import { decodeRawEventJson, decodeSnapshotJson, topics } from "../../src/pipeline/Wire.js"
import { runCli, runInProcess } from "../support/Cli.js"
import { startKafkaMock } from "../../src/testkit/KafkaMock.js"
import { readTopics } from "../../src/testkit/KafkaRead.js"
import { testDatabase } from "../../src/testkit/Postgres.js"

const dir = mkdtempSync(join(tmpdir(), "verity-kafka-"))

const writeConfig = (name: string, config: unknown) => {
  const path = join(dir, name)
  writeFileSync(path, JSON.stringify(config, null, 2))
  return path
}

interface Row {
  readonly checkpoint: { readonly ts?: number; readonly ids_at_ts?: ReadonlyArray<string> }
}

const auditRow = (db: { query: <A>(t: string) => Effect.Effect<ReadonlyArray<A>> }) =>
  db.query<Row>("SELECT checkpoint FROM connector_checkpoints WHERE connector_id = 'github-acme' AND stream = 'audit'").pipe(
    Effect.map((rows) => rows[0]?.checkpoint)
  )

describe("run --once against Kafka (mock cluster), PostgreSQL and the GitHub simulator", () => {
  it.live("publishes every event and snapshot in the wire format; a rerun publishes no audit event twice and advances the checkpoint", () =>
    Effect.gen(function*() {
      const kafka = yield* startKafkaMock
      const db = yield* testDatabase
      const sim = yield* startGitHubSimulator({ seed: 7, repos: 8, members: 10, teams: 3, outsideCollaborators: 2, events: 120 })
      const config = writeConfig("kafka.json", {
        // the producer thread, started by the program as the README launches it (node --import tsx main.ts)
        kafka: { brokers: kafka.brokers, clientId: "verity-acceptance", sendTimeoutMs: 10_000, logLevel: "error", producerThread: "worker" },
        postgres: { dsn: Redacted.value(db.dsn) },
        pipeline: { batchSize: 25, batchWindow: "50 millis" },
        connectors: [{ id: "github-acme", platform: "github", settings: { org: sim.org, token: sim.token, apiUrl: sim.url, pageSize: 20 } }]
      })

      // launched as the README says: the program sets its own heap limits (a re-launch) and says so
      const first = yield* runCli(["run", "--once", "--config", config], { cwd: dir, timeoutMs: 240_000, env: { VERITY_MAX_OLD_SPACE_MB: "" } })
      expect(first.stderr).not.toContain(sim.token)
      expect(first.code).toBe(0)
      // launched plainly, the program set its own heap limits (a child with them) and says so
      expect(first.stderr).toMatch(/heap="--max-old-space-size=128 --max-semi-space-size=2 \(set by verity/)
      expect(first.stdout).toContain("github-acme (github)")

      const truthEvents = yield* sim.truthEvents
      const truthGrants = yield* sim.truthGrants
      const read = yield* readTopics(kafka.brokers, [topics.events("github"), topics.snapshots("github")], {
        expected: truthEvents.length + truthGrants.length
      })
      const events = read.filter((m) => m.topic === topics.events("github"))
      const snapshots = read.filter((m) => m.topic === topics.snapshots("github"))

      // events: count, keys and values match the simulator's truth
      expect(events).toHaveLength(truthEvents.length)
      const truthById = new Map(truthEvents.map((e) => [e.event_id, e]))
      for (const m of events) {
        const decoded = decodeRawEventJson(m.value)
        expect(m.key).toBe(`github:${decoded.eventId}`)
        const truth = truthById.get(decoded.eventId)
        expect(truth).toBeDefined()
        const value = JSON.parse(m.value)
        expect(value).toMatchObject({
          platform: "github",
          event_id: truth!.event_id,
          occurred_at: truth!.occurred_at,
          principal_ref: truth!.principal_ref,
          asset_ref: truth!.asset_ref,
          operation: truth!.operation
        })
        expect(m.headers).toMatchObject({ "verity-kind": "raw_event", "verity-schema-version": "2", "verity-connector-id": "github-acme" })
      }
      expect(new Set(events.map((m) => m.key)).size).toBe(truthEvents.length)

      // snapshots: one per true grant, keyed principal:asset:privilege
      const grantKey = (g: { principal_ref: string; asset_ref: string; privilege: string }) => `github:${g.principal_ref}:${g.asset_ref}:${g.privilege}`
      expect(snapshots.map((m) => m.key).sort()).toEqual(truthGrants.map(grantKey).sort())
      for (const m of snapshots) {
        const s = decodeSnapshotJson(m.value)
        expect(m.key).toBe(s.key)
        expect(m.headers["verity-kind"]).toBe("permission_snapshot")
      }

      const before = yield* auditRow(db)
      const lastTruth = Math.max(...truthEvents.map((e) => Date.parse(e.occurred_at)))
      expect(before?.ts).toBe(lastTruth)

      // new activity, then a rerun
      const added = yield* sim.addAuditEvents(5)
      // the rerun is the same program in this process (the launch was proven above; a child costs
      // seconds of CPU to start)
      const second = yield* runInProcess(["run", "--once", "--config", config], { cwd: dir })
      if (second.code !== 0) console.log(second.stderr.slice(-3000))
      expect(second.code).toBe(0)
      const after = yield* readTopics(kafka.brokers, [topics.events("github")], { expected: truthEvents.length + added.length })
      expect(after).toHaveLength(truthEvents.length + added.length)
      expect(new Set(after.map((m) => m.key)).size).toBe(after.length) // no audit event twice
      expect(after.map((m) => m.key)).toEqual(expect.arrayContaining(added.map((e) => `github:${e.event_id}`)))
      const advanced = yield* auditRow(db)
      expect(advanced?.ts).toBeGreaterThan(before!.ts!)
    }).pipe(Effect.scoped), 300_000)
})
