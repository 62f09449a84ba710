/**
 * `scaffold acme` in a temporary copy of the repository (node_modules symlinked in) yields a
 * registered connector whose generated test passes untouched; existing folders and bad names are refused.
 */
import { spawn } from "node:child_process"
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { projectRoot } from "../support/Cli.js"

interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const run = (cwd: string, args: ReadonlyArray<string>) =>
  Effect.async<Result>((resume) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("exit", (code) => setImmediate(() => resume(Effect.succeed({ code, stdout, stderr }))))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

const copyOfRepo = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = mkdtempSync(join(tmpdir(), "verity-scaffold-"))
    const skip = new Set(["node_modules", ".git", ".verity", ".scratch"])
    cpSync(projectRoot, dir, {
      recursive: true,
      filter: (source) => !skip.has(source.slice(projectRoot.length).split("/")[0] ?? "")
    })
    symlinkSync(join(projectRoot, "node_modules"), join(dir, "node_modules"), "dir")
    return dir
  }),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

describe("scaffold", () => {
  it.live("scaffold acme yields a registered connector whose generated test passes", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* copyOfRepo
      const cli = (...args: ReadonlyArray<string>) => run(dir, ["--import", "tsx", "main.ts", ...args])

      const created = yield* cli("scaffold", "acme")
      expect(created.stderr).toBe("")
      expect(created.code).toBe(0)
      for (const file of ["Settings.ts", "Payloads.ts", "Client.ts", "simulator.ts", "AcmeConnector.ts"]) {
        expect(existsSync(join(dir, "src/connectors/acme", file))).toBe(true)
      }
      const registry = readFileSync(join(dir, "src/connectors/registry.ts"), "utf8")
      expect(registry).toContain(`import { AcmeDefinition } from "../scaffold/acme/AcmeConnector.js"`)
      expect(registry).toMatch(/^\s*acme: AcmeDefinition,$/m)

      const [again, badName, tests] = yield* Effect.all([
        cli("scaffold", "acme"),
        cli("scaffold", "Acme-Corp"),
        run(dir, [join(dir, "node_modules/vitest/vitest.mjs"), "run", "test/connectors/acme/acme.test.ts"])
      ], { concurrency: 3 })
      expect(again.code).toBe(2)
      expect(again.stderr).toContain("already exists")
      expect(badName.code).toBe(2)
      expect(badName.stderr).toContain("lower-case identifier")
      expect(existsSync(join(dir, "src/connectors/Acme-Corp"))).toBe(false)
      // the refusals wrote nothing: the registry has acme once
      expect(readFileSync(join(dir, "src/connectors/registry.ts"), "utf8")).toBe(registry)

      expect(tests.stdout + tests.stderr).toMatch(/Tests\s+3 passed \(3\)/)
      expect(tests.code).toBe(0)
    })), 180_000)
})
