import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { SqlStateStoresLive } from "../../src/adapters/SqlStateStores.js"
import { defaultPipelineOptions } from "../../src/pipeline/Options.js"
import { runPermissions } from "../../src/pipeline/Permissions.js"
import { makeScriptedConnector, type ScriptedGrant } from "../../src/sdk/ScriptedConnector.js"
import { EventSink } from "../../src/services/EventSink.js"
import { sqlLayerFor, testDatabase } from "../../src/testkit/Postgres.js"
import { runInProcess } from "../support/Cli.js"
import { tempDir, writeConfig } from "../support/Program.js"

const dir = tempDir("cli-grants")

const grants = (extra: ReadonlyArray<ScriptedGrant>): ReadonlyArray<ScriptedGrant> => [
  { principal: "alice", asset: "acme/api", privilege: "PUSH", mechanism: "direct" },
  { principal: "bob", asset: "acme/web", privilege: "PULL", mechanism: "group" },
  ...extra
]

describe("grants (the program in-process: test/support/Cli.ts)", () => {
  it.live("grants list prints the current grants, filtered; grants changes prints the drift since a time", () =>
    Effect.gen(function*() {
      const db = yield* testDatabase
      const layers = Layer.merge(EventSink.memory, SqlStateStoresLive.pipe(Layer.provide(sqlLayerFor(db))))
      const run = (g: ReadonlyArray<ScriptedGrant>) =>
        runPermissions(makeScriptedConnector({ id: "gh-cli", platform: "github", entries: [], grants: g }), defaultPipelineOptions)
      const before = new Date().toISOString()
      yield* Effect.gen(function*() {
        yield* run(grants([]))
        yield* run(grants([{ principal: "carol", asset: "acme/api", privilege: "ADMIN", mechanism: "direct" }]))
      }).pipe(Effect.provide(layers))

      const config = writeConfig(dir, "grants.json", { postgres: { dsn: Redacted.value(db.dsn) }, connectors: [] })
      const listed = yield* runInProcess(["grants", "list", "--platform", "github", "--asset", "acme/api", "--config", config], { cwd: dir, timeoutMs: 150_000 })
      expect(listed.code).toBe(0)
      expect(listed.stdout).toMatch(/gh-cli\s+alice\s+acme\/api\s+PUSH\s+direct/)
      expect(listed.stdout).toMatch(/gh-cli\s+carol\s+acme\/api\s+ADMIN\s+direct/)
      expect(listed.stdout).not.toContain("bob")
      expect(listed.stdout).toContain("2 grants")

      const changes = yield* runInProcess(["grants", "changes", "--platform", "github", "--since", before, "--json", "--config", config], { cwd: dir, timeoutMs: 150_000 })
      expect(changes.code).toBe(0)
      const lines = changes.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>)
      expect(lines).toEqual([expect.objectContaining({ kind: "grant_added", grant_key: "github:carol:acme/api:ADMIN", connector_id: "gh-cli" })])

    }).pipe(Effect.scoped), 300_000)
})
