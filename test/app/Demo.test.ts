/**
 * Acceptance: `npm start` in a clean clone (no .verity/) prints the summary; a second run resumes from the
 * checkpoints and publishes zero duplicate audit events. The first run is `npm start` itself; the later
 * ones run the command it runs (`demo`, in the clone) on a compiled copy of the clone
 * (test/support/ProgramBuild.ts), which starts without tsx and the heap limits' re-launch.
 */
import { execFileSync, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { demoOrg } from "../../src/platforms/github/simulator/Command.js"
import { startGitHubSimulator } from "../../src/platforms/github/simulator/Server.js"
import { collect, projectRoot, runCli } from "../support/Cli.js"
import { removedKeys, truthDiff } from "../support/GrantTruth.js"
import { startProgram, tempDir, waitUntil } from "../support/Program.js"
import { compileProgram } from "../support/ProgramBuild.js"

const npmStart = (cwd: string, extra: Record<string, string> = {}) =>
  Effect.suspend(() => {
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("VERITY_") && !k.startsWith("npm_")) env[k] = v
    return collect(spawn("npm", ["start", "--silent"], { cwd, env: { ...env, ...extra, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] }), 240_000)
  })

const changesPage = Schema.decodeUnknownSync(Schema.Struct({ changes: Schema.Array(Schema.Unknown) }))

const lines = (dir: string, topic: string) => {
  const file = join(dir, ".verity", "out", `${topic}.jsonl`)
  return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Line) : []
}
interface Line {
  readonly key: string
  readonly value: null | { readonly change_id: string; readonly kind: string; readonly grant_key: string; readonly before?: { readonly grant_mechanism: string }; readonly after?: { readonly grant_mechanism: string } }
}

const auditKeys = (dir: string) =>
  readdirSync(join(dir, ".verity", "out"))
    .filter((f) => f.startsWith("verity.events.raw."))
    .flatMap((f) => readFileSync(join(dir, ".verity", "out", f), "utf8").trim().split("\n").filter((l) => l !== ""))
    .map((l) => JSON.parse(l).key as string)

describe("npm start (the demo) in a clean clone", () => {
  it.live("prints the summary; a second run resumes and publishes no audit event twice; after the org changes, a third reports exactly the drift (PGlite)", () =>
    Effect.gen(function*() {
      const parent = mkdtempSync(join(tmpdir(), "verity-demo-"))
      const clone = join(parent, "verity")
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(parent, { recursive: true, force: true })))
      execFileSync("git", ["clone", "--quiet", projectRoot, clone])
      symlinkSync(join(projectRoot, "node_modules"), join(clone, "node_modules"), "dir")
      expect(existsSync(join(clone, ".verity"))).toBe(false)
      // the clone's own program (its commit, not the working tree's)
      const compiled = yield* Effect.promise(() => compileProgram(clone, join(parent, "compiled")))

      const first = yield* npmStart(clone)
      expect(first.code).toBe(0)
      for (const id of ["github-demo (github)", "mockapp-demo (mockapp)"]) expect(first.stdout).toContain(id)
      for (const label of ["permission snapshots", "audit events", "audit checkpoint", "throughput", "files written"]) {
        expect(first.stdout).toContain(label)
      }
      const published = [...first.stdout.matchAll(/audit events\s+(\d+) published/g)].map((m) => Number(m[1]))
      expect(published).toHaveLength(2)
      expect(published.every((n) => n > 0)).toBe(true)
      const keysAfterFirst = auditKeys(clone)
      expect(keysAfterFirst.length).toBe(published[0]! + published[1]!)

      const second = yield* runCli(["demo"], { cwd: clone, compiled, timeoutMs: 240_000 })
      expect(second.code).toBe(0)
      expect(second.stdout).toContain("Resumed from stored checkpoints")
      expect([...second.stdout.matchAll(/audit events\s+(\d+) published/g)].map((m) => Number(m[1]))).toEqual([0, 0])
      const keys = auditKeys(clone)
      expect(keys).toHaveLength(keysAfterFirst.length)
      expect(new Set(keys).size).toBe(keys.length)
      // the org was the same both times: no grant changed
      expect(lines(clone, "verity.permissions.changes.github")).toEqual([])

      // a third run, after seeded changes to the demo's org (the same simulator, in-process here for its truth)
      const third = yield* runCli(["demo"], { cwd: clone, compiled, timeoutMs: 240_000, env: { VERITY_DEMO_CHANGES: "4" } })
      expect(third.code).toBe(0)
      const before = yield* (yield* startGitHubSimulator(demoOrg)).truthGrants
      const after = yield* (yield* startGitHubSimulator({ ...demoOrg, changesAtStart: 4 })).truthGrants
      const expected = truthDiff(before, after)
      expect(expected.length).toBeGreaterThan(0)
      const changes = lines(clone, "verity.permissions.changes.github").map((l) =>
        `${l.value?.kind}|${l.value?.grant_key}|${l.value?.before?.grant_mechanism ?? ""}->${l.value?.after?.grant_mechanism ?? ""}`
      )
      expect(changes.sort()).toEqual(expected)
      const tombstones = lines(clone, "verity.permissions.snapshots.github").filter((l) => l.value === null).map((l) => l.key).sort()
      expect(tombstones).toEqual(removedKeys(expected))
    }).pipe(Effect.scoped), 600_000)

  it.live("npm start -- --serve keeps the demo running with the dashboard up and prints its URL; live changes reach the API", () =>
    Effect.gen(function*() {
      const dir = tempDir("demo-serve")
      const port = 18000 + Math.floor(Math.random() * 2000)
      const program = yield* startProgram(["demo", "--serve", "--port", String(port), "--data-dir", join(dir, ".verity")], { cwd: dir })
      const url = `http://127.0.0.1:${port}/`
      yield* waitUntil(
        "the demo printed the dashboard's URL",
        Effect.sync(() => {
          if (!program.isRunning()) throw new Error(`the demo exited:\n${program.output().stderr.slice(-3000)}`)
          return program.output().stdout.includes(`Dashboard: ${url}`)
        }),
        "120 seconds",
        "200 millis"
      )
      const page = yield* Effect.promise(() => fetch(url).then((r) => r.text()))
      expect(page).toContain("<title>Verity ingest</title>")
      // the simulators are live: the orgs change, and the next snapshots report it as drift
      yield* waitUntil(
        "a grant change from live mode",
        Effect.promise(() =>
          fetch(`${url}api/v1/grants/changes?platform=github`).then((r) => r.json()).then((b) => changesPage(b).changes.length > 0)
        ),
        "120 seconds",
        "1 second"
      )
      const stopped = yield* program.kill("SIGINT")
      expect(stopped.code === 0 || stopped.signal === "SIGINT").toBe(true)
    }).pipe(Effect.scoped), 300_000)
})
