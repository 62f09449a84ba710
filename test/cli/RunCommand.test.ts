import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { makeScriptedConnector } from "../../src/sdk/ScriptedConnector.js"
import { EventSink, MemorySink } from "../../src/services/EventSink.js"
import { SqlCheckpointStoreLive } from "../../src/adapters/SqlCheckpointStore.js"
import { defaultPipelineOptions } from "../../src/pipeline/Options.js"
import { runConnectorOnce } from "../../src/pipeline/Pipeline.js"
import { runCli } from "../support/Cli.js"
import { sqlLayerFor, testDatabase } from "../../src/testkit/Postgres.js"

const dir = mkdtempSync(join(tmpdir(), "verity-cli-"))
const write = (name: string, content: unknown) => {
  const path = join(dir, name)
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2))
  return path
}

const expectOneLineConfigError = (r: { code: number | null; stderr: string; stdout: string }, ...parts: Array<string>) => {
  expect(r.code).toBe(2)
  const lines = r.stderr.trim().split("\n")
  expect(lines).toHaveLength(1)
  for (const part of parts) expect(lines[0]).toContain(part)
  expect(r.stderr).not.toMatch(/\n\s+at /)
}

describe("verity CLI (child process)", () => {
  it.live("a config with a wrong type: one line naming the file and the field, exit 2", () =>
    Effect.gen(function*() {
      const file = write("wrong-type.json", {
        kafka: { brokers: ["127.0.0.1:9"] },
        connectors: [{ id: "gh", platform: "github", schedule: { audit: true } }]
      })
      const r = yield* runCli(["run", "--once", "--config", file], { cwd: dir, timeoutMs: 150_000 })
      expectOneLineConfigError(r, file, `field "connectors.0.schedule.audit"`)
      const batch = write("wrong-batch.json", { pipeline: { batchSize: "many" } })
      expectOneLineConfigError(yield* runCli(["run", "--once", "--config", batch], { cwd: dir, timeoutMs: 150_000 }), `field "pipeline.batchSize"`)
    }), 300_000)

  it.live("a missing file, malformed JSON and an unknown platform are one-line errors with exit 2", () =>
    Effect.gen(function*() {
      const [missing, malformed, unknown] = yield* Effect.all([
        runCli(["run", "--once", "--config", join(dir, "absent.json")], { cwd: dir, timeoutMs: 150_000 }),
        runCli(["run", "--once", "--config", write("malformed.json", "{ \"connectors\": [ ")], { cwd: dir, timeoutMs: 150_000 }),
        runCli(["run", "--once", "--config", write("unknown.json", { connectors: [{ id: "x", platform: "nosuch" }] })], { cwd: dir, timeoutMs: 150_000 })
      ], { concurrency: 3 })
      expectOneLineConfigError(missing, "absent.json", "file not found")
      expectOneLineConfigError(malformed, "malformed.json", "not valid JSON")
      expectOneLineConfigError(unknown, "unknown.json", `field "connectors.0.platform"`, `unknown platform "nosuch"`)
    }), 300_000)

  it.live("--help at every level lists the commands and options", () =>
    Effect.gen(function*() {
      const [root, run, checkpoint, reset] = yield* Effect.all([
        runCli(["--help"], { timeoutMs: 150_000 }),
        runCli(["run", "--help"], { timeoutMs: 150_000 }),
        runCli(["checkpoint", "--help"], { timeoutMs: 150_000 }),
        runCli(["checkpoint", "reset", "--help"], { timeoutMs: 150_000 })
      ], { concurrency: 2 })
      for (const r of [root, run, checkpoint, reset]) expect(r.code).toBe(0)
      for (const c of ["run", "demo", "simulate", "checkpoint", "--log-format", "--log-level"]) expect(root.stdout).toContain(c)
      expect(run.stdout).toContain("--config")
      expect(run.stdout).toContain("--once")
      expect(checkpoint.stdout).toContain("show")
      expect(checkpoint.stdout).toContain("reset")
      expect(reset.stdout).toContain("--stream")
      expect(reset.stdout).toContain("connector-id")
    }), 300_000)

  it.live("checkpoint show lists the stored checkpoints; checkpoint reset makes the next run start from the beginning", () =>
    Effect.gen(function*() {
      const db = yield* testDatabase
      const layers = Layer.merge(EventSink.memory, SqlCheckpointStoreLive.pipe(Layer.provide(sqlLayerFor(db))))
      const entries = Array.from({ length: 7 }, (_, i) => ({ id: `evt-${i}`, ts: 1_700_000_000_000 + i * 1000, actor: "alice", asset: "acme/api", action: "repo.access" }))
      const connector = makeScriptedConnector({ id: "gh-reset", platform: "github", entries, grants: [] })
      const options = { ...defaultPipelineOptions, batchSize: 3, batchWindow: "10 millis" as const }
      const cycle = Effect.gen(function*() {
        const summary = yield* runConnectorOnce(connector, options)
        const published = (yield* (yield* MemorySink).messages).filter((m) => m.topic === "verity.events.raw.github").length
        return { summary, published }
      }).pipe(Effect.provide(layers))

      const first = yield* cycle
      expect(first.published).toBe(7)
      const second = yield* cycle
      expect(second.published).toBe(0) // resumed: nothing new, nothing twice
      expect(second.summary.duplicates).toBe(1) // the boundary event, dropped by dedup

      const config = write("reset.json", { postgres: { dsn: Redacted.value(db.dsn) }, connectors: [] })
      const shown = yield* runCli(["checkpoint", "show", "--config", config], { cwd: dir, timeoutMs: 150_000 })
      expect(shown.code).toBe(0)
      expect(shown.stdout).toMatch(/gh-reset\s+audit\s+github\s+2023-11-14T22:13:26\.000Z/)
      expect(shown.stdout).toMatch(/gh-reset\s+permissions\s+github/)
      expect(shown.stdout).not.toContain(new URL(Redacted.value(db.dsn)).password || "never-printed")

      const reset = yield* runCli(["checkpoint", "reset", "gh-reset", "--stream", "audit", "--config", config], { cwd: dir, timeoutMs: 150_000 })
      expect(reset.code).toBe(0)
      expect(reset.stdout).toContain("reset 1 checkpoint of gh-reset")

      const third = yield* cycle
      expect(Option.isNone(third.summary.checkpointBefore)).toBe(true)
      expect(third.published).toBe(7) // from the beginning again
      // the permissions checkpoint was left alone
      const rows = yield* db.query<{ stream: string }>("SELECT stream FROM connector_checkpoints WHERE connector_id = 'gh-reset' ORDER BY stream")
      expect(rows.map((r) => r.stream)).toEqual(["audit", "permissions"])
    }).pipe(Effect.scoped), 300_000)
})
