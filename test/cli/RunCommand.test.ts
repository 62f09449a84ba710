import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { runInProcess } from "../support/Cli.js"

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

describe("run (the program in-process: test/support/Cli.ts; as a child process: test/reliability/badInput/cli.test.ts)", () => {
  it.live("a config with a wrong type: one line naming the file and the field, exit 2", () =>
    Effect.gen(function*() {
      const file = write("wrong-type.json", {
        kafka: { brokers: ["127.0.0.1:9"] },
        connectors: [{ id: "gh", platform: "github", schedule: { audit: true } }]
      })
      const r = yield* runInProcess(["run", "--once", "--config", file], { cwd: dir, timeoutMs: 150_000 })
      expectOneLineConfigError(r, file, `field "connectors.0.schedule.audit"`)
      const batch = write("wrong-batch.json", { pipeline: { batchSize: "many" } })
      expectOneLineConfigError(yield* runInProcess(["run", "--once", "--config", batch], { cwd: dir, timeoutMs: 150_000 }), `field "pipeline.batchSize"`)
    }), 300_000)

  it.live("a missing file, malformed JSON and an unknown platform are one-line errors with exit 2", () =>
    Effect.gen(function*() {
      const [missing, malformed, unknown] = yield* Effect.all([
        runInProcess(["run", "--once", "--config", join(dir, "absent.json")], { cwd: dir, timeoutMs: 150_000 }),
        runInProcess(["run", "--once", "--config", write("malformed.json", "{ \"connectors\": [ ")], { cwd: dir, timeoutMs: 150_000 }),
        runInProcess(["run", "--once", "--config", write("unknown.json", { connectors: [{ id: "x", platform: "nosuch" }] })], { cwd: dir, timeoutMs: 150_000 })
      ], { concurrency: 3 })
      expectOneLineConfigError(missing, "absent.json", "file not found")
      expectOneLineConfigError(malformed, "malformed.json", "not valid JSON")
      expectOneLineConfigError(unknown, "unknown.json", `field "connectors.0.platform"`, `unknown platform "nosuch"`)
    }), 300_000)
})
