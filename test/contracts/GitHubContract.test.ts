/**
 * The GitHub simulator held to GitHub's published contract (contracts/github/, see SOURCE.md there): the real
 * connector and capabilities run against ONE simulator through a recording proxy, and every answer the
 * simulator sends is validated against GitHub's OpenAPI description (ajv), every GraphQL document the
 * connector sends against GitHub's GraphQL schema (`validate()`), and every GraphQL answer is replayed through
 * GitHub's schema; every authenticated answer carries GitHub's `x-ratelimit-*` headers naming its budget (core,
 * graphql, audit_log). GitHub's own example responses run through the connector's decoders. The end of the
 * first test proves the checks fail when a field is wrong, or when a request has no User-Agent.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Layer, Option, Redacted, Schema, Stream } from "effect"
import { generateKeyPairSync, sign } from "node:crypto"
import { request as httpRequest } from "node:http"
import { makeConnectorId } from "../../src/domain/Ids.js"
import { decodeAuditEntry } from "../../src/platforms/github/AuditLog.js"
import { GitHubIntegration } from "../../src/platforms/github/capabilities/Integration.js"
import { makeGitHubConnector } from "../../src/platforms/github/Connector.js"
import { Collaborator, Member, Organization, Repository, Team } from "../../src/platforms/github/Payloads.js"
import { startGitHubSimulator } from "../../src/platforms/github/simulator/Server.js"
import { runPermissions } from "../../src/pipeline/Pipeline.js"
import { RateLimiter } from "../../src/sdk/RateLimiter.js"
import { loadGitHubContract } from "../support/GitHubContract.js"
import { loadGitHubGraphQLSchema, replayAnswer, validateDocument } from "../support/GitHubGraphQLContract.js"
import { connectorFor, fastOptions, pipelineOptions, runtimeLayer } from "../support/GitHub.js"
import { type Exchange, startRecordingProxy } from "../support/RecordingProxy.js"

const contract = loadGitHubContract()
const graphqlSchema = loadGitHubGraphQLSchema()

/** raw requests this file sends itself (to provoke answers the connector cannot): not connector documents */
const probeHeader = "x-contract-probe"

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

/** A GraphQL error as the GraphQL spec and GitHub give it: a message, and where it happened. */
const isGraphQLError = (e: unknown): boolean =>
  isRecord(e) && typeof e["message"] === "string" &&
  (e["type"] === undefined || typeof e["type"] === "string") &&
  (e["path"] === undefined || (Array.isArray(e["path"]) && e["path"].every((p) => typeof p === "string" || Number.isInteger(p)))) &&
  (e["locations"] === undefined ||
    (Array.isArray(e["locations"]) && e["locations"].every((l) => isRecord(l) && Number.isInteger(l["line"]) && Number.isInteger(l["column"]))))

/** The connector's requests that do not say who they are (`verity-ingest/<version>`), what they accept, or the API version. */
const unnamed = (exchanges: ReadonlyArray<Exchange>) =>
  exchanges.filter((x) => x.requestHeaders[probeHeader] === undefined).flatMap((x) => {
    const h = x.requestHeaders
    return /^verity-ingest\/\d+\.\d+\.\d+$/.test(h["user-agent"] ?? "") && h["accept"] === "application/vnd.github+json" &&
        h["x-github-api-version"] === "2022-11-28"
      ? []
      : [`${x.method} ${x.path}: user-agent ${h["user-agent"]}, accept ${h["accept"]}, version ${h["x-github-api-version"]}`]
  })

/** Every mismatch between what the simulator sent and GitHub's contract, one line each. */
const mismatches = (exchanges: ReadonlyArray<Exchange>) => {
  const found: Array<string> = []
  const seen = new Set<string>()
  for (const x of exchanges) {
    const where = `${x.method} ${x.path} -> ${x.status}`
    // GitHub's rate headers on every token-authenticated answer, naming the budget it spends from (the App
    // endpoint takes the app's JWT instead, and api-facts says nothing of its headers)
    if (x.status !== 401 && !x.path.startsWith("/app/") && !(x.status === 403 && JSON.stringify(x.body).includes("User-Agent"))) {
      const resource = x.path.startsWith("/graphql") ? "graphql" : /^\/orgs\/[^/]+\/audit-log/.test(x.path) ? "audit_log" : "core"
      const h = x.responseHeaders
      const numeric = ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used", "x-ratelimit-reset"].filter((k) => !/^\d+$/.test(String(h[k])))
      if (numeric.length > 0) found.push(`${where}: ${numeric.join(", ")} missing or not a number`)
      if (h["x-ratelimit-resource"] !== resource) found.push(`${where}: x-ratelimit-resource ${String(h["x-ratelimit-resource"])}, expected ${resource}`)
    }
    if (x.path.startsWith("/graphql")) {
      seen.add(`POST /graphql ${x.status}`)
      const request = JSON.parse(x.requestBody) as { query: string; variables?: Record<string, unknown> }
      if (x.requestHeaders[probeHeader] === undefined) {
        for (const e of validateDocument(graphqlSchema, request.query)) found.push(`${where}: document: ${e}`)
      }
      if (!isRecord(x.body)) {
        found.push(`${where}: body is not a JSON object`)
        continue
      }
      if ("data" in x.body && x.body["data"] !== null) {
        for (const e of replayAnswer(graphqlSchema, request.query, request.variables ?? {}, x.body["data"])) found.push(`${where}: answer: ${e}`)
      }
      const errors = x.body["errors"]
      if (errors !== undefined && !(Array.isArray(errors) && errors.every(isGraphQLError))) {
        found.push(`${where}: errors must be a list of {message, path?, locations?, type?}: ${JSON.stringify(errors)}`)
      }
      continue
    }
    const operation = contract.operationOf(x.method, x.path)
    if (operation === undefined) {
      found.push(`${where}: not an operation in contracts/github/openapi-subset.json`)
      continue
    }
    const check = contract.check(operation, x.status, x.body)
    seen.add(`${operation} ${x.status}`)
    for (const e of check.errors.slice(0, 8)) found.push(`${where}: ${e}`)
    if (check.errors.length > 8) found.push(`${where}: ... ${check.errors.length - 8} more`)
  }
  return { found, seen }
}

const appKeys = (() => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
  return { privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), publicKey: publicKey.export({ type: "spki", format: "pem" }).toString() }
})()

/** The app's RS256 JWT, as GitHub asks for it (issued a minute back, ten minutes long, `iss` the app id). */
const appJwt = (privateKey: string) => {
  const now = Math.floor(Date.now() / 1000)
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
  const unsigned = `${part({ alg: "RS256", typ: "JWT" })}.${part({ iat: now - 60, exp: now + 540, iss: "4242" })}`
  return `${unsigned}.${sign("RSA-SHA256", Buffer.from(unsigned), privateKey).toString("base64url")}`
}

const capabilityServices = Layer.mergeAll(NodeHttpClient.layerUndici, RateLimiter.default)

/**
 * A real HTTP client that blanks the User-Agent on the way out, as if Client.ts no longer set it (blank, not
 * absent: Node's client would put its own name in an absent one's place, which the header check also flags).
 */
const withoutUserAgent = Layer.effect(
  HttpClient.HttpClient,
  // the last step before the wire (a `mapRequest` here would run before the connector sets its headers)
  Effect.map(HttpClient.HttpClient, (inner) => HttpClient.make((request) => inner.execute(HttpClientRequest.setHeader(request, "user-agent", ""))))
).pipe(Layer.provide(NodeHttpClient.layerUndici))

const capability = (name: string, url: string, org: string, token: string, request: unknown, page?: { size: number }) =>
  GitHubIntegration.run(name, { auth: { token: { token } }, request, settings: { org, api_url: url }, ...(page ? { page } : {}) })

/** an assign/unassign request in the Lumos SDK's shape, for a repository permission */
const grant = (account: string, level: string, repo: string) => ({
  account_integration_specific_id: account,
  resource_integration_specific_id: repo,
  resource_type: "repository",
  entitlement_type: "repository_permission",
  entitlement_integration_specific_id: level
})

describe("GitHub's published contract", () => {
  it.live("every simulator answer the connector and capabilities see is valid against GitHub's REST and GraphQL contract", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({
        repos: 6,
        // past 100 collaborators a repository needs the follow-up GraphQL document (collaborators after a cursor)
        members: 104,
        teams: 3,
        outsideCollaborators: 3,
        events: 60,
        seed: 11,
        basePermission: "read",
        // one repository fails once inside a GraphQL answer: a partial error beside the others' data
        graphqlPartialErrors: { repos: ["backend"], times: 1 },
        // a GitHub App installation beside the classic token
        app: { appId: 4242, installationId: 77, publicKey: appKeys.publicKey, tokenLifetimeSeconds: 3600 },
        rateLimit: { limit: 160, windowSeconds: 3600 }
      })
      const proxy = yield* startRecordingProxy(sim.url)
      const viaProxy = { ...sim, url: proxy.url }
      const raw = (method: string, path: string, body?: unknown, token = sim.token) =>
        Effect.promise(() =>
          fetch(`${proxy.url}${path}`, {
            method,
            headers: { authorization: `Bearer ${token}`, "user-agent": "verity-contract-test", [probeHeader]: "1" },
            ...(body === undefined ? {} : { body: JSON.stringify(body) })
          }).then(async (r) => ({ status: r.status, text: await r.text() }))
        )

      // the connector: a pull, a second one of the unchanged org (304s), a third after a push (the lists
      // that carry the repository answer anew, with its new pushed_at), then the audit log
      const connector = yield* connectorFor(viaProxy, { pageSize: 40 })
      yield* runPermissions(connector, pipelineOptions)
      yield* runPermissions(connector, pipelineOptions)
      expect(yield* sim.push("backend")).toBe(true)
      yield* runPermissions(connector, pipelineOptions)
      const audit = Chunk.toReadonlyArray(yield* Stream.runCollect(connector.auditEvents(Option.none())))
      expect(audit.length).toBe((yield* sim.truthEvents).length)
      expect(audit.filter((a) => a.record._tag !== "Valid")).toEqual([])

      // a GitHub App connector buys an installation token, then reads the audit log with it
      const appConnector = yield* makeGitHubConnector(makeConnectorId("github-app-contract"), {
        org: sim.org,
        apiUrl: proxy.url,
        pageSize: 40,
        concurrency: 2,
        appId: 4242,
        installationId: "77",
        privateKey: Redacted.make(appKeys.privateKey)
      }, fastOptions)
      yield* Stream.runDrain(appConnector.auditEvents(Option.none()))
      yield* raw("POST", "/app/installations/77/access_tokens", undefined, "not-a-jwt")
      yield* raw("POST", "/app/installations/78/access_tokens", undefined, appJwt(appKeys.privateKey))

      // the capabilities: reads, the writes (a new outside collaborator's invitation, an existing member, a removal)
      yield* Effect.provide(
        Effect.gen(function*() {
          const call = (name: string, request: unknown, page?: { size: number }) =>
            capability(name, proxy.url, sim.org, sim.token, request, page)
          yield* call("validate_credentials", {})
          yield* call("list_accounts", {}, { size: 60 })
          yield* call("list_resources", {}, { size: 4 })
          yield* call("list_entitlements", {})
          const repo = `${sim.org}/${(yield* sim.truthGrants)[0]?.asset_ref.split("/")[1] ?? "backend"}`
          const member = (yield* sim.truthGrants).find((g) => g.grant_mechanism === "role")?.principal_ref ?? "nobody"
          yield* call("assign_entitlement", grant("contract-newcomer", "push", repo))
          yield* call("assign_entitlement", grant(member, "admin", repo))
          yield* call("unassign_entitlement", grant("contract-newcomer", "push", repo))
          // the account lifecycle: an invitation (by login, by email), accepted, the role changed, removals
          yield* call("list_custom_attributes_schema", {})
          yield* call("create_account", { username: "contract-newcomer" })
          yield* call("create_account", { username: member })
          yield* call("create_account", { username: "nobody-by-that-name" })
          const byEmail = (yield* call("create_account", { email: ["contract", "example.com"].join("@") })) as { response?: { id?: string } }
          yield* call("delete_account", { account_id: byEmail.response?.id ?? "invitation:0" })
          yield* call("delete_account", { account_id: "invitation:999999" })
          for (const pending of yield* sim.pendingInvitations) if (pending.login === "contract-newcomer") yield* sim.acceptInvitation(pending.id)
          yield* call("update_account", { id: "contract-newcomer", custom_attributes: { org_role: "admin" } })
          yield* call("update_account", { id: "nobody-by-that-name", custom_attributes: { org_role: "admin" } })
          yield* call("delete_account", { account_id: "contract-newcomer" })
          yield* call("create_account", { username: "contract-newcomer" })
          yield* call("delete_account", { account_id: "contract-newcomer" })
          // an org that does not exist, a bad token
          yield* Effect.either(capability("validate_credentials", proxy.url, "no-such-org", sim.token, {}))
          yield* Effect.either(capability("validate_credentials", proxy.url, sim.org, "ghp_wrong", {}))
        }),
        capabilityServices
      )

      // answers the connector cannot provoke on its own: a refused write, an unknown repository
      yield* raw("PUT", `/repos/${sim.org}/${"repo-that-is-not"}/collaborators/someone`, { permission: "push" })
      const firstRepo = (yield* sim.truthGrants)[0]?.asset_ref ?? `${sim.org}/backend`
      const invalid = yield* raw("PUT", `/repos/${firstRepo}/collaborators/someone`, { permission: "overlord" })
      expect(invalid.status).toBe(422)
      // GitHub refuses a request without User-Agent (node:http sends none unless told)
      const bare = yield* Effect.async<number>((resume) => {
        const req = httpRequest(`${proxy.url}/orgs/${sim.org}`, { headers: { authorization: `Bearer ${sim.token}`, [probeHeader]: "1" } }, (res) => {
          res.resume()
          res.on("end", () => resume(Effect.succeed(res.statusCode ?? 0)))
        })
        req.end()
      })
      expect(bare).toBe(403)
      // the writes the simulator serves for live mode and tests: their answers are GitHub's too
      const slug = (JSON.parse((yield* raw("GET", `/orgs/${sim.org}/teams`)).text) as ReadonlyArray<{ slug: string }>)[0]?.slug ?? "none"
      const someone = (JSON.parse((yield* raw("GET", `/orgs/${sim.org}/members?role=member`)).text) as ReadonlyArray<{ login: string }>)[0]?.login ?? "none"
      const writes: ReadonlyArray<readonly [string, string, unknown?]> = [
        ["PATCH", `/orgs/${sim.org}`, { default_repository_permission: "read" }],
        ["PUT", `/orgs/${sim.org}/memberships/contract-joiner`, { role: "member" }],
        ["PUT", `/orgs/${sim.org}/memberships/${someone}`, { role: "member" }],
        ["GET", `/orgs/${sim.org}/invitations`],
        ["DELETE", `/orgs/${sim.org}/memberships/contract-joiner`],
        ["PUT", `/orgs/${sim.org}/teams/${slug}/memberships/${someone}`, { role: "maintainer" }],
        ["DELETE", `/orgs/${sim.org}/teams/${slug}/memberships/${someone}`],
        ["PUT", `/orgs/${sim.org}/teams/${slug}/repos/${firstRepo}`, { permission: "push" }],
        ["DELETE", `/orgs/${sim.org}/teams/${slug}/repos/${firstRepo}`],
        ["PUT", `/repos/${firstRepo}/collaborators/contract-invitee`, { permission: "triage" }],
        ["GET", `/repos/${firstRepo}/invitations`]
      ]
      for (const [method, path, body] of writes) {
        const answer = yield* raw(method, path, body)
        expect(answer.status, `${method} ${path}`).toBeLessThan(300)
      }
      // the org invitation list held a pending invitation when it was checked (an empty list proves nothing)
      const orgInvitations = proxy.exchanges.filter((x) => x.method === "GET" && x.path.startsWith(`/orgs/${sim.org}/invitations`))
      expect(orgInvitations.length).toBeGreaterThan(0)
      expect(orgInvitations.filter((x) => !Array.isArray(x.body) || x.body.length === 0)).toEqual([])
      // who the token is in the org (the audit log's 404 is told apart by it)
      expect((yield* raw("GET", `/user/memberships/orgs/${sim.org}`)).status).toBe(200)
      // limits and faults: secondary limits (403 and 429 with retry-after), server errors
      yield* sim.setFaults({ secondaryRateLimitRate: 1, secondaryWithoutRetryAfterShare: 0.5 })
      for (let i = 0; i < 10; i++) yield* raw("GET", `/orgs/${sim.org}/repos`)
      yield* sim.setFaults({ secondaryRateLimitRate: 0, secondaryWithoutRetryAfterShare: 0, errorRate: 1 })
      yield* raw("GET", `/orgs/${sim.org}/teams`)
      yield* sim.setFaults({ errorRate: 0 })
      // the primary budget spent: core answers 403, GraphQL answers 200 with RATE_LIMITED
      let core: ReadonlyArray<number> = []
      for (let i = 0; i < 30 && !core.includes(403); i++) {
        core = yield* Effect.forEach(Array.from({ length: 10 }), () => Effect.map(raw("GET", `/orgs/${sim.org}`), (r) => r.status), { concurrency: 10 })
      }
      expect(core).toContain(403)
      const costly = `{ ${
        Array.from({ length: 100 }, (_, i) => `a${i}: organization(login: "${sim.org}") { repositories(first: 100) { nodes { collaborators(first: 100) { totalCount } } } }`).join(" ")
      } }`
      let limited = ""
      for (let i = 0; i < 20 && !limited.includes("RATE_LIMITED"); i++) limited = (yield* raw("POST", "/graphql", { query: costly })).text
      expect(limited).toContain("RATE_LIMITED")

      // both documents the connector sends were seen: the batch of repositories, and the follow-up page
      const documents = proxy.exchanges.filter((x) => x.path === "/graphql" && x.requestHeaders[probeHeader] === undefined)
        .map((x) => (JSON.parse(x.requestBody) as { query: string }).query)
      expect(documents.some((q) => q.includes("$after"))).toBe(true)
      expect(documents.some((q) => q.includes("r1: repository"))).toBe(true)
      // the partial error was answered (data for the others, null and an error with its path for the one)
      const partial = proxy.exchanges.find((x) => x.path === "/graphql" && isRecord(x.body) && isRecord(x.body["data"]) && Array.isArray(x.body["errors"]))
      expect(JSON.stringify((partial?.body as { errors?: unknown } | undefined)?.errors)).toMatch(/"path":\["r\d+"\]/)
      // every request the connector and the capabilities sent says who it is, what it accepts, and the API version
      expect(unnamed(proxy.exchanges)).toEqual([])
      const { found, seen } = mismatches(proxy.exchanges)
      expect(found).toEqual([])
      const wanted = [
        "GET /orgs/{org} 200",
        "GET /orgs/{org} 304",
        "GET /orgs/{org} 404",
        "GET /orgs/{org} 401",
        "GET /orgs/{org} 403",
        "GET /orgs/{org}/repos 200",
        "GET /orgs/{org}/repos 304",
        "GET /orgs/{org}/members 200",
        "GET /orgs/{org}/members 304",
        "GET /orgs/{org}/teams 200",
        "GET /orgs/{org}/teams 304",
        "GET /orgs/{org}/teams/{team_slug}/members 200",
        "GET /orgs/{org}/teams/{team_slug}/members 304",
        "GET /orgs/{org}/teams/{team_slug}/repos 200",
        "GET /orgs/{org}/teams/{team_slug}/repos 304",
        "GET /orgs/{org}/audit-log 200",
        "GET /repos/{owner}/{repo}/collaborators 200",
        "GET /repos/{owner}/{repo}/collaborators 304",
        "PUT /repos/{owner}/{repo}/collaborators/{username} 201",
        "PUT /repos/{owner}/{repo}/collaborators/{username} 204",
        "PUT /repos/{owner}/{repo}/collaborators/{username} 404",
        "PUT /repos/{owner}/{repo}/collaborators/{username} 422",
        "DELETE /repos/{owner}/{repo}/collaborators/{username} 204",
        "PATCH /orgs/{org} 200",
        "PUT /orgs/{org}/memberships/{username} 200",
        "DELETE /orgs/{org}/memberships/{username} 204",
        "GET /orgs/{org}/invitations 200",
        "PUT /orgs/{org}/teams/{team_slug}/memberships/{username} 200",
        "DELETE /orgs/{org}/teams/{team_slug}/memberships/{username} 204",
        "PUT /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo} 204",
        "DELETE /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo} 204",
        "GET /repos/{owner}/{repo}/invitations 200",
        "GET /users/{username} 200",
        "GET /users/{username} 404",
        "POST /orgs/{org}/invitations 201",
        "POST /orgs/{org}/invitations 422",
        "DELETE /orgs/{org}/invitations/{invitation_id} 204",
        "DELETE /orgs/{org}/invitations/{invitation_id} 404",
        "DELETE /orgs/{org}/members/{username} 204",
        "GET /orgs/{org}/memberships/{username} 200",
        "GET /orgs/{org}/memberships/{username} 404",
        "GET /user/memberships/orgs/{org} 200",
        "POST /app/installations/{installation_id}/access_tokens 201",
        "POST /app/installations/{installation_id}/access_tokens 401",
        "POST /app/installations/{installation_id}/access_tokens 404",
        "POST /graphql 200"
      ]
      expect(wanted.filter((w) => !seen.has(w))).toEqual([])
      // secondary limits both ways, and a server error, on the repository list
      const statuses = new Set([...seen].filter((s) => s.startsWith("GET /orgs/{org}/repos ") || s.startsWith("GET /orgs/{org}/teams ")))
      expect(["GET /orgs/{org}/repos 403", "GET /orgs/{org}/repos 429"].filter((s) => !statuses.has(s))).toEqual([])
      const secondary = proxy.exchanges.filter((x) => (x.status === 403 || x.status === 429) && JSON.stringify(x.body).includes("secondary rate limit"))
      expect(new Set(secondary.map((x) => x.responseHeaders["retry-after"] === undefined ? "without retry-after" : "with retry-after")))
        .toEqual(new Set(["with retry-after", "without retry-after"]))
      expect([...statuses].some((s) => /^GET \/orgs\/\{org\}\/teams 5\d\d$/.test(s))).toBe(true)

      // the same checks go red when one field of a real answer is wrong (contracts/github/FINDINGS.md)
      const answer = (operation: string, status = 200) => {
        const found = proxy.exchanges.find((x) => x.status === status && contract.operationOf(x.method, x.path) === operation)
        expect(found, `${operation} ${status} was recorded`).toBeDefined()
        return structuredClone(found?.body) as Record<string, unknown> & Array<Record<string, unknown>>
      }
      expect(contract.check("GET /orgs/{org}", 200, { ...answer("GET /orgs/{org}"), public_repos: "3" }).errors)
        .toEqual(["/public_repos must be integer"])
      const repos = answer("GET /orgs/{org}/repos")
      delete repos[0]?.["node_id"]
      expect(contract.check("GET /orgs/{org}/repos", 200, repos).errors).toEqual(["/0/node_id is required"])
      const entries = answer("GET /orgs/{org}/audit-log")
      if (entries[0]) entries[0]["org"] = [sim.org]
      expect(contract.check("GET /orgs/{org}/audit-log", 200, entries).errors).toEqual(["/0/org must be string"])
      const invitation = answer("PUT /repos/{owner}/{repo}/collaborators/{username}", 201)
      invitation["permissions"] = "push"
      expect(contract.check("PUT /repos/{owner}/{repo}/collaborators/{username}", 201, invitation).errors[0])
        .toMatch(/^\/permissions must be equal to one of the allowed values/)
      // GraphQL: a document asking for a field GitHub lacks, an enum value GitHub lacks, a field nobody asked for
      const sources = proxy.exchanges.find((x) =>
        x.path === "/graphql" && x.requestHeaders[probeHeader] === undefined && isRecord(x.body) && isRecord(x.body["data"]) &&
        isRecord(x.body["data"]["r0"])
      )
      const sent = JSON.parse(sources?.requestBody ?? "{}") as { query: string; variables: Record<string, unknown> }
      expect(validateDocument(graphqlSchema, sent.query.replace("roleName", "role"))).toEqual([
        `Cannot query field "role" on type "PermissionSource".`
      ])
      const data = structuredClone((sources?.body as { data: { r0: { collaborators: { edges: Array<Record<string, unknown>> } } } }).data)
      const edge = data.r0.collaborators.edges[0] as { permissionSources: Array<{ permission: string }>; node: Record<string, unknown> }
      expect(edge.permissionSources.length).toBeGreaterThan(0)
      edge.permissionSources[0]!.permission = "MAINTAIN"
      edge.node["email"] = "someone@example.com"
      const replayed = replayAnswer(graphqlSchema, sent.query, sent.variables, data)
      expect(replayed).toContain(
        `r0.collaborators.edges.0.permissionSources.0.permission: Enum "DefaultRepositoryPermissionField" cannot represent value: "MAINTAIN"`
      )
      expect(replayed).toContain("/r0/collaborators/edges/0/node/email: not asked for, or not in GitHub's schema")
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())))

  it.live("a client that drops User-Agent goes red: GitHub's 403 fails the pull, and the header check names every request", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 2, members: 3, teams: 1, events: 3, seed: 3 })
      const proxy = yield* startRecordingProxy(sim.url)
      const error = yield* Effect.flatMap(connectorFor({ ...sim, url: proxy.url }), (c) => runPermissions(c, pipelineOptions)).pipe(
        Effect.provide(Layer.mergeAll(withoutUserAgent, RateLimiter.default)),
        Effect.flip
      )
      expect(error.message).toContain("403")
      expect(error.message).toContain("User-Agent")
      expect(proxy.exchanges.length).toBeGreaterThan(0)
      expect(proxy.exchanges.every((x) => x.status === 403)).toBe(true)
      expect(unnamed(proxy.exchanges).length).toBe(proxy.exchanges.length)
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())))

  it("GitHub's own example responses decode with the connector's payload schemas", () => {
    const decoders: Record<string, (body: unknown) => ReadonlyArray<string>> = {
      "GET /orgs/{org}": (body) => problems(Organization, body),
      "GET /orgs/{org}/repos": (body) => problems(Schema.Array(Repository), body),
      "GET /orgs/{org}/members": (body) => problems(Schema.Array(Member), body),
      "GET /orgs/{org}/teams": (body) => problems(Schema.Array(Team), body),
      "GET /orgs/{org}/teams/{team_slug}/members": (body) => problems(Schema.Array(Member), body),
      "GET /orgs/{org}/teams/{team_slug}/repos": (body) => problems(Schema.Array(Repository), body),
      "GET /repos/{owner}/{repo}/collaborators": (body) => problems(Schema.Array(Collaborator), body),
      "GET /orgs/{org}/audit-log": (body) =>
        (Array.isArray(body) ? body : [body]).flatMap((entry) => {
          const record = decodeAuditEntry(entry)
          return record._tag === "Valid" ? [] : [record.reason]
        })
    }
    const failures: Array<string> = []
    let decoded = 0
    for (const [operation, decode] of Object.entries(decoders)) {
      const examples = contract.examples(operation).filter((e) => e.status === 200)
      expect(examples.length, `${operation} has an example`).toBeGreaterThan(0)
      for (const example of examples) {
        // GitHub's examples are valid against GitHub's own schemas: the validator and the description agree
        expect(contract.check(operation, example.status, example.value).errors, `${operation} ${example.name}`).toEqual([])
        failures.push(...decode(example.value).map((p) => `${operation} ${example.name}: ${p}`))
        decoded++
      }
    }
    expect(decoded).toBeGreaterThanOrEqual(Object.keys(decoders).length)
    expect(failures).toEqual([])
  })
})

const problems = <A, I>(schema: Schema.Schema<A, I>, body: unknown): ReadonlyArray<string> =>
  Either.match(Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "ignore" })(body), {
    onLeft: (e) => [e.message],
    onRight: () => []
  })
