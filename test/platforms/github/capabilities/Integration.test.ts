/** GitHub's capabilities on the SDK's models, against the GitHub simulator over HTTP (every answer checked against the Lumos contract). */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { GitHubIntegration } from "../../../../src/platforms/github/capabilities/Integration.js"
import { startGitHubSimulator } from "../../../../src/platforms/github/simulator/Server.js"
import { lookup } from "../../../../src/platforms/registry.js"
import { RateLimiter } from "../../../../src/sdk/RateLimiter.js"
import { allPages, failed, ok } from "../../../support/Capabilities.js"

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

const rest = (sim: Sim, path: string) =>
  Effect.promise(() =>
    fetch(`${sim.url}${path}`, { headers: { authorization: `Bearer ${sim.token}` } }).then((r) => r.json() as Promise<unknown>)
  )

interface Assoc {
  readonly account_id: string
  readonly integration_specific_entitlement_id: string
  readonly integration_specific_resource_id: string
}
const key = (a: Assoc) => `${a.account_id.toLowerCase()} ${a.integration_specific_resource_id} ${a.integration_specific_entitlement_id}`
const truthKey = (g: { principal_ref: string; asset_ref: string; privilege: string }) =>
  `${g.principal_ref.toLowerCase()} ${g.asset_ref} ${g.privilege.toLowerCase()}`

const options = { repos: 4, members: 5, teams: 2, outsideCollaborators: 2, events: 40, seed: 5, latencyMs: 0 }
const gh = GitHubIntegration

describe("GitHub capabilities", () => {
  it.live("read capabilities answer from the org: tenant id, members, repos+teams, levels, grants, activity", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator(options)
      const org = (yield* rest(sim, `/orgs/${sim.org}`)) as { id: number }
      const validated = yield* ok(gh, "validate_credentials", request(sim, {}))
      expect(validated.response).toEqual({ valid: true, unique_tenant_id: String(org.id) })

      const members = (yield* rest(sim, `/orgs/${sim.org}/members?per_page=100`)) as ReadonlyArray<{ login: string }>
      const accounts = yield* allPages<{ integration_specific_id: string }>(gh, "list_accounts", (page) => request(sim, {}, { page }), 2)
      expect(accounts.items.map((a) => a.integration_specific_id)).toEqual(members.map((m) => m.login))
      expect(accounts.pages).toBeGreaterThanOrEqual(Math.ceil(members.length / 2))
      const one = yield* ok<{ integration_specific_id: string; user_status: string }>(
        gh,
        "get_account",
        request(sim, { account_id: members[1]!.login.toUpperCase() })
      )
      expect(one.response).toMatchObject({ integration_specific_id: members[1]!.login, user_status: "ACTIVE" })
      expect(yield* failed(gh, "get_account", request(sim, { account_id: "nobody-at-all" }))).toMatchObject({ error_code: "not_found" })

      // one token spans two upstream endpoints: repositories, then teams
      const repos = (yield* rest(sim, `/orgs/${sim.org}/repos?per_page=100`)) as ReadonlyArray<{ full_name: string }>
      const teams = (yield* rest(sim, `/orgs/${sim.org}/teams?per_page=100`)) as ReadonlyArray<{ slug: string }>
      const resources = yield* allPages<{ integration_specific_id: string }>(gh, "list_resources", (page) => request(sim, {}, { page }), 3)
      expect(resources.items.map((r) => r.integration_specific_id)).toEqual([
        ...repos.map((r) => r.full_name),
        ...teams.map((t) => `team:${t.slug}`)
      ])

      const entitlements = yield* ok<ReadonlyArray<{ integration_specific_id: string; integration_specific_resource_id: string }>>(
        gh,
        "list_entitlements",
        request(sim, {})
      )
      expect(entitlements.response.length).toBe(repos.length * 5 + teams.length)
      expect(
        entitlements.response.filter((e) => e.integration_specific_resource_id === repos[0]!.full_name).map((e) => e.integration_specific_id)
      ).toEqual(["pull", "triage", "push", "maintain", "admin"])

      // associations are the permission snapshots' data, all of them or one account's
      const truth = yield* sim.truthGrants
      const found = yield* ok<ReadonlyArray<Assoc>>(gh, "find_entitlement_associations", request(sim, {}))
      expect(found.response.map(key).sort()).toEqual(truth.map(truthKey).sort())
      const who = truth[0]!.principal_ref
      const held = yield* ok<ReadonlyArray<Assoc>>(gh, "get_account_entitlement_associations", request(sim, { account_id: who }))
      expect(held.response.map(key).sort()).toEqual(truth.filter((g) => g.principal_ref === who).map(truthKey).sort())

      // activity: the newest audit event of each requested account; records since a date, actor by actor
      const events = yield* sim.truthEvents
      const newest = new Map<string, string>()
      for (const e of events) {
        const actor = e.principal_ref.toLowerCase()
        if ((newest.get(actor) ?? "") < e.occurred_at) newest.set(actor, e.occurred_at)
      }
      const someone = [...newest.keys()][0]!
      const activity = yield* ok<ReadonlyArray<{ account_id: string; happened_at: string }>>(
        gh,
        "get_last_activity",
        request(sim, { account_ids: [someone, "nobody-at-all"] })
      )
      expect(activity.response.map((a) => [a.account_id, Date.parse(a.happened_at)])).toEqual([[someone, Date.parse(newest.get(someone)!)]])

      const sorted = [...events].sort((a, b) => (a.occurred_at < b.occurred_at ? -1 : 1))
      const since = sorted[Math.floor(sorted.length / 3)]!.occurred_at
      const expected = events.filter((e) => e.principal_ref.toLowerCase() === someone && e.occurred_at >= since)
      const records = yield* allPages<{ actor: { account_id: string }; timestamp: string }>(
        gh,
        "list_activity_records",
        (page) => request(sim, { since_date: since, actors: [{ account_id: someone }] }, { page }),
        2
      )
      expect(records.items.map((r) => Date.parse(r.timestamp)).sort()).toEqual(expected.map((e) => Date.parse(e.occurred_at)).sort())
      expect(new Set(records.items.map((r) => r.actor.account_id.toLowerCase()))).toEqual(new Set(expected.length > 0 ? [someone] : []))
    }).pipe(Effect.scoped, Effect.provide(services)), 60_000)

  it.live("assign and unassign a repository permission through the collaborators API", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator(options)
      const repos = (yield* rest(sim, `/orgs/${sim.org}/repos?per_page=100`)) as ReadonlyArray<{ full_name: string }>
      const repo = repos[0]!.full_name
      const grant = {
        account_integration_specific_id: "new-contractor",
        resource_integration_specific_id: repo,
        resource_type: "repository",
        entitlement_type: "repository_permission",
        entitlement_integration_specific_id: "triage"
      }
      const assigned = yield* ok(gh, "assign_entitlement", request(sim, grant))
      expect(assigned.response).toEqual({ assigned: true })
      // someone outside the org is invited: no access until they accept, as on GitHub
      expect((yield* sim.truthGrants).filter((g) => g.principal_ref.toLowerCase() === "new-contractor")).toEqual([])
      for (const invitation of yield* sim.pendingInvitations) yield* sim.acceptInvitation(invitation.id)
      const held = (yield* sim.truthGrants).filter((g) => g.principal_ref.toLowerCase() === "new-contractor")
      // a level implies the ones below it (snapshots list each): triage brings pull
      expect(held.map((g) => [g.asset_ref, g.privilege, g.grant_mechanism]).sort()).toEqual([[repo, "PULL", "direct"], [repo, "TRIAGE", "direct"]])
      const found = yield* ok<ReadonlyArray<Assoc>>(gh, "get_account_entitlement_associations", request(sim, { account_id: "new-contractor" }))
      expect(found.response.map(key).sort()).toEqual([`new-contractor ${repo} pull`, `new-contractor ${repo} triage`])

      const unassigned = yield* ok(gh, "unassign_entitlement", request(sim, grant))
      expect(unassigned.response).toEqual({ unassigned: true })
      expect((yield* sim.truthGrants).filter((g) => g.principal_ref.toLowerCase() === "new-contractor")).toEqual([])

      const teamGrant = yield* failed(
        gh,
        "assign_entitlement",
        request(sim, { ...grant, entitlement_integration_specific_id: "member", resource_integration_specific_id: "team:x" })
      )
      expect(teamGrant).toMatchObject({ error_code: "unsupported_operation", raised_by: "UnsupportedEntitlement" })
    }).pipe(Effect.scoped, Effect.provide(services)), 60_000)

  it.live("account lifecycle as org membership: invite (pending until accepted), role, removal, withdrawal", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator(options)
      const startedAt = Date.now()
      const outsiders = ((yield* rest(sim, `/orgs/${sim.org}/outside_collaborators`)) as ReadonlyArray<{ login: string }>).map((u) => u.login)
      const [joiner, invitee] = outsiders as [string, string]
      const admins = () => Effect.map(rest(sim, `/orgs/${sim.org}/members?role=admin&per_page=100`), (l) => (l as ReadonlyArray<{ login: string }>).map((u) => u.login))

      // an invitation by login: PENDING, no membership until the invitee accepts
      const created = yield* ok(gh, "create_account", request(sim, { username: joiner }))
      expect(created.response).toEqual({ id: joiner, status: "PENDING", created: true })
      expect((yield* sim.pendingInvitations).filter((i) => i.login === joiner)).toMatchObject([{ role: "member" }])
      expect((yield* ok(gh, "get_account", request(sim, { account_id: joiner }))).response).toMatchObject({ integration_specific_id: joiner, user_status: "PENDING" })
      const listed = yield* ok<ReadonlyArray<{ integration_specific_id: string; user_status: string }>>(gh, "list_accounts", request(sim, {}))
      expect(listed.response.filter((a) => a.user_status === "PENDING").map((a) => a.integration_specific_id)).toEqual([joiner])
      // two at a time across members and invitations: nothing lost, nothing twice
      const paged = yield* allPages<{ integration_specific_id: string }>(gh, "list_accounts", (page) => request(sim, {}, { page }), 2)
      expect(paged.items.map((a) => a.integration_specific_id)).toEqual(listed.response.map((a) => a.integration_specific_id))
      expect(yield* failed(gh, "create_account", request(sim, { username: joiner }))).toMatchObject({ error_code: "api_error", status_code: 422 })
      expect(yield* failed(gh, "create_account", request(sim, { username: "no-such-person" }))).toMatchObject({ error_code: "not_found" })

      // accepted: a member, whose org role update_account changes
      const pending = (yield* sim.pendingInvitations).find((i) => i.login === joiner)!
      expect(yield* sim.acceptInvitation(pending.id)).toBe(true)
      expect((yield* ok(gh, "get_account", request(sim, { account_id: joiner }))).response).toMatchObject({ user_status: "ACTIVE" })
      const promoted = yield* ok(gh, "update_account", request(sim, { id: joiner, custom_attributes: { org_role: "admin" } }))
      expect(promoted.response).toEqual({ id: joiner })
      expect(yield* admins()).toContain(joiner)
      // read back as the custom attribute, when asked for (and only then)
      const roleOf = yield* ok<{ custom_attributes: unknown }>(gh, "get_account", request(sim, { account_id: joiner, custom_attributes: ["org_role"] }))
      expect(roleOf.response.custom_attributes).toEqual({ org_role: "admin" })
      expect((yield* ok<{ custom_attributes: unknown }>(gh, "get_account", request(sim, { account_id: joiner }))).response.custom_attributes).toBeNull()
      const everyone = yield* ok<ReadonlyArray<{ integration_specific_id: string; custom_attributes: { org_role: string } }>>(
        gh,
        "list_accounts",
        request(sim, { custom_attributes: ["org_role"] })
      )
      expect(everyone.response.filter((a) => a.custom_attributes.org_role === "admin").map((a) => a.integration_specific_id).sort())
        .toEqual([...(yield* admins())].sort())
      yield* ok(gh, "update_account", request(sim, { id: joiner, custom_attributes: { org_role: "member" } }))
      expect(yield* admins()).not.toContain(joiner)
      expect(yield* failed(gh, "update_account", request(sim, { id: joiner, given_name: "Joe" }))).toMatchObject({ error_code: "unsupported_operation" })
      expect(yield* failed(gh, "update_account", request(sim, { id: joiner, custom_attributes: { org_role: "owner" } }))).toMatchObject({ error_code: "invalid_value" })
      expect(yield* failed(gh, "update_account", request(sim, { id: "no-such-person", custom_attributes: { org_role: "member" } }))).toMatchObject({ error_code: "not_found" })

      // removed: no longer a member, nor anyone's grant
      expect((yield* ok(gh, "delete_account", request(sim, { account_id: joiner }))).response).toEqual({ status: "DELETED", deleted: true })
      expect(yield* failed(gh, "get_account", request(sim, { account_id: joiner }))).toMatchObject({ error_code: "not_found" })
      expect((yield* sim.truthGrants).filter((g) => g.principal_ref === joiner)).toEqual([])

      // a pending invitation withdrawn, named by login or (an invitation by email) by its id
      yield* ok(gh, "create_account", request(sim, { username: invitee }))
      yield* ok(gh, "delete_account", request(sim, { account_id: invitee }))
      // (an address built from parts: a literal one reads as an obfuscated link in some viewers)
      const address = ["new.person", "example.com"].join("@")
      const byEmail = yield* ok<{ id: string }>(gh, "create_account", request(sim, { email: address, given_name: "New" }))
      expect(byEmail.response.id).toMatch(/^invitation:\d+$/)
      expect((yield* sim.pendingInvitations).map((i) => i.email)).toContain(address)
      yield* ok(gh, "delete_account", request(sim, { account_id: byEmail.response.id }))
      expect(yield* sim.pendingInvitations).toEqual([])
      // one by email, accepted: the invitee joins under a login of their own
      const accepted = yield* ok<{ id: string }>(gh, "create_account", request(sim, { email: address }))
      expect(yield* sim.acceptInvitation(Number(accepted.response.id.replace("invitation:", "")))).toBe(true)
      expect((yield* ok(gh, "get_account", request(sim, { account_id: "new-person" }))).response).toMatchObject({ user_status: "ACTIVE" })
      yield* ok(gh, "delete_account", request(sim, { account_id: "new-person" }))
      expect(yield* failed(gh, "delete_account", request(sim, { account_id: byEmail.response.id }))).toMatchObject({ error_code: "not_found" })

      // every membership change since the start, each account as it stands now; then nothing new past the cursor
      const updated = yield* ok<{ accounts: ReadonlyArray<{ integration_specific_id: string; user_status: string }>; cursor: string }>(
        gh,
        "list_updated_accounts",
        request(sim, { since: new Date(startedAt).toISOString() })
      )
      expect(updated.response.accounts.map((a) => [a.integration_specific_id, a.user_status]).sort())
        .toEqual([[invitee, "DELETED"], [joiner, "DELETED"], ["new-person", "DELETED"]].sort())
      yield* ok(gh, "create_account", request(sim, { username: invitee }))
      const next = yield* ok<{ accounts: ReadonlyArray<{ integration_specific_id: string; user_status: string }> }>(
        gh,
        "list_updated_accounts",
        request(sim, { cursor: updated.response.cursor })
      )
      expect(next.response.accounts.filter((a) => a.user_status !== "DELETED").map((a) => [a.integration_specific_id, a.user_status])).toEqual([[invitee, "PENDING"]])
      expect(yield* failed(gh, "list_updated_accounts", request(sim, { cursor: "not-a-cursor" }))).toMatchObject({ error_code: "invalid_value" })

      const schema = yield* ok(gh, "list_custom_attributes_schema", request(sim, {}))
      expect(schema.response).toMatchObject([{ customized_type: "account", name: "org_role", attribute_type: "string" }])
    }).pipe(Effect.scoped, Effect.provide(services)), 60_000)

  it.scoped("suspension is not an organization's to do (not_implemented, as the SDK answers an unregistered capability); info", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator(options)
      for (const capability of ["activate_account", "deactivate_account", "list_expenses", "get_data_recency"]) {
        const error = yield* failed(gh, capability, request(sim, { account_id: "a" }))
        expect(error).toMatchObject({ error_code: "not_implemented", app_id: "github" })
      }

      const definition = yield* lookup("github")
      expect(definition.capabilities).toBe(GitHubIntegration)
      expect(gh.capabilities).toEqual([
        "app_info",
        "assign_entitlement",
        "create_account",
        "delete_account",
        "find_entitlement_associations",
        "get_account",
        "get_account_entitlement_associations",
        "get_last_activity",
        "list_accounts",
        "list_activity_records",
        "list_custom_attributes_schema",
        "list_entitlements",
        "list_resources",
        "list_updated_accounts",
        "unassign_entitlement",
        "update_account",
        "validate_credentials"
      ])
      const info = yield* ok<{ request_settings_schema: unknown; capabilities: unknown }>(gh, "info", {})
      const settings = info.response.request_settings_schema as { $ref?: string; $defs?: Record<string, unknown> }
      expect(settings.$ref === undefined ? settings : settings.$defs?.[settings.$ref.replace("#/$defs/", "")]).toMatchObject({
        type: "object",
        required: ["org"],
        properties: { org: { type: "string", description: "The GitHub organization's login" }, api_url: { type: "string" } }
      })
    }).pipe(Effect.provide(services)), 60_000)
})
