/** GitHub speaks the same capabilities as MockApp, against the GitHub simulator over HTTP. */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { ErrorEnvelope } from "../../../../src/sdk/capabilities/Errors.js"
import { GitHubIntegration } from "../../../../src/platforms/github/capabilities/Integration.js"
import { startGitHubSimulator } from "../../../../src/platforms/github/simulator/Server.js"
import { lookup } from "../../../../src/platforms/registry.js"
import { RateLimiter } from "../../../../src/sdk/RateLimiter.js"

const services = Layer.mergeAll(NodeHttpClient.layerUndici, RateLimiter.default)

interface Sim {
  readonly url: string
  readonly token: string
  readonly org: string
}

const request = (sim: Sim, body: unknown, extra: Record<string, unknown> = {}, token = sim.token) => ({
  auth: { token: { token } },
  request: body,
  settings: { org: sim.org, api_url: sim.url },
  ...extra
})

const call = <R>(capability: string, input: unknown) =>
  GitHubIntegration.run(capability, input).pipe(
    Effect.mapError((e) => (e._tag === "CapabilityFailure" ? Schema.encodeSync(ErrorEnvelope)(e.envelope).error : e)),
    Effect.map((json) => json as { response: R; page?: { token: string; size: number } })
  )

/** every page of a capability, `size` at a time */
const allPages = <R>(sim: Sim, capability: string, size: number) =>
  Effect.gen(function*() {
    const items: Array<R> = []
    let token: string | undefined
    let pages = 0
    do {
      const page = yield* call<ReadonlyArray<R>>(capability, request(sim, {}, { page: { size, ...(token ? { token } : {}) } }))
      items.push(...page.response)
      token = page.page?.token
      pages++
    } while (token !== undefined)
    return { items, pages }
  })

const rest = (sim: Sim, path: string) =>
  Effect.promise(() =>
    fetch(`${sim.url}${path}`, { headers: { authorization: `Bearer ${sim.token}` } }).then((r) => r.json() as Promise<unknown>)
  )

interface Assoc {
  readonly account_id: string
  readonly entitlement_id: string
  readonly resource_id: string
}
const key = (a: Assoc) => `${a.account_id.toLowerCase()} ${a.resource_id} ${a.entitlement_id}`

const options = { repos: 4, members: 5, teams: 2, outsideCollaborators: 2, events: 40, seed: 5, latencyMs: 0 }

describe("GitHub capabilities", () => {
  it.scoped("read capabilities answer from the org: tenant id, members, repos+teams, levels, grants, last activity", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator(options)
      const org = (yield* rest(sim, `/orgs/${sim.org}`)) as { id: number }
      const validated = yield* call<unknown>("validate_credentials", request(sim, {}))
      expect(validated.response).toEqual({ valid: true, unique_tenant_id: String(org.id) })

      const members = (yield* rest(sim, `/orgs/${sim.org}/members?per_page=100`)) as ReadonlyArray<{ login: string }>
      const accounts = yield* allPages<{ account_id: string }>(sim, "list_accounts", 2)
      expect(accounts.items.map((a) => a.account_id)).toEqual(members.map((m) => m.login))
      expect(accounts.pages).toBeGreaterThanOrEqual(Math.ceil(members.length / 2))

      // one token spans two upstream endpoints: repositories, then teams
      const repos = (yield* rest(sim, `/orgs/${sim.org}/repos?per_page=100`)) as ReadonlyArray<{ full_name: string }>
      const teams = (yield* rest(sim, `/orgs/${sim.org}/teams?per_page=100`)) as ReadonlyArray<{ slug: string }>
      const resources = yield* allPages<{ resource_id: string; resource_type: string }>(sim, "list_resources", 3)
      expect(resources.items.map((r) => r.resource_id)).toEqual([...repos.map((r) => r.full_name), ...teams.map((t) => `team:${t.slug}`)])

      const entitlements = yield* call<ReadonlyArray<{ entitlement_id: string; resource_id: string }>>("list_entitlements", request(sim, {}))
      expect(entitlements.response.length).toBe(repos.length * 5 + teams.length)
      expect(entitlements.response.filter((e) => e.resource_id === repos[0]!.full_name).map((e) => e.entitlement_id)).toEqual([
        "pull",
        "triage",
        "push",
        "maintain",
        "admin"
      ])

      // associations are the permission snapshots' data
      const truth = yield* sim.truthGrants
      const found = yield* call<ReadonlyArray<Assoc>>("find_entitlement_associations", request(sim, {}))
      expect(found.response.map(key).sort()).toEqual(
        truth.map((g) => key({ account_id: g.principal_ref, resource_id: g.asset_ref, entitlement_id: g.privilege.toLowerCase() })).sort()
      )

      // last activity: the newest audit event of each requested account; unknown accounts skipped
      const events = yield* sim.truthEvents
      const newest = new Map<string, string>()
      for (const e of events) {
        const who = e.principal_ref.toLowerCase()
        if ((newest.get(who) ?? "") < e.occurred_at) newest.set(who, e.occurred_at)
      }
      const someone = [...newest.keys()][0]!
      const activity = yield* call<ReadonlyArray<{ account_id: string; happened_at: string }>>(
        "get_last_activity",
        request(sim, { account_ids: [someone, "nobody-at-all"] })
      )
      expect(activity.response.map((a) => [a.account_id, Date.parse(a.happened_at)])).toEqual([[someone, Date.parse(newest.get(someone)!)]])
    }).pipe(Effect.provide(services)), 60_000)

  it.scoped("assign and unassign a repository permission through the collaborators API", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator(options)
      const repos = (yield* rest(sim, `/orgs/${sim.org}/repos?per_page=100`)) as ReadonlyArray<{ full_name: string }>
      const repo = repos[0]!.full_name
      const grant = { account_id: "new-contractor", entitlement_id: "triage", resource_id: repo }
      const assigned = yield* call<unknown>("assign_entitlement", request(sim, grant))
      expect(assigned.response).toBeNull()
      // someone outside the org is invited: no access until they accept, as on GitHub
      expect((yield* sim.truthGrants).filter((g) => g.principal_ref.toLowerCase() === "new-contractor")).toEqual([])
      for (const invitation of yield* sim.pendingInvitations) yield* sim.acceptInvitation(invitation.id)
      const held = (yield* sim.truthGrants).filter((g) => g.principal_ref.toLowerCase() === "new-contractor")
      // a level implies the ones below it (snapshots list each): triage brings pull
      expect(held.map((g) => [g.asset_ref, g.privilege, g.grant_mechanism]).sort()).toEqual([[repo, "PULL", "direct"], [repo, "TRIAGE", "direct"]])
      const found = yield* call<ReadonlyArray<Assoc>>("find_entitlement_associations", request(sim, { account_ids: ["new-contractor"] }))
      expect(found.response.map(key).sort()).toEqual([key({ ...grant, entitlement_id: "pull" }), key(grant)])

      yield* call<unknown>("unassign_entitlement", request(sim, grant))
      expect((yield* sim.truthGrants).filter((g) => g.principal_ref.toLowerCase() === "new-contractor")).toEqual([])

      const teamGrant = yield* call<unknown>("assign_entitlement", request(sim, { ...grant, entitlement_id: "member", resource_id: "team:x" })).pipe(
        Effect.flip
      )
      expect(teamGrant).toMatchObject({ error_code: "bad_request" })
    }).pipe(Effect.provide(services)), 60_000)

  it.scoped("unsupported capabilities, a wrong token, a foreign page token; info", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator(options)
      for (const capability of ["create_account", "activate_account", "deactivate_account", "delete_account"]) {
        const error = yield* call<unknown>(capability, request(sim, { account_id: "a", email: "[email protected]" })).pipe(Effect.flip)
        expect(error).toMatchObject({ error_code: "unsupported", app_id: "github", raised_in: `github.${capability}` })
      }
      const denied = yield* call<unknown>("list_accounts", request(sim, {}, {}, "not-the-token")).pipe(Effect.flip)
      expect(denied).toMatchObject({ error_code: "unauthorized" })

      const first = yield* call<unknown>("list_resources", request(sim, {}, { page: { size: 2 } }))
      const foreign = yield* call<unknown>("list_accounts", request(sim, {}, { page: { size: 2, token: first.page!.token } })).pipe(Effect.flip)
      expect(foreign).toMatchObject({ error_code: "bad_request" })

      const definition = yield* lookup("github")
      expect(definition.capabilities).toBe(GitHubIntegration)
      const info = (yield* GitHubIntegration.run("info", {})) as { response: { capabilities: unknown; settings_schema: unknown } }
      expect(info.response.capabilities).toEqual([
        "validate_credentials",
        "list_accounts",
        "list_resources",
        "list_entitlements",
        "find_entitlement_associations",
        "get_last_activity",
        "assign_entitlement",
        "unassign_entitlement",
        "info"
      ])
      expect(info.response.settings_schema).toMatchObject({
        type: "object",
        required: ["org"],
        properties: { org: { type: "string", description: "The GitHub organization's login" }, api_url: { type: "string" } }
      })
    }).pipe(Effect.provide(services)), 60_000)
})
