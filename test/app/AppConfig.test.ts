import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Option, Redacted } from "effect"
import { describeConfigError, loadAppConfig } from "../../src/app/AppConfig.js"

const dir = mkdtempSync(join(tmpdir(), "verity-config-"))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

const withEnv = (env: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const load = (path: string, env: Record<string, string> = {}) =>
  loadAppConfig(Option.some(path)).pipe(withEnv(env), Effect.provide(NodeContext.layer))

const example = JSON.stringify({
  kafka: { brokers: ["k1:9092", "k2:9092"], compression: "gzip", sendTimeoutMs: 5000 },
  postgres: { dsn: "postgres://verity:s3cret@db:5432/verity" },
  pipeline: { batchSize: 100, batchWindow: "500 millis" },
  connectors: [
    { id: "github-acme", platform: "github", settings: { org: "acme" }, schedule: { permissions: "2 hours", audit: 30 } },
    { id: "mockapp-1", platform: "mockapp", settings: {} }
  ]
})

describe("AppConfig", () => {
  it.effect("decodes a full file with defaults for what it leaves out", () =>
    Effect.gen(function*() {
      const config = yield* load(file("ok.json", example))
      expect(config.kafka?.brokers).toEqual(["k1:9092", "k2:9092"])
      expect(config.kafka?.clientId).toBe("verity-ingest")
      expect(config.kafka?.idempotent).toBe(false)
      expect(config.pipeline.batchSize).toBe(100)
      expect(Duration.toMillis(config.pipeline.batchWindow)).toBe(500)
      // the audit-driven refresh is on unless turned off
      expect(config.pipeline.refresh?.enabled).toBe(true)
      expect(Duration.toMillis(config.pipeline.refresh!.debounce)).toBe(2000)
      expect(Duration.toMillis(Duration.decode(config.pipeline.refresh!.poll!))).toBe(1000)
      const [gh, mock] = config.connectors
      expect(Duration.toMillis(gh!.schedule.permissions)).toBe(2 * 3600_000)
      expect(Duration.toMillis(gh!.schedule.audit)).toBe(30_000)
      expect(Duration.toMillis(mock!.schedule.permissions)).toBe(3600_000)
      expect(Duration.toMillis(mock!.schedule.audit)).toBe(60_000)
      // the DSN is a secret: it never prints
      expect(String(config.postgresDsn)).not.toContain("s3cret")
    }))

  it.effect("environment variables override the file; VERITY_CONNECTOR picks one connector", () =>
    Effect.gen(function*() {
      const config = yield* load(file("env.json", example), {
        VERITY_KAFKA_BROKERS: "a:1, b:2",
        VERITY_POSTGRES_DSN: "postgres://other@h/db",
        VERITY_CONNECTOR: "mockapp-1"
      })
      expect(config.kafka?.brokers).toEqual(["a:1", "b:2"])
      expect(config.kafka?.sendTimeoutMs).toBe(5000)
      expect(config.postgresDsn && Redacted.value(config.postgresDsn)).toBe("postgres://other@h/db")
      expect(config.connectors.map((c) => c.id)).toEqual(["mockapp-1"])
      const unknown = yield* Effect.flip(load(file("env2.json", example), { VERITY_CONNECTOR: "nope" }))
      expect(describeConfigError(unknown)).toMatch(/no connector with id "nope"/)
    }))

  it.effect("no brokers and no DSN: the embedded defaults", () =>
    Effect.gen(function*() {
      const config = yield* load(file("empty.json", `{"connectors": []}`))
      expect(config.kafka).toBeUndefined()
      expect(config.postgresDsn).toBeUndefined()
      expect(config.dataDir).toBe(".verity")
    }))

  it.effect("a wrong type gives one line naming the file and the field", () =>
    Effect.gen(function*() {
      const path = file("bad.json", JSON.stringify({ kafka: { brokers: ["k:1"], sendTimeoutMs: "soon" }, connectors: [] }))
      const line = describeConfigError(yield* Effect.flip(load(path)))
      expect(line).toContain(path)
      expect(line).toContain(`field "kafka.sendTimeoutMs"`)
      expect(line).not.toContain("\n")

      const schedule = file("bad2.json", JSON.stringify({ connectors: [{ id: "gh", platform: "github", schedule: { audit: "often" } }] }))
      expect(describeConfigError(yield* Effect.flip(load(schedule)))).toMatch(/field "connectors\.0\.schedule\.audit": .*duration/)

      const typo = file("bad3.json", JSON.stringify({ conectors: [] }))
      expect(describeConfigError(yield* Effect.flip(load(typo)))).toContain(`field "conectors"`)
    }))

  it.effect("pipeline.refresh turns the audit-driven refresh off or changes its debounce and its poll", () =>
    Effect.gen(function*() {
      const off = yield* load(file("refresh.json", JSON.stringify({ pipeline: { refresh: { enabled: false, debounce: "500 millis", poll: "5 seconds" } } })))
      expect(off.pipeline.refresh?.enabled).toBe(false)
      expect(Duration.toMillis(Duration.decode(off.pipeline.refresh!.poll!))).toBe(5000)
      expect(Duration.toMillis(off.pipeline.refresh!.debounce)).toBe(500)
      const bad = describeConfigError(yield* Effect.flip(load(file("refresh-bad.json", JSON.stringify({ pipeline: { refresh: { enabled: "yes" } } })))))
      expect(bad).toMatch(/pipeline\.refresh\.enabled/)
    }))

  it.effect("the committed verity.config.example.json decodes", () =>
    Effect.gen(function*() {
      const config = yield* load(new URL("../../verity.config.example.json", import.meta.url).pathname)
      expect(config.connectors.map((c) => c.platform)).toEqual(["github", "mockapp"])
      expect(config.kafka?.compression).toBe("gzip")
      expect(config.postgresDsn).toBeDefined()
    }))

  it.effect("a missing file and malformed JSON are one-line errors naming the file", () =>
    Effect.gen(function*() {
      const missing = describeConfigError(yield* Effect.flip(load(join(dir, "nope.json"))))
      expect(missing).toBe(`config error in ${join(dir, "nope.json")}: file not found`)
      const malformed = describeConfigError(yield* Effect.flip(load(file("broken.json", "{ kafka: "))))
      expect(malformed).toMatch(/broken\.json: not valid JSON/)
      expect(malformed).not.toContain("\n")
    }))
})
