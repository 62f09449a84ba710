/** The simulator's documented GitHub shapes, over real HTTP (what any client, not only ours, would see). */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { startGitHubSimulator } from "../../../../src/platforms/github/simulator/Server.js"
import { spawnCli } from "../../../support/Cli.js"

const call = (url: string, token: string | undefined, init: { method?: "GET" | "PUT" | "DELETE" | "POST"; body?: unknown; etag?: string } = {}) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    let request = init.method === "PUT"
      ? HttpClientRequest.put(url)
      : init.method === "DELETE"
      ? HttpClientRequest.del(url)
      : init.method === "POST"
      ? HttpClientRequest.post(url)
      : HttpClientRequest.get(url)
    if (token) request = HttpClientRequest.bearerToken(request, token)
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

  it.live("PUT adds a collaborator (201 invitation, or 204 for an existing one), DELETE removes it, and the truth follows", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 3, members: 4, teams: 1, seed: 3, basePermission: "none" })
      const url = `${sim.url}/repos/acme-corp/backend/collaborators/newbie`
      const added = yield* call(url, sim.token, { method: "PUT", body: { permission: "maintain" } })
      expect(added.status).toBe(201)
      expect(added.json).toMatchObject({ invitee: { login: "newbie" }, permissions: "maintain" })
      const grants = (yield* sim.truthGrants).filter((g) => g.principal_ref === "newbie")
      expect(grants.map((g) => g.privilege).sort()).toEqual(["MAINTAIN", "PULL", "PUSH", "TRIAGE"])
      const collaborators = yield* call(`${sim.url}/repos/acme-corp/backend/collaborators?affiliation=direct`, sim.token)
      expect(collaborators.json).toEqual(expect.arrayContaining([
        expect.objectContaining({ login: "newbie", role_name: "maintain", permissions: { admin: false, maintain: true, push: true, triage: true, pull: true } })
      ]))
      expect((yield* call(url, sim.token, { method: "PUT", body: { permission: "pull" } })).status).toBe(204)
      expect((yield* call(url, sim.token, { method: "PUT", body: { permission: "owner" } })).status).toBe(422)
      expect((yield* call(url, sim.token, { method: "DELETE" })).status).toBe(204)
      expect((yield* sim.truthGrants).some((g) => g.principal_ref === "newbie")).toBe(false)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)))

  it.live("the audit log pages by `after` cursor (no last), filters by created phrase, and is deterministic from the seed", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 3, members: 4, teams: 1, events: 30, seed: 8 })
      const twin = yield* startGitHubSimulator({ repos: 3, members: 4, teams: 1, events: 30, seed: 8 })
      expect(yield* twin.truthEvents).toEqual(yield* sim.truthEvents)
      expect(yield* twin.truthGrants).toEqual(yield* sim.truthGrants)
      const page = yield* call(`${sim.url}/orgs/acme-corp/audit-log?order=asc&per_page=20`, sim.token)
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
