/**
 * SIGINT during `run`: the in-flight batch finishes, its checkpoint is saved, the producer disconnects and
 * the program exits. Whatever the saved checkpoint covers is readable in Kafka.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { startGitHubSimulator } from "../../src/platforms/github/simulator/Server.js"
import { topics } from "../../src/pipeline/Wire.js"
import { collect, spawnCli } from "../support/Cli.js"
import { startKafkaMock } from "../../src/testkit/KafkaMock.js"
import { readTopics } from "../../src/testkit/KafkaRead.js"
import { testDatabase } from "../../src/testkit/Postgres.js"

describe("run, interrupted", () => {
  it.live("SIGINT mid-run: exits promptly, and the saved checkpoint covers only what Kafka acknowledged", () =>
    Effect.gen(function*() {
      const kafka = yield* startKafkaMock
      const db = yield* testDatabase
      const sim = yield* startGitHubSimulator({ seed: 5, repos: 3, members: 5, teams: 1, outsideCollaborators: 1, events: 400, latencyMs: 100 })
      const dir = mkdtempSync(join(tmpdir(), "verity-sigint-"))
      const config = join(dir, "config.json")
      writeFileSync(config, JSON.stringify({
        kafka: { brokers: kafka.brokers, sendTimeoutMs: 5000, logLevel: "nothing" },
        postgres: { dsn: Redacted.value(db.dsn) },
        pipeline: { batchSize: 10, batchWindow: "20 millis" },
        connectors: [{ id: "github-acme", platform: "github", settings: { org: sim.org, token: sim.token, apiUrl: sim.url, pageSize: 10 } }]
      }))
      const child = spawnCli(["run", "--config", config], { cwd: dir })
      const done = yield* Effect.fork(collect(child, 240_000))
      const row = db.query<{ checkpoint: { ts: number; ids_at_ts: ReadonlyArray<string> } }>(
        "SELECT checkpoint FROM connector_checkpoints WHERE connector_id = 'github-acme' AND stream = 'audit'"
      ).pipe(Effect.map((rows) => rows[0]?.checkpoint), Effect.catchAllDefect(() => Effect.succeed(undefined)))
      while ((yield* row) === undefined) yield* Effect.sleep("100 millis")

      child.kill("SIGINT")
      const interruptedAt = Date.now()
      const result = yield* done.await.pipe(Effect.flatten)
      expect(Date.now() - interruptedAt).toBeLessThan(30_000)
      expect(result.signal).toBeNull()
      expect(result.code).toBe(0)

      const saved = (yield* row)!
      const truth = yield* sim.truthEvents
      const last = Math.max(...truth.map((e) => Date.parse(e.occurred_at)))
      expect(saved.ts).toBeLessThan(last) // it really was interrupted mid-way
      const covered = truth.filter((e) => Date.parse(e.occurred_at) < saved.ts).map((e) => `github:${e.event_id}`)
        .concat(saved.ids_at_ts.map((id) => `github:${id}`))
      const read = yield* readTopics(kafka.brokers, [topics.events("github")], { expected: covered.length })
      const keys = new Set(read.map((m) => m.key))
      expect(covered.filter((k) => !keys.has(k))).toEqual([])
    }).pipe(Effect.scoped), 300_000)
})
