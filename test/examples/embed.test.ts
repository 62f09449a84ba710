import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { program, services } from "../../examples/embed.js"

describe("examples/embed.ts", () => {
  it.effect("runs inside another Effect program with the layers it chose", () =>
    Effect.gen(function*() {
      const { first, published, second } = yield* program.pipe(Effect.provide(services))
      expect(first).toMatchObject({ connectorId: "hr-system", events: 3, snapshots: 2, duplicates: 1, errors: [] })
      expect(second.events).toBe(0)
      expect(published.filter((m) => m.topic === "verity.events.raw.hris").map((m) => m.key)).toEqual([
        "hris:login-1",
        "hris:login-2",
        "hris:export-1"
      ])
    }))

  it("runs as a script and logs its summary", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "examples/embed.ts"], {
      cwd: new URL("../..", import.meta.url).pathname
    })
    expect(stdout).toContain("embedded pipeline ran")
    expect(stdout).toContain("events=3")
  }, 60_000)
})
