import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { SqlStateStoresLive } from "../../src/adapters/SqlStateStores.js"
import { defaultPipelineOptions } from "../../src/pipeline/Options.js"
import { runConnectorOnce } from "../../src/pipeline/Pipeline.js"
import { makeScriptedConnector } from "../../src/sdk/ScriptedConnector.js"
import { EventSink, MemorySink } from "../../src/services/EventSink.js"
import { sqlLayerFor, testDatabase } from "../../src/testkit/Postgres.js"
import { runInProcess } from "../support/Cli.js"
import { tempDir, writeConfig } from "../support/Program.js"

const dir = tempDir("cli")
const write = (name: string, content: unknown) => writeConfig(dir, name, content)

describe("checkpoint (the program in-process: test/support/Cli.ts)", () => {
  it.live("checkpoint show lists the stored checkpoints; checkpoint reset makes the next run start from the beginning", () =>
    Effect.gen(function*() {
      const db = yield* testDatabase
      const layers = Layer.merge(EventSink.memory, SqlStateStoresLive.pipe(Layer.provide(sqlLayerFor(db))))
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
      const shown = yield* runInProcess(["checkpoint", "show", "--config", config], { cwd: dir, timeoutMs: 150_000 })
      expect(shown.code).toBe(0)
      expect(shown.stdout).toMatch(/gh-reset\s+audit\s+github\s+2023-11-14T22:13:26\.000Z/)
      expect(shown.stdout).toMatch(/gh-reset\s+permissions\s+github/)
      // the runner that ran the stream last, from the run records
      expect(shown.stdout).toMatch(/gh-reset\s+audit\s+github\s+.*runner local \(complete since \d{4}-/)
      expect(shown.stdout).not.toContain(new URL(Redacted.value(db.dsn)).password || "never-printed")

      const reset = yield* runInProcess(["checkpoint", "reset", "gh-reset", "--stream", "audit", "--config", config], { cwd: dir, timeoutMs: 150_000 })
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
