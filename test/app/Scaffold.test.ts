/**
 * `scaffold acme` in a temporary copy of the repository (node_modules symlinked in) yields a platform
 * that works with no other edit: its generated test passes untouched, it typechecks, `simulate acme`
 * serves, `connector acme info` lists its capabilities, and the demo (`npm start`'s command) runs it.
 * Existing folders and bad names are refused and write nothing.
 *
 * `scaffold acme` runs as the README has it (`node --import tsx main.ts`); the commands after it run on a
 * compiled copy of the scaffolded repository (test/support/ProgramBuild.ts), which starts without tsx.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { projectRoot, runCli, spawnCli } from "../support/Cli.js"
import { compileProgram } from "../support/ProgramBuild.js"

interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const childEnv = () => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("VERITY_") && !k.startsWith("npm_")) env[k] = v
  return { ...env, NO_COLOR: "1" }
}

const start = (cwd: string, command: string, args: ReadonlyArray<string>): ChildProcess =>
  spawn(command, args, { cwd, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] })

const run = (cwd: string, command: string, args: ReadonlyArray<string>) =>
  Effect.async<Result>((resume) => {
    const child = start(cwd, command, args)
    let stdout = ""
    let stderr = ""
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("exit", (code) => setImmediate(() => resume(Effect.succeed({ code, stdout, stderr }))))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/** `simulate acme --port 0` on the compiled copy, killed when the scope closes: the URL it says it listens on. */
const simulate = (cwd: string, compiled: string) =>
  Effect.gen(function*() {
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => spawnCli(["simulate", "acme", "--port", "0", "--token", "acme-token"], { cwd, compiled })),
      (child) => Effect.sync(() => child.kill("SIGKILL"))
    )
    return yield* Effect.async<string, Error>((resume) => {
      let output = ""
      let done = false
      const finish = (result: Effect.Effect<string, Error>) => {
        if (!done) resume(result)
        done = true
      }
      const seen = (d: string) => {
        output += d
        const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
        if (url !== undefined) finish(Effect.succeed(url))
      }
      child.stdout?.setEncoding("utf8").on("data", seen)
      child.stderr?.setEncoding("utf8").on("data", seen)
      child.on("exit", (code) => finish(Effect.fail(new Error(`simulate acme exited ${code}: ${output}`))))
    })
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

/** The scaffolded copy compiled (test/support/ProgramBuild.ts), removed when the scope closes: its main.js. */
const compiledCopy = (dir: string) =>
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "verity-scaffold-compiled-"))),
    (out) => Effect.sync(() => rmSync(out, { recursive: true, force: true }))
  ).pipe(Effect.flatMap((out) => Effect.promise(() => compileProgram(dir, out))))

/**
 * The project's compiler options over what the scaffold wrote (the new platform, its test, the registry
 * that now lists it) and everything they import. The registry erases its plugins' types, so nothing that
 * imports it can fail to compile for a new entry; CI typechecks the rest of the project (unchanged here)
 * once, and this check costs a sixth of the whole project's.
 */
const typecheckedScaffold = (dir: string) => {
  const path = join(dir, "tsconfig.scaffold.json")
  writeFileSync(path, JSON.stringify({ extends: "./tsconfig.json", include: ["src/platforms/registry.ts", "src/platforms/acme", "test/platforms/acme"] }))
  return path
}

describe("scaffold", () => {
  it.live("scaffold acme yields a registered platform that simulates, answers info, runs in the demo and passes its test", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* copyOfRepo
      const created = yield* run(dir, process.execPath, ["--import", "tsx", "main.ts", "scaffold", "acme"])
      expect(created.stderr).toBe("")
      expect(created.code).toBe(0)
      for (const file of ["Settings.ts", "Payloads.ts", "Client.ts", "Connector.ts", "Plugin.ts", "capabilities/Integration.ts", "simulator/Server.ts", "simulator/Command.ts"]) {
        expect(existsSync(join(dir, "src/platforms/acme", file))).toBe(true)
      }
      const registry = readFileSync(join(dir, "src/platforms/registry.ts"), "utf8")
      expect(registry).toContain(`import { acmePlugin } from "./acme/Plugin.js"`)
      expect(registry).toMatch(/^\s*acmePlugin,$/m)

      const compiled = yield* compiledCopy(dir)
      const cli = (...args: ReadonlyArray<string>) => runCli(args, { cwd: dir, compiled, timeoutMs: 240_000 })

      const [again, badName, tests, typecheck, info, demo, served] = yield* Effect.all([
        cli("scaffold", "acme"),
        cli("scaffold", "Acme-Corp"),
        run(dir, process.execPath, [join(dir, "node_modules/vitest/vitest.mjs"), "run", "test/platforms/acme/acme.test.ts"]),
        run(dir, process.execPath, [join(dir, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", typecheckedScaffold(dir)]),
        cli("connector", "acme", "info"),
        cli("demo"),
        simulate(dir, compiled).pipe(
          Effect.flatMap((url) =>
            Effect.promise(async () => {
              const health = await fetch(`${url}/api/health`)
              const users = await fetch(`${url}/api/users?limit=2`, { headers: { authorization: "Bearer acme-token" } })
              const refused = await fetch(`${url}/api/users`, { headers: { authorization: "Bearer wrong" } })
              return { health: health.status, users: (await users.json()) as { items: ReadonlyArray<unknown> }, refused: refused.status }
            })
          )
        )
      ], { concurrency: "unbounded" })
      expect(again.code).toBe(2)
      expect(again.stderr).toContain("already exists")
      expect(badName.code).toBe(2)
      expect(badName.stderr).toContain("lower-case identifier")
      expect(existsSync(join(dir, "src/platforms/Acme-Corp"))).toBe(false)
      // the refusals wrote nothing: the registry has acme once
      expect(readFileSync(join(dir, "src/platforms/registry.ts"), "utf8")).toBe(registry)

      expect(tests.stdout + tests.stderr).toMatch(/Tests\s+3 passed \(3\)/)
      expect(tests.code).toBe(0)
      expect(typecheck.stdout + typecheck.stderr).toBe("")
      expect(typecheck.code).toBe(0)

      expect(info.code).toBe(0)
      expect(JSON.parse(info.stdout).response).toMatchObject({ app_id: "acme", capabilities: ["app_info", "list_accounts", "validate_credentials"] })

      expect(demo.code).toBe(0)
      for (const id of ["github-demo (github)", "mockapp-demo (mockapp)", "acme-demo (acme)"]) expect(demo.stdout).toContain(id)

      expect(served.health).toBe(200)
      expect(served.users.items).toHaveLength(2)
      expect(served.refused).toBe(401)
    })), 300_000)
})
