/**
 * The Verity guide's two tests, ported against a scripted HttpClient that answers with the guide's
 * fixtures (plus the GraphQL permission sources the exact mechanism needs). The mapping rules are
 * tested beside their code (permissions/Privileges, AuditLog).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Clock, Effect, Fiber, Layer, Option, Redacted, Stream, TestClock } from "effect"
import { makeGitHubConnector } from "../../../src/platforms/github/Connector.js"
import { Checkpoint } from "../../../src/domain/Checkpoint.js"
import { makeConnectorId } from "../../../src/domain/Ids.js"
import { limiterLayer } from "../../support/GitHub.js"

const REPOS_RESPONSE = [{ name: "backend", full_name: "acme-corp/backend" }]
const COLLABS_RESPONSE = [{ login: "alice", role_name: "admin", permissions: { admin: true, push: true, pull: true } }]
const AUDIT_RESPONSE = [
  { _document_id: "evt-001", "@timestamp": 1719820800000, actor: "alice", repo: "acme-corp/backend", action: "repo.access" }
]
const GRAPHQL_RESPONSE = {
  data: {
    r0: {
      nameWithOwner: "acme-corp/backend",
      collaborators: {
        pageInfo: { hasNextPage: false, endCursor: null },
        edges: [{
          permission: "ADMIN",
          permissionSources: [{ permission: "ADMIN", roleName: "admin", source: { __typename: "Repository", nameWithOwner: "acme-corp/backend" } }],
          node: { login: "alice" }
        }]
      }
    },
    rateLimit: { cost: 1, remaining: 4999, resetAt: "2024-07-01T01:00:00Z" }
  }
}

const scripted = (requested: Array<string>, graphql: unknown = GRAPHQL_RESPONSE, headers: Array<Readonly<Record<string, string>>> = []) =>
  Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request, url) => {
      requested.push(url.pathname + url.search)
      headers.push(request.headers)
      const body = url.pathname === "/graphql"
        ? graphql
        : url.pathname === "/orgs/acme-corp"
        ? { login: "acme-corp", id: 1 }
        : url.pathname === "/orgs/acme-corp/repos"
        ? REPOS_RESPONSE
        : url.pathname === "/repos/acme-corp/backend/collaborators"
        ? COLLABS_RESPONSE
        : url.pathname === "/orgs/acme-corp/audit-log"
        ? AUDIT_RESPONSE
        : [] // owners, teams: none in the guide's fixture
      return Effect.succeed(
        HttpClientResponse.fromWeb(request, new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } }))
      )
    })
  )

const connector = makeGitHubConnector(makeConnectorId("github-seed"), {
  org: "acme-corp",
  token: Redacted.make("ghp_test_token_000"),
  apiUrl: "https://api.github.com",
  pageSize: 100,
  concurrency: 4
})

describe("the Verity guide's tests, ported", () => {
  it.live("test_pull_permissions: alice, admin on acme-corp/backend, gives 3 snapshots, the first ADMIN", () => {
    const requested: Array<string> = []
    return Effect.gen(function*() {
      const github = yield* connector
      const records = Chunk.toReadonlyArray(yield* Stream.runCollect(github.permissions))
      const snapshots = records.flatMap((r) => (r._tag === "Valid" ? [r.value] : []))
      expect(records.length).toBe(3) // admin, push, pull
      expect(snapshots.length).toBe(3)
      expect(snapshots[0]?.principalRef).toBe("alice")
      expect(snapshots[0]?.assetRef).toBe("acme-corp/backend")
      expect(snapshots[0]?.privilege).toBe("ADMIN")
      expect(snapshots.map((s) => s.privilege)).toEqual(["ADMIN", "PUSH", "PULL"])
      // a collaborator grant on the repository itself: direct, not the guide's guessed "role"
      expect(snapshots.every((s) => s.grantMechanism === "direct")).toBe(true)
      expect(requested).toContain("/repos/acme-corp/backend/collaborators?affiliation=all&per_page=100")
    }).pipe(Effect.provide(Layer.merge(scripted(requested), limiterLayer())))
  })

  it.live("test_stream_audit_events: evt-001 gives operation repo.access, resumed inclusively from the checkpoint", () => {
    const requested: Array<string> = []
    return Effect.gen(function*() {
      const github = yield* connector
      const from = Checkpoint.initial.advance(Date.UTC(2024, 0, 1), "evt-000")
      const records = Chunk.toReadonlyArray(yield* Stream.runCollect(github.auditEvents(Option.some(from))))
      expect(records.length).toBe(1)
      const first = records[0]
      expect(first?.record._tag).toBe("Valid")
      if (first?.record._tag !== "Valid") return
      expect(first.record.value.eventId).toBe("evt-001")
      expect(first.record.value.operation).toBe("repo.access")
      expect(first.record.value.assetRef).toBe("acme-corp/backend")
      expect(first.record.value.occurredAt.getTime()).toBe(1719820800000)
      expect(first.position.timestamp).toBe(1719820800000)
      expect(first.position.idsAtTimestamp).toEqual(["evt-001"])
      const url = new URL(requested[0] ?? "", "https://api.github.com")
      expect(url.pathname).toBe("/orgs/acme-corp/audit-log")
      expect(url.searchParams.get("phrase")).toBe("created:>=2024-01-01T00:00:00+00:00")
      expect(url.searchParams.get("order")).toBe("asc")
      expect(url.searchParams.get("per_page")).toBe("100")
    }).pipe(Effect.provide(Layer.merge(scripted(requested), limiterLayer())))
  })
})

describe("what every request carries, and the first audit pull", () => {
  it.effect("User-Agent verity-ingest/<version>, GitHub's Accept and API version on every request; include=all and created:>= 90 days back", () => {
    const requested: Array<string> = []
    const headers: Array<Readonly<Record<string, string>>> = []
    return Effect.gen(function*() {
      const github = yield* connector
      // the pull paces requests to one endpoint (GitHub's points per minute): let the test clock move for it
      const pull = yield* Effect.fork(Stream.runDrain(github.permissions))
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(pull)
      const now = yield* Clock.currentTimeMillis
      yield* Stream.runDrain(github.auditEvents(Option.none()))
      expect(headers.length).toBe(requested.length)
      expect(headers.length).toBeGreaterThan(3)
      for (const h of headers) {
        expect(h["user-agent"]).toBe("verity-ingest/0.1.0")
        expect(h["accept"]).toBe("application/vnd.github+json")
        expect(h["x-github-api-version"]).toBe("2022-11-28")
      }
      const audit = new URL(requested.find((r) => r.startsWith("/orgs/acme-corp/audit-log")) ?? "", "https://api.github.com")
      expect(audit.searchParams.get("include")).toBe("all")
      // 90 days before the test clock
      expect(audit.searchParams.get("phrase")).toBe(`created:>=${new Date(now - 90 * 86_400_000).toISOString().replace(".000Z", "+00:00")}`)
    }).pipe(Effect.provide(Layer.merge(scripted(requested, GRAPHQL_RESPONSE, headers), limiterLayer())))
  })

  it.live("the User-Agent, include and since settings are used as given", () => {
    const requested: Array<string> = []
    const headers: Array<Readonly<Record<string, string>>> = []
    return Effect.gen(function*() {
      const github = yield* makeGitHubConnector(makeConnectorId("github-set"), {
        org: "acme-corp",
        token: Redacted.make("ghp_test_token_000"),
        apiUrl: "https://api.github.com",
        pageSize: 100,
        concurrency: 4,
        userAgent: "acme-security/2.1",
        include: "web",
        since: "1970-01-01T00:00:00Z"
      })
      yield* Stream.runDrain(github.auditEvents(Option.none()))
      expect(headers.map((h) => h["user-agent"])).toEqual(["acme-security/2.1"])
      const audit = new URL(requested[0] ?? "", "https://api.github.com")
      expect(audit.searchParams.get("include")).toBe("web")
      expect(audit.searchParams.get("phrase")).toBe("created:>=1970-01-01T00:00:00+00:00")
    }).pipe(Effect.provide(Layer.merge(scripted(requested, GRAPHQL_RESPONSE, headers), limiterLayer())))
  })
})

describe("a privilege no permission source accounts for", () => {
  it.live("is not guessed: it becomes an Invalid record with the reason, the others are exact", () =>
    Effect.gen(function*() {
      const github = yield* connector
      const records = Chunk.toReadonlyArray(yield* Stream.runCollect(github.permissions))
      const invalid = records.flatMap((r) => (r._tag === "Invalid" ? [r.reason] : []))
      expect(invalid).toEqual(["acme-corp/backend: no permission source of alice grants ADMIN"])
      const valid = records.flatMap((r) => (r._tag === "Valid" ? [`${r.value.privilege}:${r.value.grantMechanism}`] : []))
      expect(valid).toEqual(["PUSH:group", "PULL:group"])
    }).pipe(Effect.provide(Layer.merge(
      scripted([], {
        data: {
          r0: {
            nameWithOwner: "acme-corp/backend",
            collaborators: {
              pageInfo: { hasNextPage: false, endCursor: null },
              edges: [{
                permission: "WRITE",
                permissionSources: [{ permission: "WRITE", roleName: "write", source: { __typename: "Team", slug: "devs" } }],
                node: { login: "alice" }
              }]
            }
          }
        }
      }),
      limiterLayer()
    ))))
})
