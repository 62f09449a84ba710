/**
 * The Lumos tutorial's flow on the SDK's models, end to end over HTTP against the MockApp mock API
 * server, checking what the server holds after each step (every answer checked against the Lumos
 * contract); plus the error cases a caller meets.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { MockAppIntegration } from "../../../../src/platforms/mockapp/capabilities/Integration.js"
import { startMockAppSimulator } from "../../../../src/platforms/mockapp/simulator/Server.js"
import { lookup } from "../../../../src/platforms/registry.js"
import { RateLimiter } from "../../../../src/sdk/RateLimiter.js"
import { allPages, failed, ok } from "../../../support/Capabilities.js"

const services = Layer.mergeAll(NodeHttpClient.layerUndici, RateLimiter.default)
const app = MockAppIntegration

const requestFor = (url: string, request: unknown, extra: Record<string, unknown> = {}, token = "valid-token") => ({
  auth: { token: { token } },
  request,
  settings: { api_url: url },
  ...extra
})

interface Account {
  readonly integration_specific_id: string
  readonly email: string | null
  readonly given_name: string | null
  readonly family_name: string | null
  readonly user_status: string | null
}
const grantOf = (account: string, entitlement: string, resource: string, type = "project_role", resourceType = "project") => ({
  account_integration_specific_id: account,
  entitlement_integration_specific_id: entitlement,
  resource_integration_specific_id: resource,
  entitlement_type: type,
  resource_type: resourceType
})

describe("MockApp capabilities over HTTP", () => {
  it.scoped("runs the tutorial's flow and the server shows each step", () =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator({ seed: 7, users: 5 })
      const req = (request: unknown, extra?: Record<string, unknown>) => requestFor(sim.url, request, extra)

      // validate
      const validated = yield* ok(app, "validate_credentials", req({}))
      expect(validated.response).toEqual({ valid: true, unique_tenant_id: sim.url })

      // page through every account, two at a time: nothing lost, nothing repeated
      const state0 = yield* sim.state
      const accounts = yield* allPages<Account>(app, "list_accounts", (page) => req({}, { page }), 2)
      expect(accounts.items.map((a) => a.integration_specific_id)).toEqual(state0.users.map((u) => u.id))
      expect(accounts.pages).toBe(3)

      // create (the tutorial's request), read back, update, deactivate, activate
      const created = yield* ok<{ id: string; status: string; created: boolean }>(app, "create_account", req({ email: "[email protected]", display_name: "New User" }))
      const id = created.response.id
      expect(created.response).toEqual({ id, status: "ACTIVE", created: true })
      expect((yield* sim.state).users.find((u) => u.id === id)).toMatchObject({ email: "[email protected]", name: "New User", status: "active" })
      const read = yield* ok<Account>(app, "get_account", req({ account_id: id }))
      expect(read.response).toMatchObject({ integration_specific_id: id, email: "[email protected]", given_name: "New", family_name: "User", user_status: "ACTIVE" })

      const updated = yield* ok(app, "update_account", req({ id, family_name: "Person", email: "[email protected]" }))
      expect(updated.response).toEqual({ id })
      expect(yield* failed(app, "update_account", req({ id, custom_attributes: { org_role: "admin" } }))).toMatchObject({ error_code: "invalid_value" })
      expect((yield* sim.state).users.find((u) => u.id === id)).toMatchObject({ email: "[email protected]", name: "New Person" })

      const deactivated = yield* ok(app, "deactivate_account", req({ account_id: id }))
      expect(deactivated.response).toEqual({ status: "INACTIVE", deactivated: true })
      expect((yield* sim.state).users.find((u) => u.id === id)?.status).toBe("inactive")

      const activated = yield* ok(app, "activate_account", req({ account_id: id }))
      expect(activated.response).toEqual({ status: "ACTIVE", activated: true })
      expect((yield* sim.state).users.find((u) => u.id === id)?.status).toBe("active")

      // assign (the SDK's request), read the account's associations, unassign
      const grant = grantOf(id, "proj-alpha-editor", "proj-alpha")
      expect((yield* ok(app, "assign_entitlement", req(grant))).response).toEqual({ assigned: true })
      expect((yield* sim.state).associations.filter((a) => a.user_id === id).map((a) => a.entitlement_id)).toEqual(["proj-alpha-editor"])
      const held = yield* ok(app, "get_account_entitlement_associations", req({ account_id: id }))
      expect(held.response).toEqual([{ account_id: id, integration_specific_entitlement_id: "proj-alpha-editor", integration_specific_resource_id: "proj-alpha" }])
      expect((yield* ok(app, "unassign_entitlement", req(grant))).response).toEqual({ unassigned: true })
      expect((yield* sim.state).associations.filter((a) => a.user_id === id)).toEqual([])

      // every association, two at a time: the server's, in order
      const associations = yield* allPages<{ account_id: string; integration_specific_entitlement_id: string }>(
        app,
        "find_entitlement_associations",
        (page) => req({}, { page }),
        2
      )
      expect(associations.items.map((a) => `${a.account_id} ${a.integration_specific_entitlement_id}`)).toEqual(
        (yield* sim.state).associations.map((a) => `${a.user_id} ${a.entitlement_id}`)
      )

      // delete
      const deleted = yield* ok(app, "delete_account", req({ account_id: id }))
      expect(deleted.response).toEqual({ status: "DELETED", deleted: true })
      const after = yield* sim.state
      expect(after.users.some((u) => u.id === id)).toBe(false)
      expect(after.users.map((u) => u.id)).toEqual(state0.users.map((u) => u.id))
    }).pipe(Effect.provide(services)))

  it.scoped("lists resources, entitlements, last activity (skipping unknown accounts) and login records", () =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator({ seed: 3, users: 6 })
      const state = yield* sim.state
      const resources = yield* ok<ReadonlyArray<{ integration_specific_id: string }>>(app, "list_resources", requestFor(sim.url, {}))
      expect(resources.response.map((r) => r.integration_specific_id)).toEqual(state.resources.map((r) => r.id))
      const entitlements = yield* ok<ReadonlyArray<{ integration_specific_id: string; integration_specific_resource_id: string }>>(
        app,
        "list_entitlements",
        requestFor(sim.url, {})
      )
      expect(entitlements.response.map((e) => [e.integration_specific_id, e.integration_specific_resource_id])).toEqual(
        state.entitlements.map((e) => [e.id, e.resource_id])
      )

      const withLogin = state.users.filter((u) => u.last_login !== null)
      const ids = [...state.users.map((u) => u.id), "user-9999"]
      const activity = yield* ok(app, "get_last_activity", requestFor(sim.url, { account_ids: ids }))
      expect(activity.response).toEqual(withLogin.map((u) => ({ account_id: u.id, event_type: "last_login", happened_at: u.last_login })))

      // login records since a date, of two actors, two at a time: exactly the server's, in order
      const logins = [...state.logins].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : 1))
      const since = logins[Math.floor(logins.length / 4)]!.at
      const actors = [...new Set(logins.map((l) => l.user_id))].slice(0, 2)
      const records = yield* allPages<{ id: string; activity_type: string; actor: { account_id: string } }>(
        app,
        "list_activity_records",
        (page) => requestFor(sim.url, { since_date: since, actors: actors.map((account_id) => ({ account_id })) }, { page }),
        2
      )
      const expected = logins.filter((l) => l.at >= since && actors.includes(l.user_id))
      expect(expected.length).toBeGreaterThan(2)
      expect(records.items.map((r) => r.id)).toEqual(expected.map((l) => l.id))
      expect(new Set(records.items.map((r) => r.activity_type))).toEqual(new Set(["ACCOUNT_LOGIN"]))
    }).pipe(Effect.provide(services)))

  it.scoped("raw_data comes back only when include_raw_data is set", () =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator({ users: 3 })
      const plain = yield* ok(app, "get_account", requestFor(sim.url, { account_id: "user-0001" }))
      expect(plain.raw_data).toBeNull()
      const raw = yield* ok(app, "get_account", requestFor(sim.url, { account_id: "user-0001" }, { include_raw_data: true }))
      expect(raw.raw_data).toEqual((yield* sim.state).users[0])
    }).pipe(Effect.provide(services)))

  it.scoped("a wrong token is unauthorized, and the token never appears in the answer", () =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator({ token: "s3cret" })
      const error = yield* failed(app, "list_accounts", requestFor(sim.url, {}, {}, "valid-token"))
      expect(error).toMatchObject({
        error_code: "unauthorized",
        status_code: 401,
        app_id: "mockapp",
        raised_by: "HTTPStatusError",
        raised_in: "platforms.mockapp.capabilities:list_accounts"
      })
      expect(JSON.stringify(error)).not.toContain("valid-token")
      const fine = yield* ok<ReadonlyArray<Account>>(app, "list_accounts", requestFor(sim.url, {}, {}, "s3cret"))
      expect(fine.response.length).toBeGreaterThan(0)
    }).pipe(Effect.provide(services)))

  it.scoped("a tampered or foreign page token is invalid_page_token", () =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator({ users: 6 })
      const first = yield* ok<ReadonlyArray<Account>>(app, "list_accounts", requestFor(sim.url, {}, { page: { size: 2 } }))
      const token = first.page!.token
      const [payload, mac] = token.split(".")
      // same signature, contents changed (offset 2 -> 0)
      const forged = Buffer.from(Buffer.from(payload!, "base64url").toString("utf8").replace("\"offset\":2", "\"offset\":0")).toString("base64url")
      for (const bad of [`${forged}.${mac}`, `${payload}.AAAA${mac!.slice(4)}`, "garbage", `${payload}`]) {
        const error = yield* failed(app, "list_accounts", requestFor(sim.url, {}, { page: { size: 2, token: bad } }))
        expect(error).toMatchObject({ error_code: "invalid_page_token" })
        expect(error.message).toContain("page token")
      }
      // a token of another capability is foreign
      const foreign = yield* failed(app, "find_entitlement_associations", requestFor(sim.url, {}, { page: { size: 2, token } }))
      expect(foreign).toMatchObject({ error_code: "invalid_page_token" })
      // the untouched token still works
      const second = yield* ok<ReadonlyArray<Account>>(app, "list_accounts", requestFor(sim.url, {}, { page: { size: 2, token } }))
      expect(second.response.map((a) => a.integration_specific_id)).toEqual(["user-0003", "user-0004"])
    }).pipe(Effect.provide(services)))

  it.scoped("a second admin_role is refused (invalid_value) before any write", () =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator()
      const created = yield* ok<{ id: string }>(app, "create_account", requestFor(sim.url, { email: "[email protected]", display_name: "Admin" }))
      const id = created.response.id
      yield* ok(app, "assign_entitlement", requestFor(sim.url, grantOf(id, "admin-super", "global", "admin_role", "global")))
      const before = yield* sim.state
      const error = yield* failed(app, "assign_entitlement", requestFor(sim.url, grantOf(id, "admin-billing", "global", "admin_role", "global")))
      expect(error).toMatchObject({ error_code: "invalid_value", raised_by: "EntitlementCardinalityError" })
      expect(error.message).toMatch(/at most 1/)
      expect(error.message).toContain("admin-super")
      const after = yield* sim.state
      expect(after.associations).toEqual(before.associations)
      expect(after.associations.filter((a) => a.user_id === id).map((a) => a.entitlement_id)).toEqual(["admin-super"])
    }).pipe(Effect.provide(services)))

  it.scoped("server-side refusals come back as ErrorResponses with the API's detail and status", () =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator()
      const wrongResource = yield* failed(app, "assign_entitlement", requestFor(sim.url, grantOf("user-0001", "proj-alpha-editor", "proj-beta")))
      expect(wrongResource).toMatchObject({ error_code: "api_error", status_code: 422 })
      expect(wrongResource.message).toContain("does not belong to resource proj-beta")
      const missing = yield* failed(app, "activate_account", requestFor(sim.url, { account_id: "user-9999" }))
      expect(missing).toMatchObject({ error_code: "not_found", status_code: 404 })
      const duplicate = yield* failed(app, "create_account", requestFor(sim.url, { email: (yield* sim.state).users[0]!.email }))
      expect(duplicate).toMatchObject({ error_code: "api_error", status_code: 409, app_error_code: "mockapp.conflict" })
    }).pipe(Effect.provide(services)))

  it.scopedLive("pages through every account although the server injects 503s and 429s (the client retries)", () =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator({ seed: 9, users: 30, errorRate: 0.3, rateLimitRate: 0.1 })
      const accounts = yield* allPages<Account>(app, "list_accounts", (page) => requestFor(sim.url, {}, { page }), 3)
      const state = yield* sim.state
      expect(accounts.items.map((a) => a.integration_specific_id)).toEqual(state.users.map((u) => u.id))
      expect(state.injectedFaults).toBeGreaterThan(0)
    }).pipe(Effect.provide(services)))

  it.effect("malformed requests, missing auth or settings are bad_request ErrorResponses naming the problem", () =>
    Effect.gen(function*() {
      const auth = { token: { token: "t" } }
      const e1 = yield* failed(app, "create_account", { auth, request: { email: 5 }, settings: { api_url: "http://127.0.0.1:9" } })
      expect(e1).toMatchObject({ error_code: "bad_request", raised_by: "CapabilityRequestValidationError" })
      expect(e1.message).toContain("request.email")
      const e2 = yield* failed(app, "list_accounts", { auth, request: {}, settings: { api_url: 3 } })
      expect(e2).toMatchObject({ error_code: "bad_request", raised_by: "CapabilityRequestSettingsError" })
      expect(e2.message).toContain("settings.api_url")
      const e3 = yield* failed(app, "list_accounts", { auth, request: {}, page: { size: "ten" } })
      expect(e3.message).toContain("page.size")
      const e4 = yield* failed(app, "list_accounts", { auth, request: {} })
      expect(e4).toMatchObject({ error_code: "bad_request", raised_by: "CapabilityRequestSettingsError" })
      const e5 = yield* failed(app, "list_accounts", { request: {}, settings: { api_url: "http://127.0.0.1:9" } })
      expect(e5).toMatchObject({ error_code: "bad_request", message: "Missing auth/credentials in request" })
      const e6 = yield* failed(app, "frobnicate", {})
      expect(e6).toMatchObject({ error_code: "not_implemented", raised_by: "CapabilityNotImplementedError" })
      // SDK capabilities whose meaning MockApp lacks answer as the SDK does for an unregistered one (README: why)
      for (const capability of ["list_custom_attributes_schema", "list_updated_accounts", "get_data_recency", "connected_info", "list_expenses", "transfer_data"]) {
        const refused = yield* failed(app, capability, { auth, request: {}, settings: { api_url: "http://127.0.0.1:9" } })
        expect(refused, capability).toMatchObject({ error_code: "not_implemented", raised_by: "CapabilityNotImplementedError" })
      }
      const e7 = yield* app.dispatch("list_accounts", "{not json")
      expect(e7).toMatchObject({ is_error: true, error: { error_code: "bad_request" } })
    }).pipe(Effect.provide(services)))

  it.effect("info lists every capability, sorted, with its argument and output JSON Schemas", () =>
    Effect.gen(function*() {
      const definition = yield* lookup("mockapp")
      expect(definition.capabilities).toBe(app)
      const info = yield* ok<{
        app_id: string
        capabilities: ReadonlyArray<string>
        capability_schema: Record<string, { argument: unknown; output: unknown }>
        request_settings_schema: unknown
        entitlement_types: ReadonlyArray<{ type_id: string }>
      }>(app, "info", {})
      expect(info.response.app_id).toBe("mockapp")
      expect(info.response.capabilities).toEqual([...info.response.capabilities].sort())
      expect(info.response.capabilities).toHaveLength(17)
      expect(Object.keys(info.response.capability_schema)).toEqual(info.response.capabilities)
      expect(info.response.capability_schema.get_account?.argument).toMatchObject({ type: "object", required: ["request"] })
      const settings = info.response.request_settings_schema as { $ref?: string; $defs?: Record<string, unknown> }
      expect(settings.$ref === undefined ? settings : settings.$defs?.[settings.$ref.replace("#/$defs/", "")]).toMatchObject({
        type: "object",
        required: ["api_url"],
        properties: { api_url: { type: "string", description: "The base URL of the MockApp API" } }
      })
      expect(info.response.entitlement_types.find((t) => t.type_id === "admin_role")).toMatchObject({ min: 0, max: 1 })
      const appInfo = yield* ok<{ app_id: string; app_schema: { paths: Record<string, unknown> } }>(app, "app_info", { request: {} })
      expect(Object.keys(appInfo.response.app_schema.paths)).toEqual(info.response.capabilities.map((c) => `/${c}`))
    }).pipe(Effect.provide(services)))
})
