/** The tutorial's three commands, as a user types them, against a simulator on a random port. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { startMockAppSimulator } from "../../src/platforms/mockapp/simulator/Server.js"
import { runCli } from "../support/Cli.js"

const request = (url: string, body: unknown, token = "valid-token") =>
  JSON.stringify({ auth: { token: { token } }, request: body, settings: { api_url: url } })

describe("connector CLI", () => {
  it.live("runs validate_credentials, list_accounts and create_account; errors exit 1 and 2", () =>
    Effect.scoped(Effect.gen(function*() {
      const sim = yield* startMockAppSimulator({ users: 4 })
      const [validate, list, create] = yield* Effect.all([
        runCli(["connector", "mockapp", "validate_credentials", "--json", request(sim.url, {})]),
        runCli(["connector", "mockapp", "list_accounts", "--json", request(sim.url, {})]),
        runCli(["connector", "mockapp", "create_account", "--json", request(sim.url, { email: "[email protected]", display_name: "New User" })])
      ], { concurrency: 3 })
      expect(validate.code).toBe(0)
      expect(JSON.parse(validate.stdout)).toEqual({ response: { valid: true, unique_tenant_id: sim.url } })
      expect(list.code).toBe(0)
      expect(create.code).toBe(0)
      const state = yield* sim.state
      const created = JSON.parse(create.stdout).response
      expect(created).toMatchObject({ email: "[email protected]", display_name: "New User", status: "active" })
      expect(state.users.find((u) => u.id === created.account_id)?.email).toBe("[email protected]")
      const listed = JSON.parse(list.stdout).response as ReadonlyArray<{ account_id: string }>
      expect(listed.map((a) => a.account_id)).toEqual(expect.arrayContaining(["user-0001", "user-0002", "user-0003", "user-0004"]))

      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "verity-cli-"))),
        (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
      )
      const file = join(dir, "request.json")
      writeFileSync(file, request(sim.url, { resource_type: "team" }))
      const [duplicate, badField, unknownApp, fromFile] = yield* Effect.all([
        runCli(["connector", "mockapp", "create_account", "--json", request(sim.url, { email: "[email protected]", display_name: "Again" })]),
        runCli(["connector", "mockapp", "create_account", "--json", request(sim.url, { email: 42 })]),
        runCli(["connector", "nosuchapp", "list_accounts", "--json", "{}"]),
        runCli(["connector", "mockapp", "list_resources", "--json-file", file])
      ], { concurrency: 3 })
      expect(fromFile.code).toBe(0)
      expect(JSON.parse(fromFile.stdout).response.map((r: { resource_id: string }) => r.resource_id)).toEqual(["team-eng", "team-ops"])
      expect(duplicate.code).toBe(1)
      expect(JSON.parse(duplicate.stdout).error).toMatchObject({ error_code: "conflict", app_id: "mockapp", raised_in: "mockapp.create_account" })
      expect((yield* sim.state).users.filter((u) => u.email === "[email protected]")).toHaveLength(1)
      expect(badField.code).toBe(2)
      expect(badField.stderr).toContain("request.email")
      expect(unknownApp.code).toBe(2)
      expect(unknownApp.stderr).toContain("mockapp")
    })), 150_000)
})
