/** The simulator's documented GitHub shapes, over real HTTP (what any client, not only ours, would see). */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { startGitHubSimulator } from "../../../../src/platforms/github/simulator/Server.js"
import { spawnCli } from "../../../support/Cli.js"

const call = (url: string, token: string | undefined, init: { method?: "GET" | "PUT" | "PATCH" | "DELETE" | "POST"; body?: unknown; etag?: string; userAgent?: string } = {}) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    let request = init.method === "PUT"
      ? HttpClientRequest.put(url)
      : init.method === "DELETE"
      ? HttpClientRequest.del(url)
      : init.method === "POST"
      ? HttpClientRequest.post(url)
      : init.method === "PATCH"
      ? HttpClientRequest.patch(url)
      : HttpClientRequest.get(url)
    if (token) request = HttpClientRequest.bearerToken(request, token)
    if (init.userAgent !== "") request = HttpClientRequest.setHeader(request, "user-agent", init.userAgent ?? "verity-tests")
    if (init.etag) request = HttpClientRequest.setHeader(request, "if-none-match", init.etag)
    if (init.body !== undefined) request = yield* HttpClientRequest.bodyJson(request, init.body)
    const response = yield* client.execute(request)
    const text = yield* response.text
    return { status: response.status, headers: response.headers as Record<string, string | undefined>, json: text ? JSON.parse(text) as unknown : undefined }
  })

describe("GitHub simulator", () => {
  it.live("pages with Link next/last, 304 on If-None-Match without spending budget, 401 with GitHub's body", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 25, members: 5, teams: 1, seed: 1, rateLimit: { limit: 50, windowSeconds: 60 } })
      const first = yield* call(`${sim.url}/orgs/acme-corp/repos?per_page=10`, sim.token)
      expect(first.status).toBe(200)
      expect((first.json as ReadonlyArray<unknown>).length).toBe(10)
      expect(first.headers["link"]).toContain(`<${sim.url}/orgs/acme-corp/repos?per_page=10&page=2>; rel="next"`)
      expect(first.headers["link"]).toContain(`page=3>; rel="last"`)
      expect(first.headers["x-ratelimit-remaining"]).toBe("49")
      expect(first.headers["x-ratelimit-resource"]).toBe("core")
      const again = yield* call(`${sim.url}/orgs/acme-corp/repos?per_page=10`, sim.token, { etag: first.headers["etag"] ?? "" })
      expect(again.status).toBe(304)
      expect(again.headers["x-ratelimit-remaining"]).toBe("49")
      const last = yield* call(`${sim.url}/orgs/acme-corp/repos?per_page=10&page=3`, sim.token)
      expect((last.json as ReadonlyArray<unknown>).length).toBe(5)
      expect(last.headers["link"]).not.toContain(`rel="next"`)
      const denied = yield* call(`${sim.url}/orgs/acme-corp`, "wrong")
      expect(denied.status).toBe(401)
      expect(denied.json).toMatchObject({ message: "Bad credentials" })
      expect((yield* sim.stats).notModified).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)))

  it.live("a push moves the repository's pushed_at and updated_at, and so the ETags of the lists that carry it (the org's and its teams'); an unknown repository is 404", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 6, members: 5, teams: 2, seed: 4 })
      const teamRepos = (yield* call(`${sim.url}/orgs/acme-corp/teams`, sim.token)).json as ReadonlyArray<{ slug: string }>
      const lists = [`${sim.url}/orgs/acme-corp/repos`, ...teamRepos.map((t) => `${sim.url}/orgs/acme-corp/teams/${t.slug}/repos`)]
      const before = yield* Effect.forEach(lists, (url) => call(url, sim.token))
      const reached = (before[1]!.json as ReadonlyArray<{ name: string; pushed_at: string; updated_at: string }>)[0]!
      expect(reached.pushed_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
      expect((yield* call(`${sim.url}/_simulator/repos/${reached.name}/push`, undefined, { method: "POST" })).status).toBe(200)
      const after = yield* call(lists[1]!, sim.token, { etag: before[1]!.headers["etag"]! })
      expect(after.status).toBe(200)
      const moved = (after.json as ReadonlyArray<{ name: string; pushed_at: string; updated_at: string }>).find((r) => r.name === reached.name)!
      expect(Date.parse(moved.pushed_at)).toBeGreaterThan(Date.parse(reached.pushed_at))
      expect(moved.updated_at).toBe(moved.pushed_at)
      expect((yield* call(lists[0]!, sim.token, { etag: before[0]!.headers["etag"]! })).status).toBe(200)
      expect(yield* sim.push("no-such-repo")).toBe(false)
      expect((yield* call(`${sim.url}/_simulator/repos/no-such-repo/push`, undefined, { method: "POST" })).status).toBe(404)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)))

  it.live("the budget runs out with GitHub's 403, and GraphQL charges by GitHub's cost rule", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 150, members: 5, teams: 1, seed: 2, rateLimit: { limit: 3, windowSeconds: 60 } })
      for (let i = 0; i < 3; i++) expect((yield* call(`${sim.url}/orgs/acme-corp`, sim.token)).status).toBe(200)
      const spent = yield* call(`${sim.url}/orgs/acme-corp`, sim.token)
      expect(spent.status).toBe(403)
      expect(spent.headers["x-ratelimit-remaining"]).toBe("0")
      expect(String((spent.json as { message: string }).message)).toMatch(/^API rate limit exceeded for /)
      // 150 repos x collaborators(first: 100) in pages of 100 repos: 1 + 100 requests -> 1 point
      const query = `query { organization(login: "acme-corp") { repositories(first: 100) { nodes { name collaborators(first: 100) { totalCount } } } } rateLimit { cost remaining resetAt } }`
      const gql = yield* call(`${sim.url}/graphql`, sim.token, { method: "POST", body: { query } })
      expect(gql.status).toBe(200)
      expect((gql.json as { data: { rateLimit: { cost: number; remaining: number } } }).data.rateLimit).toMatchObject({ cost: 1, remaining: 2 })
      expect((gql.json as { data: { organization: { repositories: { nodes: ReadonlyArray<unknown> } } } }).data.organization.repositories.nodes.length).toBe(100)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)))

  it.live("writes as GitHub makes them: invitations stay pending until accepted, a role below the base permission is refused, and each write is in the audit log", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 3, members: 6, teams: 2, events: 5, seed: 3, basePermission: "read" })
      const api = (path: string, init: Parameters<typeof call>[2] = {}) => call(`${sim.url}${path}`, sim.token, init)
      const grantsOf = (login: string) =>
        Effect.map(sim.truthGrants, (all) => all.filter((g) => g.principal_ref === login).map((g) => `${g.asset_ref}:${g.privilege}:${g.grant_mechanism}`).sort())
      const actions = () =>
        Effect.map(api(`/orgs/acme-corp/audit-log?per_page=100`), (r) => (r.json as ReadonlyArray<Record<string, unknown>>))
      const teams = (yield* api(`/orgs/acme-corp/teams`)).json as ReadonlyArray<{ slug: string }>
      const slug = teams[0]!.slug
      yield* api(`/orgs/acme-corp/teams/${slug}/repos/acme-corp/backend`, { method: "DELETE" })
      const before = (yield* actions()).length

      // an outside collaborator: 201 with a pending invitation, no access until it is accepted
      const url = `/repos/acme-corp/backend/collaborators/newbie`
      const added = yield* api(url, { method: "PUT", body: { permission: "maintain" } })
      expect(added.status).toBe(201)
      expect(added.json).toMatchObject({ invitee: { login: "newbie" }, permissions: "maintain" })
      const invitationId = (added.json as { id: number }).id
      expect(yield* grantsOf("newbie")).toEqual([])
      const listed = yield* api(`/repos/acme-corp/backend/collaborators?affiliation=all`)
      expect((listed.json as ReadonlyArray<{ login: string }>).some((c) => c.login === "newbie")).toBe(false)
      expect(((yield* api(`/repos/acme-corp/backend/invitations`)).json as ReadonlyArray<{ id: number }>).map((i) => i.id)).toEqual([invitationId])
      expect((yield* call(`${sim.url}/_simulator/invitations/${invitationId}/accept`, undefined, { method: "POST" })).status).toBe(200)
      expect(yield* grantsOf("newbie")).toEqual(["acme-corp/backend:MAINTAIN:direct", "acme-corp/backend:PULL:direct", "acme-corp/backend:PUSH:direct", "acme-corp/backend:TRIAGE:direct"])
      const collaborators = yield* api(`/repos/acme-corp/backend/collaborators?affiliation=direct`)
      expect(collaborators.json).toEqual(expect.arrayContaining([
        expect.objectContaining({ login: "newbie", role_name: "maintain", permissions: { admin: false, maintain: true, push: true, triage: true, pull: true } })
      ]))
      expect(((yield* api(`/orgs/acme-corp/outside_collaborators`)).json as ReadonlyArray<{ login: string }>).map((u) => u.login)).toContain("newbie")
      // an existing collaborator: 204, the level changes; a role GitHub doesn't have: 422
      expect((yield* api(url, { method: "PUT", body: { permission: "pull" } })).status).toBe(204)
      expect(yield* grantsOf("newbie")).toEqual(["acme-corp/backend:PULL:direct"])
      expect((yield* api(url, { method: "PUT", body: { permission: "owner" } })).status).toBe(422)
      expect((yield* api(url, { method: "DELETE" })).status).toBe(204)
      expect(yield* grantsOf("newbie")).toEqual([])

      // a member below the base permission (read): 422; at or above it: 204 at once, no invitation
      const member = "alice"
      expect((yield* api(`/repos/acme-corp/backend/collaborators/${member}`, { method: "PUT", body: { permission: "pull" } })).status).toBe(204)
      yield* api(`/orgs/acme-corp`, { method: "PATCH", body: { default_repository_permission: "write" } })
      expect(((yield* api(`/orgs/acme-corp`)).json as { default_repository_permission: string }).default_repository_permission).toBe("write")
      const below = yield* api(`/repos/acme-corp/backend/collaborators/${member}`, { method: "PUT", body: { permission: "triage" } })
      expect(below.status).toBe(422)
      expect((yield* api(`/repos/acme-corp/backend/collaborators/${member}`, { method: "PUT", body: { permission: "admin" } })).status).toBe(204)
      expect(yield* grantsOf(member)).toContain("acme-corp/backend:ADMIN:direct")

      // teams: a member joins, the team gets a repository, then both go
      const outsider = "carol-outsider"
      const joined = yield* api(`/orgs/acme-corp/teams/${slug}/memberships/${outsider}`, { method: "PUT", body: { role: "member" } })
      expect(joined.json).toMatchObject({ state: "pending", role: "member" })
      const orgInvite = (yield* sim.pendingInvitations).find((i) => i.login === outsider)
      expect(orgInvite).toMatchObject({ role: "member" })
      expect(yield* sim.acceptInvitation(orgInvite!.id)).toBe(true)
      const teamMembers = (yield* api(`/orgs/acme-corp/teams/${slug}/members`)).json as ReadonlyArray<{ login: string }>
      expect(teamMembers.map((m) => m.login)).toContain(outsider)
      expect((yield* api(`/orgs/acme-corp/teams/${slug}/repos/acme-corp/backend`, { method: "PUT", body: { permission: "maintain" } })).status).toBe(204)
      expect(yield* grantsOf(outsider)).toContain("acme-corp/backend:MAINTAIN:group")
      expect((yield* api(`/orgs/acme-corp/teams/${slug}/repos/acme-corp/backend`, { method: "DELETE" })).status).toBe(204)
      expect((yield* api(`/orgs/acme-corp/teams/${slug}/memberships/${outsider}`, { method: "DELETE" })).status).toBe(204)
      // org role: owner, then removed from the org
      expect((yield* api(`/orgs/acme-corp/memberships/${outsider}`, { method: "PUT", body: { role: "admin" } })).json).toMatchObject({ state: "active", role: "admin" })
      expect((yield* grantsOf(outsider)).filter((g) => g.endsWith(":ADMIN:role")).length).toBe(3)
      expect((yield* api(`/orgs/acme-corp/memberships/${outsider}`, { method: "DELETE" })).status).toBe(204)
      expect(yield* grantsOf(outsider)).toEqual([])

      // every write is in the audit log, with GitHub's action names, and in the truth
      const entries = (yield* actions()).slice(0, (yield* actions()).length - before)
      expect(entries.map((e) => e["action"]).reverse()).toEqual([
        "repository_invitation.create",
        "repository_invitation.accept",
        "repo.add_member",
        "repo.update_member",
        "repo.remove_member",
        "repo.add_member",
        "org.update_default_repository_permission",
        "repo.update_member",
        "org.invite_member",
        "org.add_member",
        "team.add_member",
        "team.add_repository",
        "team.remove_repository",
        "team.remove_member",
        "org.update_member",
        "org.remove_member"
      ])
      expect(entries.at(-1)).toMatchObject({ action: "repository_invitation.create", repo: "acme-corp/backend", user: "newbie", permission: "maintain", org: "acme-corp" })
      expect(entries.find((e) => e["action"] === "org.update_default_repository_permission")).toMatchObject({ permission: "write", old_permission: "read" })
      expect(entries.find((e) => e["action"] === "team.add_repository")).toMatchObject({ team: `acme-corp/${slug}`, repo: "acme-corp/backend", permission: "maintain" })
      const truthIds = new Set((yield* sim.truthEvents).map((e) => e.event_id))
      expect(entries.every((e) => truthIds.has(String(e["_document_id"])))).toBe(true)
      // event dates follow the clock: the seeded history ends today, the writes are stamped now
      const newest = Number(entries[0]!["@timestamp"])
      expect(Math.abs(newest - Date.now())).toBeLessThan(60_000)
      const oldest = (yield* sim.truthEvents)[0]!
      expect(Date.now() - Date.parse(oldest.occurred_at)).toBeLessThan(2 * 86_400_000)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)))

  it.live("org invitations as GitHub answers them: by invitee_id or email (exactly one), 422 for a member or a second invitation; a membership reads pending, then active once accepted; withdrawn or removed with 204", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 1, members: 3, teams: 1, outsideCollaborators: 1, events: 2, seed: 4 })
      const api = (path: string, init: Parameters<typeof call>[2] = {}) => call(`${sim.url}${path}`, sim.token, init)
      const outsider = ((yield* api(`/orgs/acme-corp/outside_collaborators`)).json as ReadonlyArray<{ login: string }>)[0]!.login
      const user = (yield* api(`/users/${outsider}`)).json as { id: number; login: string }
      expect(user.login).toBe(outsider)
      expect((yield* api(`/users/no-such-user`)).status).toBe(404)
      const invite = (body: unknown) => api(`/orgs/acme-corp/invitations`, { method: "POST", body })
      const address = ["someone", "example.com"].join("@")

      expect((yield* invite({})).status).toBe(422)
      expect((yield* invite({ invitee_id: user.id, email: address })).status).toBe(422)
      expect((yield* invite({ invitee_id: 999_999 })).status).toBe(422)
      expect((yield* invite({ invitee_id: user.id, role: "billing_manager" })).status).toBe(422)
      const alice = (yield* api(`/users/alice`)).json as { id: number }
      expect((yield* invite({ invitee_id: alice.id })).json).toMatchObject({ message: "Validation Failed" })

      const invited = yield* invite({ invitee_id: user.id })
      expect(invited).toMatchObject({ status: 201, json: { login: outsider, email: null, role: "direct_member" } })
      expect((yield* invite({ invitee_id: user.id })).status).toBe(422)
      expect((yield* api(`/orgs/acme-corp/memberships/${outsider}`)).json).toMatchObject({ state: "pending", role: "member" })
      const byEmail = yield* invite({ email: address, role: "admin" })
      expect(byEmail).toMatchObject({ status: 201, json: { login: null, email: address, role: "admin" } })

      // withdrawn: gone from the list, a second withdrawal is 404
      const emailId = (byEmail.json as { id: number }).id
      expect((yield* api(`/orgs/acme-corp/invitations/${emailId}`, { method: "DELETE" })).status).toBe(204)
      expect((yield* api(`/orgs/acme-corp/invitations/${emailId}`, { method: "DELETE" })).status).toBe(404)
      expect(((yield* api(`/orgs/acme-corp/invitations`)).json as ReadonlyArray<{ login: string | null }>).map((i) => i.login)).toEqual([outsider])

      // accepted: an active member; removed: no membership at all
      expect(yield* sim.acceptInvitation((invited.json as { id: number }).id)).toBe(true)
      expect((yield* api(`/orgs/acme-corp/memberships/${outsider}`)).json).toMatchObject({ state: "active", role: "member" })
      expect((yield* api(`/orgs/acme-corp/members/${outsider}`, { method: "DELETE" })).status).toBe(204)
      expect((yield* api(`/orgs/acme-corp/memberships/${outsider}`)).status).toBe(404)
      const log = (yield* api(`/orgs/acme-corp/audit-log?per_page=100`)).json as ReadonlyArray<{ action: string }>
      expect(log.map((e) => e.action).slice(0, 5)).toEqual(["org.remove_member", "org.add_member", "org.cancel_invitation", "org.invite_member", "org.invite_member"])
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)))

  it.live("live mode adds audit events and access changes while it runs, seen over HTTP in the truth and the audit log", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 6, members: 10, teams: 3, events: 3, seed: 5, live: { eventsPerSec: 40, changesPerMin: 1200 } })
      const truthGrants = () => Effect.map(call(`${sim.url}/_simulator/truth/grants`, undefined), (r) => r.json as ReadonlyArray<Record<string, string>>)
      const key = (g: Record<string, string>) => `${g["principal_ref"]}|${g["asset_ref"]}|${g["privilege"]}|${g["grant_mechanism"]}`
      const first = new Set((yield* truthGrants()).map(key))
      yield* Effect.sleep("1500 millis")
      const live = (yield* call(`${sim.url}/_simulator/live`, undefined)).json as { events: number; changes: number }
      expect(live.events).toBeGreaterThanOrEqual(30)
      expect(live.changes).toBeGreaterThanOrEqual(15)
      const second = new Set((yield* truthGrants()).map(key))
      expect([...second].some((k) => !first.has(k))).toBe(true)
      expect([...first].some((k) => !second.has(k))).toBe(true)
      const log = (yield* call(`${sim.url}/orgs/acme-corp/audit-log?per_page=100`, sim.token)).json as ReadonlyArray<Record<string, unknown>>
      const writeActions = new Set(["repo.add_member", "repo.update_member", "repo.remove_member", "team.add_repository", "team.update_repository_permission", "team.remove_repository", "team.add_member", "team.remove_member", "repository_invitation.accept"])
      const recent = log.filter((e) => Number(e["@timestamp"]) >= Date.now() - 5_000)
      expect(recent.length).toBeGreaterThanOrEqual(30)
      expect(recent.some((e) => writeActions.has(String(e["action"])))).toBe(true)

      // stopped, the truth holds still: a quiesce point a test can compare against
      yield* sim.stopLive
      const [events, grants] = [(yield* sim.truthEvents).length, yield* truthGrants()]
      yield* Effect.sleep("300 millis")
      expect((yield* sim.truthEvents).length).toBe(events)
      expect(yield* truthGrants()).toEqual(grants)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)))

  it.live("live mode's changes also move the base permission and org membership (owners made and unmade, people joining and leaving)", () =>
    Effect.gen(function*() {
      // the changes made at start are live mode's own (the same function, the same writes)
      const sim = yield* startGitHubSimulator({ repos: 6, members: 10, teams: 3, events: 0, seed: 5, changesAtStart: 150 })
      const operations = new Set((yield* sim.truthEvents).map((e) => e.operation))
      expect(["org.update_default_repository_permission", "org.invite_member", "org.add_member", "org.remove_member", "org.update_member"]
        .filter((op) => !operations.has(op))).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)))

  it.live("writes are held to GitHub's content-creation limit (80 a minute by default) across endpoints; reads are not", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 3, members: 6, teams: 2, events: 0, seed: 4, secondaryLimits: { contentCreation: 4 } })
      const slug = ((yield* call(`${sim.url}/orgs/acme-corp/teams`, sim.token)).json as ReadonlyArray<{ slug: string }>)[0]?.slug ?? ""
      const statuses: Array<number> = []
      for (let i = 0; i < 3; i++) {
        statuses.push((yield* call(`${sim.url}/orgs/acme-corp/teams/${slug}/repos/acme-corp/backend`, sim.token, { method: "PUT", body: { permission: i % 2 ? "pull" : "push" } })).status)
        statuses.push((yield* call(`${sim.url}/orgs/acme-corp`, sim.token, { method: "PATCH", body: { default_repository_permission: i % 2 ? "read" : "none" } })).status)
      }
      expect(statuses).toEqual([204, 200, 204, 200, 403, 403])
      const refused = yield* call(`${sim.url}/orgs/acme-corp`, sim.token, { method: "PATCH", body: { default_repository_permission: "read" } })
      expect(String((refused.json as { message: string }).message)).toContain("secondary rate limit")
      expect(refused.headers["retry-after"]).toBe("1")
      expect((yield* call(`${sim.url}/orgs/acme-corp`, sim.token)).status).toBe(200)
      expect((yield* sim.stats).secondaryLimitedResponses).toBe(3)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)))

  it.live("its counters, over HTTP, say the secondary-limit points each endpoint was charged (refused requests not) and the limits enforced", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 3, members: 6, teams: 1, events: 0, seed: 4, secondaryLimits: { restPointsPerEndpoint: 6, windowSeconds: 60 } })
      const statuses: Array<number> = []
      for (let i = 0; i < 7; i++) statuses.push((yield* call(`${sim.url}/repos/acme-corp/${i % 2 ? "backend" : "BACKEND"}/collaborators`, sim.token)).status)
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 403])
      expect((yield* call(`${sim.url}/orgs/acme-corp`, sim.token, { method: "PATCH", body: { default_repository_permission: "read" } })).status).toBe(200)
      expect((yield* call(`${sim.url}/graphql`, sim.token, { method: "POST", body: { query: "query { rateLimit { cost remaining resetAt } }" } })).status).toBe(200)
      const stats = yield* Effect.promise(() => fetch(`${sim.url}/_simulator/stats`).then((r) => r.json() as Promise<Record<string, unknown>>))
      expect(stats["secondaryPointsByEndpoint"]).toEqual({ "GET /repos/{owner}/{repo}/collaborators": 6, "PATCH /orgs/{}": 5, "POST /graphql": 1 })
      expect(stats["secondaryLimits"]).toEqual({ restPointsPerEndpoint: 6, graphqlPoints: 2000, windowSeconds: 60 })
      yield* sim.resetStats
      expect((yield* sim.stats).secondaryPointsByEndpoint).toEqual({})
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)))

  it.live("the audit log pages by `after` cursor (no last), filters by created phrase, and is deterministic from the seed", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 3, members: 4, teams: 1, events: 30, seed: 8 })
      const twin = yield* startGitHubSimulator({ repos: 3, members: 4, teams: 1, events: 30, seed: 8 })
      expect(yield* twin.truthEvents).toEqual(yield* sim.truthEvents)
      expect(yield* twin.truthGrants).toEqual(yield* sim.truthGrants)
      const page = yield* call(`${sim.url}/orgs/acme-corp/audit-log?order=asc&per_page=20&include=all`, sim.token)
      const link = page.headers["link"] ?? ""
      expect(link).toMatch(/after=[^&>]+&before=>; rel="next"/)
      expect(link).not.toContain(`rel="last"`)
      const next = /<([^>]+)>/.exec(link)?.[1] ?? ""
      const rest = yield* call(next, sim.token)
      const ids = [...(page.json as ReadonlyArray<{ _document_id: string }>), ...(rest.json as ReadonlyArray<{ _document_id: string }>)]
        .map((e) => e._document_id)
      expect(ids).toEqual((yield* sim.truthEvents).map((e) => e.event_id))
      const truth = yield* sim.truthEvents
      const cut = truth[10]?.occurred_at ?? ""
      const since = yield* call(`${sim.url}/orgs/acme-corp/audit-log?order=asc&per_page=100&phrase=${encodeURIComponent(`created:>=${cut}`)}`, sim.token)
      const sinceIds = (since.json as ReadonlyArray<{ _document_id: string; "@timestamp": number }>)
      expect(sinceIds.every((e) => e["@timestamp"] >= Math.floor(Date.parse(cut) / 1000) * 1000 - 0)).toBe(true)
      expect(sinceIds.map((e) => e._document_id)).toEqual(expect.arrayContaining(truth.slice(10).map((e) => e.event_id)))
      const off = yield* startGitHubSimulator({ auditLogEnabled: false, repos: 1, members: 1, teams: 0 })
      expect((yield* call(`${off.url}/orgs/acme-corp/audit-log`, off.token)).status).toBe(404)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)))

  it.live("the audit log's rules: its own 1,750/h budget, User-Agent required, web events unless `include` says otherwise, three months without `created`, `before` cursors", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 3, members: 4, teams: 1, events: 90, seed: 9 })
      const log = (query: string) => call(`${sim.url}/orgs/acme-corp/audit-log?${query}`, sim.token)
      const actionsOf = (r: { json: unknown }) => (r.json as ReadonlyArray<{ action: string }>).map((e) => e.action)
      const noAgent = yield* call(`${sim.url}/orgs/acme-corp`, sim.token, { userAgent: "" })
      expect(noAgent.status).toBe(403)
      expect(String((noAgent.json as { message: string }).message)).toContain("User-Agent")
      const web = yield* log("per_page=100&order=asc")
      // the audit log spends its own budget: 1,750 queries an hour
      expect([web.headers["x-ratelimit-resource"], web.headers["x-ratelimit-limit"]]).toEqual(["audit_log", "1750"])
      expect((yield* call(`${sim.url}/orgs/acme-corp`, sim.token)).headers["x-ratelimit-limit"]).toBe("5000")
      const all = yield* log("per_page=100&order=asc&include=all")
      const git = yield* log("per_page=100&order=asc&include=git")
      expect(actionsOf(web).some((a) => a.startsWith("git."))).toBe(false)
      expect(actionsOf(git).length).toBeGreaterThan(0)
      expect(actionsOf(git).every((a) => a.startsWith("git."))).toBe(true)
      expect(actionsOf(all).length).toBe(actionsOf(web).length + actionsOf(git).length)
      expect(actionsOf(all).length).toBe((yield* sim.truthEvents).length)
      // `before` walks back: page 2's prev link gives page 1 again
      const page1 = yield* log("per_page=50&include=all")
      const page2 = yield* call(/<([^>]+)>; rel="next"/.exec(page1.headers["link"] ?? "")?.[1] ?? "", sim.token)
      const prev = /<([^>]+)>; rel="prev"/.exec(page2.headers["link"] ?? "")?.[1] ?? ""
      expect(new URL(prev).searchParams.get("before")).not.toBe("")
      expect((yield* call(prev, sim.token)).json).toEqual(page1.json)

      // an org whose history ended 100 days ago: nothing without `created`, everything but Git events (7 days) with it
      const old = yield* startGitHubSimulator({ repos: 3, members: 4, teams: 1, events: 60, seed: 9, historyEndsAt: Date.now() - 100 * 86_400_000 })
      const oldLog = (query: string) => call(`${old.url}/orgs/acme-corp/audit-log?${query}`, old.token)
      expect(actionsOf(yield* oldLog("per_page=100&include=all"))).toEqual([])
      const since = encodeURIComponent(`created:>=${new Date(Date.now() - 150 * 86_400_000).toISOString()}`)
      const kept = actionsOf(yield* oldLog(`per_page=100&include=all&phrase=${since}`))
      expect(kept.length).toBeGreaterThan(40)
      expect(kept.some((a) => a.startsWith("git."))).toBe(false)
      // a client with default settings (from 90 days back) gets none of it: the truth says so
      expect(yield* old.truthEvents).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)))

  it.live("`simulate github` serves the same org from the same seed and prints its URL and token", () =>
    Effect.gen(function*() {
      const child = spawnCli(["simulate", "github", "--port", "0", "--repos", "4", "--members", "5", "--teams", "2", "--events", "12", "--seed", "77", "--token", "ghp_cli_token"])
      yield* Effect.addFinalizer(() => Effect.sync(() => child.kill("SIGTERM")))
      const output = yield* Effect.async<string>((resume) => {
        let seen = ""
        const onData = (d: Buffer) => {
          seen += d.toString("utf8")
          if (/VERITY_GITHUB_TOKEN=\S+/.test(seen) && /listening on http:\/\/127\.0\.0\.1:\d+/.test(seen)) resume(Effect.succeed(seen))
        }
        child.stdout?.on("data", onData)
        child.stderr?.on("data", onData)
        child.on("exit", () => resume(Effect.succeed(seen)))
      }).pipe(Effect.timeout("45 seconds"))
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? ""
      expect(url).not.toBe("")
      expect(output).toContain("VERITY_GITHUB_TOKEN=ghp_cli_token")
      const inProcess = yield* startGitHubSimulator({ repos: 4, members: 5, teams: 2, events: 12, seed: 77 })
      const grants = yield* call(`${url}/_simulator/truth/grants`, undefined)
      expect(grants.json).toEqual(yield* inProcess.truthGrants)
      const events = yield* call(`${url}/_simulator/truth/events`, undefined)
      expect(events.json).toEqual(yield* inProcess.truthEvents)
      expect((yield* call(`${url}/orgs/acme-corp`, "ghp_cli_token")).status).toBe(200)
      expect((yield* call(`${url}/orgs/acme-corp`, inProcess.token)).status).toBe(401)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)), 60_000)
})
