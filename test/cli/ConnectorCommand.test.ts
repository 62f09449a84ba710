/**
 * The connector CLI as connector-py's: the tutorial's three commands as a user types them (against a
 * simulator on a random port), each answer one line of JSON that validates against the SDK's models;
 * errors are ErrorResponses on stdout with exit 0; `info` has sorted keys; `--result-file-path`
 * writes the answer gzipped; usage errors exit 2. The first command runs as a child process, the others
 * run the same program in-process (test/support/Cli.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { startMockAppSimulator } from "../../src/platforms/mockapp/simulator/Server.js"
import { type CliResult, runCli, runInProcess } from "../support/Cli.js"
import { answerErrors } from "../support/LumosContract.js"

/** exactly one line of JSON on stdout, exit 0, conforming to the capability's model */
const answerOf = (capability: string, r: CliResult) => {
  expect(r.code, r.stderr).toBe(0)
  const lines = r.stdout.split("\n").filter((l) => l !== "")
  expect(lines, r.stdout).toHaveLength(1)
  const json = JSON.parse(lines[0]!) as Record<string, unknown>
  expect(answerErrors(capability, json), lines[0]).toEqual([])
  return json
}

describe("connector CLI", () => {
  it.live("the tutorial's commands as written; ErrorResponses exit 0; info; result files; usage errors exit 2", () =>
    Effect.scoped(Effect.gen(function*() {
      const sim = yield* startMockAppSimulator({ users: 4 })
      // the tutorial's commands, verbatim but for the port
      const settings = `"settings":{"api_url":"${sim.url}"}`
      const [validate, list, create] = yield* Effect.all([
        runCli(["connector", "mockapp", "validate_credentials", "--json", `{"auth":{"token":{"token":"valid-token"}},"request":{},${settings}}`]),
        runInProcess(["connector", "mockapp", "list_accounts", "--json", `{"auth":{"token":{"token":"valid-token"}},"request":{},${settings}}`]),
        runInProcess([
          "connector",
          "mockapp",
          "create_account",
          "--json",
          `{"auth":{"token":{"token":"valid-token"}},"request":{"email":"[email protected]","display_name":"New User"},${settings}}`
        ])
      ], { concurrency: 3 })
      expect(answerOf("validate_credentials", validate).response).toEqual({ valid: true, unique_tenant_id: sim.url })
      const listed = answerOf("list_accounts", list).response as ReadonlyArray<{ integration_specific_id: string }>
      expect(listed.map((a) => a.integration_specific_id)).toEqual(expect.arrayContaining(["user-0001", "user-0002", "user-0003", "user-0004"]))
      const created = answerOf("create_account", create).response as { id: string; status: string; created: boolean }
      expect(created).toMatchObject({ status: "ACTIVE", created: true })
      expect((yield* sim.state).users.find((u) => u.id === created.id)).toMatchObject({ email: "[email protected]", name: "New User" })

      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "verity-cli-"))),
        (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
      )
      const file = join(dir, "request.json")
      const result = join(dir, "result.json.gz")
      writeFileSync(file, JSON.stringify({ auth: { token: { token: "valid-token" } }, request: {}, settings: { api_url: sim.url } }))
      // (capability errors and malformed requests as ErrorResponses: the in-process suites and test/reliability/badInput)
      const [info, toFile, unregistered] = yield* Effect.all([
        runInProcess(["connector", "github", "info"]),
        runInProcess(["connector", "mockapp", "list_resources", "--json-file", file, "--result-file-path", result]),
        runInProcess(["connector", "github", "deactivate_account", "--json", "{}"])
      ], { concurrency: 3 })
      const described = answerOf("info", info) as { response: { capabilities: ReadonlyArray<string> } }
      const keysSorted = (v: unknown): boolean =>
        Array.isArray(v) ? v.every(keysSorted) : typeof v === "object" && v !== null
          ? Object.keys(v).join() === Object.keys(v).sort().join() && Object.values(v).every(keysSorted)
          : true
      expect(keysSorted(described)).toBe(true)
      expect(described.response.capabilities).toContain("list_activity_records")

      expect(toFile.code, toFile.stderr).toBe(0)
      expect(toFile.stdout).toBe("")
      const saved = JSON.parse(gunzipSync(readFileSync(result)).toString("utf8")) as { response: ReadonlyArray<unknown> }
      expect(answerErrors("list_resources", saved)).toEqual([])
      expect(saved.response.length).toBe((yield* sim.state).resources.length)

      // a capability the connector does not register is not a command (argparse's invalid choice)
      expect(unregistered.code).toBe(2)
      expect(unregistered.stderr).toContain("invalid choice: 'deactivate_account'")
    })), 150_000)
})
