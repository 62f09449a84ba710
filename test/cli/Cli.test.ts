import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { plugins } from "../../src/platforms/registry.js"
import { commandNamed } from "../../src/cli/CommandName.js"
import { runCli, runInProcess } from "../support/Cli.js"

describe("verity CLI", () => {
  it.live("--help at every level lists the commands and options (the root's as a child process, the others in-process)", () =>
    Effect.gen(function*() {
      const [root, run, checkpoint, reset, simulate] = yield* Effect.all([
        runCli(["--help"], { timeoutMs: 150_000 }),
        runInProcess(["run", "--help"]),
        runInProcess(["checkpoint", "--help"]),
        runInProcess(["checkpoint", "reset", "--help"]),
        runInProcess(["simulate", "--help"])
      ], { concurrency: 2 })
      for (const r of [root, run, checkpoint, reset, simulate]) expect(r.code).toBe(0)
      for (const c of ["run", "demo", "simulate", "checkpoint", "--log-format", "--log-level"]) expect(root.stdout).toContain(c)
      expect(run.stdout).toContain("--config")
      expect(run.stdout).toContain("--once")
      expect(checkpoint.stdout).toContain("show")
      expect(checkpoint.stdout).toContain("reset")
      expect(reset.stdout).toContain("--stream")
      expect(reset.stdout).toContain("connector-id")
      // one `simulate <platform>` per registered plugin that ships a simulator
      for (const plugin of plugins) if (plugin.simulator !== undefined) expect(simulate.stdout).toContain(plugin.platform)
    }), 300_000)

  it("loads only the command the arguments name (after the global options); help or an unknown word loads them all", () => {
    expect(commandNamed(["run", "--once", "--config", "x.json"])).toBe("run")
    expect(commandNamed(["--log-level", "debug", "--log-format=json", "checkpoint", "show"])).toBe("checkpoint")
    expect(commandNamed(["--help"])).toBeUndefined()
    expect(commandNamed(["runn"])).toBeUndefined()
    expect(commandNamed([])).toBeUndefined()
  })
})
