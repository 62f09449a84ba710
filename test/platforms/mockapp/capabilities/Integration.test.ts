/**
 * The Lumos tutorial's flow, end to end over HTTP against the MockApp mock API server, checking what
 * the server holds after each step; plus the error cases a caller meets.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Schema } from "effect"
import { ErrorEnvelope } from "../../../../src/sdk/capabilities/Errors.js"
import { type Integration } from "../../../../src/sdk/capabilities/Executor.js"
import { MockAppIntegration } from "../../../../src/platforms/mockapp/capabilities/Integration.js"
import { lookup } from "../../../../src/platforms/registry.js"
import { startMockAppSimulator } from "../../../../src/platforms/mockapp/simulator/Server.js"
import { RateLimiter } from "../../../../src/sdk/RateLimiter.js"

const services = Layer.mergeAll(NodeHttpClient.layerUndici, RateLimiter.default)

const requestFor = (url: string, request: unknown, extra: Record<string, unknown> = {}, token = "valid-token") => ({
  auth: { token: { token } },
  request,
  settings: { api_url: url },
  ...extra
})

/** run a capability; succeed with its response JSON or fail with the error envelope's `error` */
const call = <R = Account>(integration: Integration, capability: string, input: unknown) =>
  integration.run(capability, input).pipe(
    Effect.mapError((e) => (e._tag === "CapabilityFailure" ? Schema.encodeSync(ErrorEnvelope)(e.envelope).error : e)),
    Effect.map((json) => json as { response: R; page?: { token: string; size: number } })
  )

interface Account {
  readonly account_id: string
  readonly email: string
  readonly display_name: string
  readonly status: string
}

describe("MockApp capabilities over HTTP", () => {
  it.scoped("runs the tutorial's flow and the server shows each step", () =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator({ seed: 7, users: 5 })
      const req = (request: unknown, extra?: Record<string, unknown>) => requestFor(sim.url, request, extra)

      // validate
      const validated = yield* call<unknown>(MockAppIntegration, "validate_credentials", req({}))
      expect(validated.response).toEqual({ valid: true, unique_tenant_id: sim.url })

      // page through every account, two at a time
      const seen: Array<string> = []
      let token: string | undefined
      let pages = 0
      do {
        const page = yield* call<ReadonlyArray<Account>>(MockAppIntegration, "list_accounts", req({}, { page: { size: 2, ...(token ? { token } : {}) } }))
        expect(page.response.length).toBeLessThanOrEqual(2)
        seen.push(...page.response.map((a) => a.account_id))
        token = page.page?.token
        pages++
      } while (token !== undefined)
      const state0 = yield* sim.state
      expect(seen).toEqual(state0.users.map((u) => u.id))
      expect(pages).toBe(3)

      // create, deactivate, activate
      const created = yield* call(MockAppIntegration, "create_account", req({ email: "[email protected]", display_name: "New User" }))
      const id: string = created.response.account_id
      expect(created.response).toMatchObject({ email: "[email protected]", display_name: "New User", status: "active" })
      expect((yield* sim.state).users.find((u) => u.id === id)).toMatchObject({ email: "[email protected]", status: "active" })

      const deactivated = yield* call(MockAppIntegration, "deactivate_account", req({ account_id: id }))
      expect(deactivated.response.status).toBe("inactive")
      expect((yield* sim.state).users.find((u) => u.id === id)?.status).toBe("inactive")

      const activated = yield* call(MockAppIntegration, "activate_account", req({ account_id: id }))
      expect(activated.response.status).toBe("active")
      expect((yield* sim.state).users.find((u) => u.id === id)?.status).toBe("active")

      // assign, list the association, unassign
      const grant = { account_id: id, entitlement_id: "proj-alpha-editor", resource_id: "proj-alpha" }
      yield* call(MockAppIntegration, "assign_entitlement", req(grant))
      expect((yield* sim.state).associations.filter((a) => a.user_id === id).map((a) => a.entitlement_id)).toEqual(["proj-alpha-editor"])
      const found = yield* call<unknown>(MockAppIntegration, "find_entitlement_associations", req({ account_ids: [id] }))
      expect(found.response).toEqual([{ account_id: id, entitlement_id: "proj-alpha-editor", resource_id: "proj-alpha" }])
      yield* call(MockAppIntegration, "unassign_entitlement", req(grant))
      expect((yield* sim.state).associations.filter((a) => a.user_id === id)).toEqual([])

      // delete
      const deleted = yield* call<unknown>(MockAppIntegration, "delete_account", req({ account_id: id }))
      expect(deleted.response).toBeNull()
      const after = yield* sim.state
      expect(after.users.some((u) => u.id === id)).toBe(false)
      expect(after.users.map((u) => u.id)).toEqual(state0.users.map((u) => u.id))
    }).pipe(Effect.provide(services)))

  it.scoped("lists resources, entitlements, and last activity (skipping unknown accounts)", () =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator({ seed: 3, users: 6 })
      const state = yield* sim.state
      const resources = yield* call<ReadonlyArray<{ resource_id: string }>>(MockAppIntegration, "list_resources", requestFor(sim.url, {}))
      expect(resources.response.map((r) => r.resource_id)).toEqual(state.resources.map((r) => r.id))
      const teams = yield* call<ReadonlyArray<{ entitlement_type: string }>>(MockAppIntegration, "list_entitlements", requestFor(sim.url, { resource_type: "team" }))
      expect(teams.response.map((e) => e.entitlement_type)).toEqual(["team_member", "team_member"])

      const withLogin = state.users.filter((u) => u.last_login !== null)
      const ids = [...state.users.map((u) => u.id), "user-9999"]
      const activity = yield* call<unknown>(MockAppIntegration, "get_last_activity", requestFor(sim.url, { account_ids: ids }))
      expect(activity.response).toEqual(
        withLogin.map((u) => ({ account_id: u.id, event_type: "last_login", happened_at: u.last_login }))
      )
    }).pipe(Effect.provide(services)))

  it.scoped("a wrong token is unauthorized", () =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator({ token: "s3cret" })
      const error = yield* call<ReadonlyArray<Account>>(MockAppIntegration, "list_accounts", requestFor(sim.url, {}, {}, "valid-token")).pipe(Effect.flip)
      expect(error).toMatchObject({ error_code: "unauthorized", app_id: "mockapp", raised_in: "mockapp.list_accounts" })
      // the token given never appears in the error
      expect(JSON.stringify(error)).not.toContain("valid-token")
      const ok = yield* call<ReadonlyArray<Account>>(MockAppIntegration, "list_accounts", requestFor(sim.url, {}, {}, "s3cret"))
      expect(ok.response.length).toBeGreaterThan(0)
    }).pipe(Effect.provide(services)))

  it.scoped("a tampered or foreign page token is a bad_request", () =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator({ users: 6 })
      const first = yield* call<ReadonlyArray<Account>>(MockAppIntegration, "list_accounts", requestFor(sim.url, {}, { page: { size: 2 } }))
      const token = first.page?.token
      expect(token).toBeDefined()
      const [payload, mac] = token!.split(".")
      // same signature, contents changed (offset 2 -> 0)
      const forged = Buffer.from(Buffer.from(payload!, "base64url").toString("utf8").replace("\"offset\":2", "\"offset\":0")).toString("base64url")
      for (const bad of [`${forged}.${mac}`, `${payload}.AAAA${mac!.slice(4)}`, "garbage", "", `${payload}`]) {
        if (bad === "") continue
        const error = yield* call<ReadonlyArray<Account>>(MockAppIntegration, "list_accounts", requestFor(sim.url, {}, { page: { size: 2, token: bad } })).pipe(Effect.flip)
        expect(error).toMatchObject({ error_code: "bad_request" })
        expect((error as { message: string }).message).toContain("page token")
      }
      // a token of another capability is foreign
      const foreign = yield* call<unknown>(MockAppIntegration, "find_entitlement_associations", requestFor(sim.url, {}, { page: { size: 2, token } })).pipe(
        Effect.flip
      )
      expect(foreign).toMatchObject({ error_code: "bad_request" })
      // the untouched token still works
      const second = yield* call<ReadonlyArray<Account>>(MockAppIntegration, "list_accounts", requestFor(sim.url, {}, { page: { size: 2, token } }))
      expect(second.response.map((a) => a.account_id)).toEqual(["user-0003", "user-0004"])
    }).pipe(Effect.provide(services)))

  it.scoped("a second admin_role is refused before any write", () =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator()
      const created = yield* call(MockAppIntegration, "create_account", requestFor(sim.url, { email: "[email protected]", display_name: "Admin" }))
      const id: string = created.response.account_id
      yield* call(MockAppIntegration, "assign_entitlement", requestFor(sim.url, { account_id: id, entitlement_id: "admin-super", resource_id: "global" }))
      const before = yield* sim.state
      const error = yield* call(
        MockAppIntegration,
        "assign_entitlement",
        requestFor(sim.url, { account_id: id, entitlement_id: "admin-billing", resource_id: "global" })
      ).pipe(Effect.flip)
      expect(error).toMatchObject({ error_code: "bad_request", raised_by: "EntitlementCardinalityError" })
      expect((error as { message: string }).message).toMatch(/at most 1/)
      expect((error as { message: string }).message).toContain("admin-super")
      const after = yield* sim.state
      expect(after.associations).toEqual(before.associations)
      expect(after.associations.filter((a) => a.user_id === id).map((a) => a.entitlement_id)).toEqual(["admin-super"])
    }).pipe(Effect.provide(services)))

  it.scoped("server-side refusals come back as envelopes with the API's detail", () =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator()
      const wrongResource = yield* call(
        MockAppIntegration,
        "assign_entitlement",
        requestFor(sim.url, { account_id: "user-0001", entitlement_id: "proj-alpha-editor", resource_id: "proj-beta" })
      ).pipe(Effect.flip)
      expect(wrongResource).toMatchObject({ error_code: "bad_request" })
      expect((wrongResource as { message: string }).message).toContain("does not belong to resource proj-beta")
      const missing = yield* call(MockAppIntegration, "activate_account", requestFor(sim.url, { account_id: "user-9999" })).pipe(Effect.flip)
      expect(missing).toMatchObject({ error_code: "not_found" })
      const notAssigned = yield* call(
        MockAppIntegration,
        "unassign_entitlement",
        requestFor(sim.url, { account_id: "user-0001", entitlement_id: "admin-billing", resource_id: "global" })
      ).pipe(Effect.either)
      const holds = (yield* sim.state).associations.some((a) => a.user_id === "user-0001" && a.entitlement_id === "admin-billing")
      expect(Either.isLeft(notAssigned)).toBe(!holds)
    }).pipe(Effect.provide(services)))

  it.scopedLive("pages through every account although the server injects 503s and 429s (the client retries)", () =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator({ seed: 9, users: 30, errorRate: 0.3, rateLimitRate: 0.1 })
      const seen: Array<string> = []
      let token: string | undefined
      do {
        const page = yield* call<ReadonlyArray<Account>>(MockAppIntegration, "list_accounts", requestFor(sim.url, {}, { page: { size: 3, ...(token ? { token } : {}) } }))
        seen.push(...page.response.map((a) => a.account_id))
        token = page.page?.token
      } while (token !== undefined)
      const state = yield* sim.state
      expect(seen).toEqual(state.users.map((u) => u.id))
      expect(state.injectedFaults).toBeGreaterThan(0)
    }).pipe(Effect.provide(services)))

  it.effect("malformed requests name the bad field", () =>
    Effect.gen(function*() {
      const e1 = yield* MockAppIntegration.run("create_account", { auth: { token: { token: "t" } }, request: { email: 5 } }).pipe(Effect.flip)
      expect(e1).toMatchObject({ _tag: "MalformedRequest", field: "request.email" })
      const e2 = yield* MockAppIntegration.run("list_accounts", { auth: { token: { token: "t" } }, request: {}, settings: { api_url: 3 } }).pipe(
        Effect.flip
      )
      expect(e2).toMatchObject({ _tag: "MalformedRequest", field: "settings.api_url" })
      const e3 = yield* MockAppIntegration.run("list_accounts", { request: {}, page: { size: "ten" } }).pipe(Effect.flip)
      expect(e3).toMatchObject({ _tag: "MalformedRequest", field: "page.size" })
      const e4 = yield* MockAppIntegration.run("frobnicate", {}).pipe(Effect.flip)
      expect(e4).toMatchObject({ _tag: "UnknownCapability" })
    }).pipe(Effect.provide(services)))

  it.effect("info lists every capability and a JSON Schema of the settings", () =>
    Effect.gen(function*() {
      const definition = yield* lookup("mockapp")
      expect(definition.capabilities).toBe(MockAppIntegration)
      const info = (yield* MockAppIntegration.run("info", {})) as {
        response: { app_id: string; auth: string; capabilities: unknown; settings_schema: unknown; entitlement_types: ReadonlyArray<{ type_id: string }> }
      }
      expect(info.response.app_id).toBe("mockapp")
      expect(info.response.auth).toBe("token")
      expect(info.response.capabilities).toEqual([
        "validate_credentials",
        "list_accounts",
        "list_resources",
        "list_entitlements",
        "find_entitlement_associations",
        "get_last_activity",
        "create_account",
        "activate_account",
        "deactivate_account",
        "delete_account",
        "assign_entitlement",
        "unassign_entitlement",
        "info"
      ])
      expect(info.response.settings_schema).toMatchObject({
        type: "object",
        properties: { api_url: { type: "string", description: "The base URL of the MockApp API", default: "http://localhost:8000" } }
      })
      expect(info.response.entitlement_types.find((t) => t.type_id === "admin_role")).toMatchObject({ min: 0, max: 1 })
    }).pipe(Effect.provide(services)))
})
