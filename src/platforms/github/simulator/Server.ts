/**
 * A simulator of the parts of GitHub's REST and GraphQL APIs that the connector (and the Lumos
 * capabilities) use, faithful to GitHub's documented shapes, over real HTTP on 127.0.0.1:
 *   - a deterministic synthetic org from a seed (repos, members, owners, teams with members and repo
 *     permissions, outside collaborators, a base permission, direct grants; audit events, some sharing
 *     a millisecond);
 *   - `per_page`/`page` paging with `Link` next/last, audit-log cursor paging (`after`, no last);
 *   - Bearer auth (401 with GitHub's body), ETags on every GET and 304 on `If-None-Match` (free);
 *   - `x-ratelimit-*` headers over a configurable budget per resource (core, graphql, audit_log),
 *     403 "API rate limit exceeded" when spent, 403 "secondary rate limit" with `retry-after` above a
 *     concurrency cap, and randomly injected secondary limits (403 or 429);
 *   - faults: latency with jitter, a 5xx rate, malformed (truncated JSON) pages;
 *   - GraphQL at `POST /graphql` (built on `graphql`): `repository`, `organization.repositories`,
 *     `collaborators { edges { permission permissionSources { permission roleName source } node } }`
 *     and `rateLimit { cost remaining resetAt }`, with GitHub's cost rule;
 *   - the ground truth, computed from the model: `GET /_simulator/truth/grants` and `/truth/events`.
 * Writes: PUT/DELETE `/repos/{owner}/{repo}/collaborators/{username}` change the model (an invitation
 * is accepted at once, so the grant shows up in the truth and the API straight away).
 */
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Context, Effect, Layer, type Scope } from "effect"
import {
  buildSchema,
  type DocumentNode,
  execute,
  GraphQLError,
  Kind,
  parse,
  type SelectionSetNode,
  validate,
  type ValueNode
} from "graphql"
import { createHash } from "node:crypto"
import { createServer } from "node:http"
import { mulberry32 } from "../../../sdk/simulator/SeededRandom.js"

// ---- options and public surface --------------------------------------------------------------

export interface GitHubSimulatorOptions {
  readonly port?: number
  readonly org?: string
  readonly token?: string
  readonly repos?: number
  readonly members?: number
  readonly teams?: number
  readonly outsideCollaborators?: number
  readonly events?: number
  /** audit entries with wrong field types (`@timestamp` as a string); not in the truth */
  readonly badEvents?: number
  readonly seed?: number
  /** the org's base permission; by default picked from the seed */
  readonly basePermission?: "none" | "read" | "write" | "admin"
  readonly latencyMs?: number
  readonly latencyJitterMs?: number
  /** share of requests answered with a 5xx */
  readonly errorRate?: number
  /** share of 200 GET pages whose JSON is truncated */
  readonly malformedRate?: number
  /** share of requests refused with a secondary limit (403 or 429, `retry-after`) */
  readonly secondaryRateLimitRate?: number
  /** seconds a secondary limit asks to wait (default 1) */
  readonly retryAfterSeconds?: number
  /** primary budget per resource (REST requests; GraphQL points) and its window */
  readonly rateLimit?: { readonly limit: number; readonly windowSeconds: number }
  /** requests in flight above this are refused with a secondary limit (default 100, GitHub's) */
  readonly maxConcurrency?: number
  /** false: the audit log answers 404, like an org not on Enterprise Cloud */
  readonly auditLogEnabled?: boolean
}

export interface RequestLogEntry {
  /** epoch ms the request arrived */
  readonly at: number
  /** epoch ms the response was sent */
  readonly finishedAt: number
  readonly method: string
  readonly path: string
  readonly status: number
  readonly resource: string
  /** the `retry-after` sent, in seconds */
  readonly retryAfter?: number
  readonly conditional: boolean
}

export interface SimulatorStats {
  readonly requests: number
  /** 403/429 answers for primary or secondary rate limits (and GraphQL RATE_LIMITED) */
  readonly rateLimitedResponses: number
  /** rate budget spent, all resources: REST requests + GraphQL points (304s are free) */
  readonly budgetSpent: number
  readonly budgetByResource: Readonly<Record<string, number>>
  readonly notModified: number
  readonly serverErrors: number
  readonly malformed: number
}

export interface GitHubSimulator {
  /** base URL, no trailing slash */
  readonly url: string
  readonly token: string
  readonly org: string
  readonly truthGrants: Effect.Effect<ReadonlyArray<TruthGrant>>
  readonly truthEvents: Effect.Effect<ReadonlyArray<TruthEvent>>
  readonly requestLog: Effect.Effect<ReadonlyArray<RequestLogEntry>>
  /** append `n` audit events stamped now; returns them in wire format */
  readonly addAuditEvents: (n: number) => Effect.Effect<ReadonlyArray<TruthEvent>>
  readonly stats: Effect.Effect<SimulatorStats>
  /** zero the counters and the request log (e.g. between two pulls) */
  readonly resetStats: Effect.Effect<void>
  /** change fault injection at run time */
  readonly setFaults: (faults: Partial<Pick<GitHubSimulatorOptions, "errorRate" | "malformedRate" | "secondaryRateLimitRate" | "latencyMs" | "latencyJitterMs">>) => Effect.Effect<void>
}

/** A grant in the wire format (snapshot without `snapshot_at`). */
export interface TruthGrant {
  readonly platform: "github"
  readonly principal_ref: string
  readonly asset_ref: string
  readonly privilege: string
  readonly grant_mechanism: "direct" | "group" | "role"
}

export interface TruthEvent {
  readonly platform: "github"
  readonly event_id: string
  readonly occurred_at: string
  readonly principal_ref: string
  readonly asset_ref: string
  readonly operation: string
  readonly operation_category: string
  readonly operation_verb: string
  readonly raw_payload: unknown
}

// ---- the model ---------------------------------------------------------------------------------

export { mulberry32 }

type Level = 0 | 1 | 2 | 3 | 4 | 5
const roleNames = ["none", "read", "triage", "write", "maintain", "admin"] as const
const gqlRepoPermission = ["NONE", "READ", "TRIAGE", "WRITE", "MAINTAIN", "ADMIN"] as const
/** GitHub's DefaultRepositoryPermissionField has only NONE/READ/WRITE/ADMIN: maintain and triage round down */
const gqlDefaultPermission = ["NONE", "READ", "READ", "WRITE", "WRITE", "ADMIN"] as const
const privilegeNames = ["", "PULL", "TRIAGE", "PUSH", "MAINTAIN", "ADMIN"] as const
const baseLevels: Record<string, Level> = { none: 0, read: 1, write: 3, admin: 5 }
const levelFromParam = (p: string): Level | undefined => {
  const i = ["pull", "triage", "push", "maintain", "admin"].indexOf(p)
  return i < 0 ? undefined : ((i + 1) as Level)
}

interface User {
  readonly login: string
  readonly id: number
}
interface Team {
  readonly id: number
  readonly slug: string
  readonly name: string
  readonly members: Array<string>
  readonly repos: Map<string, Level>
}
interface Repo {
  readonly id: number
  readonly name: string
  readonly private: boolean
}
interface Entry {
  readonly ts: number
  readonly id: string
  readonly entry: Record<string, unknown>
  readonly bad: boolean
}
interface Source {
  readonly mechanism: "direct" | "group" | "role"
  readonly level: Level
  readonly graphql: { readonly __typename: "Organization" | "Team" | "Repository"; readonly [k: string]: string }
}

interface Model {
  readonly org: { readonly login: string; readonly id: number; readonly base: "none" | "read" | "write" | "admin" }
  readonly users: Map<string, User>
  readonly members: Array<string>
  readonly owners: Set<string>
  readonly outside: Array<string>
  readonly repos: Array<Repo>
  readonly teams: Array<Team>
  readonly direct: Map<string, Map<string, Level>>
  readonly events: Array<Entry>
  nextUserId: number
  nextEventSeq: number
}

const firstNames = ["alice", "Bob", "carol", "Dave", "erin", "Frank", "grace", "Heidi", "ivan", "Judy", "mallory", "Niaj", "olivia", "Peggy", "rupert", "Sybil", "trent", "Victor", "walter", "Xena"]
const nouns = ["backend", "frontend", "api", "infra", "docs", "billing", "auth", "search", "mobile", "data", "ml", "ops", "web", "sdk", "cli"]
const teamNouns = ["platform", "security", "payments", "growth", "design", "sre", "mobile", "data", "qa", "support", "research", "core"]
const actions = [
  ["repo.access", true],
  ["repo.create", true],
  ["repo.add_member", true],
  ["repo.remove_member", true],
  ["repo.update_member", true],
  ["git.clone", true],
  ["protected_branch.create", true],
  ["team.add_member", false],
  ["team.add_repository", true],
  ["org.add_member", false],
  ["org.update_member", false],
  ["org.invite_member", false]
] as const

const pick = <A>(rng: () => number, items: ReadonlyArray<A>): A => items[Math.floor(rng() * items.length)] as A

const buildModel = (o: Required<Pick<GitHubSimulatorOptions, "org" | "repos" | "members" | "teams" | "outsideCollaborators" | "events" | "badEvents" | "seed">> & { base: GitHubSimulatorOptions["basePermission"] }): Model => {
  const rng = mulberry32(o.seed)
  const users = new Map<string, User>()
  let nextUserId = 1000
  const addUser = (login: string) => {
    const user = { login, id: nextUserId++ }
    users.set(login.toLowerCase(), user)
    return login
  }
  const members = Array.from({ length: o.members }, (_, i) =>
    addUser(i === 0 ? "alice" : `${pick(rng, firstNames)}-${pick(rng, nouns)}${i}`))
  const ownerCount = Math.max(1, Math.round(o.members * 0.06))
  // owners are the last few members (alice, the first, is not an owner: the seed's fixture has her as a direct admin)
  const owners = new Set(members.length > 1 ? members.slice(-Math.min(ownerCount, members.length - 1)) : members)
  const outside = Array.from({ length: o.outsideCollaborators }, (_, i) => addUser(`ext-${pick(rng, firstNames)}${i}`))
  const repos: Array<Repo> = Array.from({ length: o.repos }, (_, i) => ({
    id: 50_000 + i,
    name: i === 0 ? "backend" : `${pick(rng, nouns)}-${pick(rng, ["service", "app", "lib", "tools", "site"])}-${i}`,
    private: rng() < 0.7
  }))
  const teams: Array<Team> = Array.from({ length: o.teams }, (_, i) => {
    const slug = `${pick(rng, teamNouns)}-${i}`
    const teamMembers = new Set<string>()
    const size = members.length === 0 ? 0 : 2 + Math.floor(rng() * Math.min(10, members.length))
    for (let k = 0; k < size; k++) teamMembers.add(pick(rng, members))
    const teamRepos = new Map<string, Level>()
    const repoCount = repos.length === 0 ? 0 : 2 + Math.floor(rng() * Math.min(12, repos.length))
    for (let k = 0; k < repoCount; k++) teamRepos.set(pick(rng, repos).name, (1 + Math.floor(rng() * 5)) as Level)
    return { id: 7000 + i, slug, name: slug.replace("-", " "), members: [...teamMembers], repos: teamRepos }
  })
  const direct = new Map<string, Map<string, Level>>()
  for (const repo of repos) {
    const grants = new Map<string, Level>()
    const n = Math.floor(rng() * 4)
    for (let k = 0; k < n && members.length > 0; k++) grants.set(pick(rng, members), (1 + Math.floor(rng() * 5)) as Level)
    direct.set(repo.name, grants)
  }
  for (const login of outside) {
    const n = 1 + Math.floor(rng() * 3)
    for (let k = 0; k < n && repos.length > 0; k++) {
      direct.get(pick(rng, repos).name)?.set(login, (1 + Math.floor(rng() * 5)) as Level)
    }
  }
  const base = o.base ?? pick(rng, ["read", "read", "none", "write"] as const)
  const model: Model = {
    org: { login: o.org, id: 9_000_001, base },
    users,
    members,
    owners,
    outside,
    repos,
    teams,
    direct,
    events: [],
    nextUserId,
    nextEventSeq: 0
  }
  // audit events: some share a millisecond
  let ts = Date.UTC(2024, 6, 1, 0, 0, 0)
  const badAt = new Set<number>()
  while (badAt.size < Math.min(o.badEvents, o.events)) badAt.add(Math.floor(rng() * o.events))
  for (let i = 0; i < o.events; i++) {
    ts += rng() < 0.25 ? 0 : 1 + Math.floor(rng() * 4000)
    model.events.push(makeEntry(model, rng, ts, badAt.has(i)))
  }
  model.events.sort(byTimeThenId)
  return model
}

const makeEntry = (model: Model, rng: () => number, ts: number, bad: boolean): Entry => {
  const [action, onRepo] = pick(rng, actions)
  const actor = model.members.length > 0 ? pick(rng, model.members) : "ghost"
  const id = `${createHash("sha1").update(`${model.org.login}:${model.nextEventSeq++}:${ts}`).digest("base64url").slice(0, 22)}`
  const entry: Record<string, unknown> = {
    "@timestamp": bad ? String(ts) : ts,
    _document_id: id,
    action,
    actor,
    actor_id: model.users.get(actor.toLowerCase())?.id ?? 0,
    created_at: ts,
    operation_type: action.endsWith("create") || action.endsWith("add_member") ? "create" : action.endsWith("access") || action === "git.clone" ? "access" : "modify",
    org: rng() < 0.15 ? [model.org.login] : model.org.login,
    org_id: model.org.id
  }
  if (onRepo && model.repos.length > 0) entry["repo"] = `${model.org.login}/${pick(rng, model.repos).name}`
  if (action.includes("member")) entry["user"] = pick(rng, [...model.members, ...model.outside])
  return { ts, id, entry, bad }
}

const byTimeThenId = (x: Entry, y: Entry) => x.ts - y.ts || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)

const sourcesOf = (model: Model, login: string, repo: string): ReadonlyArray<Source> => {
  const sources: Array<Source> = []
  const d = model.direct.get(repo)?.get(login)
  if (d !== undefined && d > 0) {
    sources.push({ mechanism: "direct", level: d, graphql: { __typename: "Repository", nameWithOwner: `${model.org.login}/${repo}` } })
  }
  for (const team of model.teams) {
    const level = team.repos.get(repo)
    if (level !== undefined && team.members.includes(login)) {
      sources.push({ mechanism: "group", level, graphql: { __typename: "Team", slug: team.slug } })
    }
  }
  if (model.members.includes(login)) {
    const orgLevel = Math.max(model.owners.has(login) ? 5 : 0, baseLevels[model.org.base] ?? 0) as Level
    if (orgLevel > 0) sources.push({ mechanism: "role", level: orgLevel, graphql: { __typename: "Organization", login: model.org.login } })
  }
  return sources
}

interface Collab {
  readonly user: User
  readonly level: Level
  readonly sources: ReadonlyArray<Source>
}

const collaboratorsOf = (model: Model, repo: string, affiliation: string): ReadonlyArray<Collab> => {
  const out: Array<Collab> = []
  for (const login of [...model.members, ...model.outside]) {
    const sources = sourcesOf(model, login, repo)
    const level = sources.reduce<number>((m, s) => Math.max(m, s.level), 0) as Level
    if (level === 0) continue
    const isOutside = !model.members.includes(login)
    if (affiliation === "outside" && !isOutside) continue
    if (affiliation === "direct" && !sources.some((s) => s.mechanism === "direct")) continue
    const user = model.users.get(login.toLowerCase())
    if (user) out.push({ user, level, sources })
  }
  return out.sort((a, b) => a.user.id - b.user.id)
}

const truthGrantsOf = (model: Model): ReadonlyArray<TruthGrant> => {
  const out: Array<TruthGrant> = []
  for (const repo of model.repos) {
    for (const c of collaboratorsOf(model, repo.name, "all")) {
      for (let p = c.level; p >= 1; p--) {
        const mechanism = (["direct", "group", "role"] as const).find((m) => c.sources.some((s) => s.mechanism === m && s.level >= p))
        if (mechanism === undefined) continue
        out.push({
          platform: "github",
          principal_ref: c.user.login.toLowerCase(),
          asset_ref: `${model.org.login}/${repo.name}`,
          privilege: privilegeNames[p],
          grant_mechanism: mechanism
        })
      }
    }
  }
  return out
}

const truthEventOf = (model: Model, e: Entry): TruthEvent => {
  const action = String(e.entry["action"])
  const dot = action.indexOf(".")
  return {
    platform: "github",
    event_id: e.id,
    occurred_at: new Date(e.ts).toISOString(),
    principal_ref: String(e.entry["actor"]).toLowerCase(),
    asset_ref: typeof e.entry["repo"] === "string" ? e.entry["repo"] : model.org.login,
    operation: action,
    operation_category: dot < 0 ? action : action.slice(0, dot),
    operation_verb: dot < 0 ? "" : action.slice(dot + 1),
    raw_payload: e.entry
  }
}

// ---- REST shapes -----------------------------------------------------------------------------

const userJson = (base: string, u: User) => ({
  login: u.login,
  id: u.id,
  node_id: `U_${Buffer.from(String(u.id)).toString("base64")}`,
  avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
  url: `${base}/users/${u.login}`,
  html_url: `https://github.com/${u.login}`,
  type: "User",
  site_admin: false
})

const permissionsJson = (level: Level) => ({
  admin: level >= 5,
  maintain: level >= 4,
  push: level >= 3,
  triage: level >= 2,
  pull: level >= 1
})

const repoJson = (base: string, model: Model, r: Repo) => ({
  id: r.id,
  node_id: `R_${Buffer.from(String(r.id)).toString("base64")}`,
  name: r.name,
  full_name: `${model.org.login}/${r.name}`,
  private: r.private,
  owner: { login: model.org.login, id: model.org.id, type: "Organization" },
  html_url: `https://github.com/${model.org.login}/${r.name}`,
  url: `${base}/repos/${model.org.login}/${r.name}`,
  visibility: r.private ? "private" : "public"
})

const notFound = (doc: string) => ({ status: 404, body: { message: "Not Found", documentation_url: doc, status: "404" } })

// ---- GraphQL -----------------------------------------------------------------------------------

const graphqlSchema = buildSchema(`
  type Query {
    organization(login: String!): Organization
    repository(owner: String!, name: String!): Repository
    rateLimit: RateLimit
  }
  type RateLimit { cost: Int! limit: Int! remaining: Int! resetAt: String! used: Int! nodeCount: Int! }
  type PageInfo { hasNextPage: Boolean! endCursor: String hasPreviousPage: Boolean! startCursor: String }
  type Organization { login: String! id: ID! repositories(first: Int, after: String): RepositoryConnection! }
  type RepositoryConnection { nodes: [Repository!]! edges: [RepositoryEdge!]! pageInfo: PageInfo! totalCount: Int! }
  type RepositoryEdge { cursor: String! node: Repository! }
  type Repository {
    id: ID!
    name: String!
    nameWithOwner: String!
    isPrivate: Boolean!
    collaborators(first: Int, after: String, affiliation: CollaboratorAffiliation): RepositoryCollaboratorConnection
  }
  enum CollaboratorAffiliation { ALL DIRECT OUTSIDE }
  enum RepositoryPermission { ADMIN MAINTAIN WRITE TRIAGE READ }
  enum DefaultRepositoryPermissionField { NONE READ WRITE ADMIN }
  type RepositoryCollaboratorConnection { edges: [RepositoryCollaboratorEdge!]! pageInfo: PageInfo! totalCount: Int! }
  type RepositoryCollaboratorEdge { cursor: String! permission: RepositoryPermission! permissionSources: [PermissionSource!]! node: User! }
  type PermissionSource { permission: DefaultRepositoryPermissionField! roleName: String source: PermissionGranter! }
  union PermissionGranter = Organization | Repository | Team
  type Team { slug: String! name: String! }
  type User { login: String! id: ID! }
`)

const cursorOf = (i: number) => Buffer.from(`cursor:v2:${i}`).toString("base64")
const indexAfter = (after: unknown): number => {
  if (typeof after !== "string") return 0
  const m = /^cursor:v2:(\d+)$/.exec(Buffer.from(after, "base64").toString())
  return m && m[1] !== undefined ? Number(m[1]) + 1 : 0
}
const firstOf = (first: unknown): number => {
  if (first === undefined || first === null) return 100
  const n = Number(first)
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw new GraphQLError("Requesting " + String(first) + " records on the connection exceeds the `first` limit of 100 records.")
  }
  return n
}

/** GitHub's rule: each connection needs (product of the parents' `first`) requests; sum / 100, at least 1. */
export const graphqlCost = (document: DocumentNode, variables: Record<string, unknown>): number => {
  const valueOf = (node: ValueNode): unknown =>
    node.kind === Kind.INT ? Number(node.value) : node.kind === Kind.VARIABLE ? variables[node.name.value] : undefined
  const fragments = new Map<string, SelectionSetNode>()
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def.selectionSet)
  }
  let requests = 0
  const walk = (set: SelectionSetNode, multiplier: number, depth: number): void => {
    if (depth > 20) return
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const firstArg = sel.arguments?.find((a) => a.name.value === "first" || a.name.value === "last")
        let childMultiplier = multiplier
        if (firstArg) {
          const n = Number(valueOf(firstArg.value) ?? 100)
          requests += multiplier
          childMultiplier = multiplier * (Number.isFinite(n) ? n : 100)
        }
        if (sel.selectionSet) walk(sel.selectionSet, childMultiplier, depth + 1)
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        walk(sel.selectionSet, multiplier, depth + 1)
      } else {
        const frag = fragments.get(sel.name.value)
        if (frag) walk(frag, multiplier, depth + 1)
      }
    }
  }
  for (const def of document.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION) walk(def.selectionSet, 1, 0)
  }
  return Math.max(1, Math.round(requests / 100))
}

// ---- the server ------------------------------------------------------------------------------

interface Window {
  start: number
  used: number
}

interface Answer {
  readonly status: number
  readonly body?: unknown
  readonly headers?: Record<string, string>
  /** GraphQL points (REST: 1) */
  readonly cost?: number
}

const sleep = (ms: number) =>
  ms <= 0 ? Effect.void : Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

export const startGitHubSimulator = (options: GitHubSimulatorOptions = {}): Effect.Effect<GitHubSimulator, never, Scope.Scope> =>
  Effect.gen(function*() {
    const org = options.org ?? "acme-corp"
    const token = options.token ?? "ghp_simulated_token"
    const seed = options.seed ?? 42
    const model = buildModel({
      org,
      repos: options.repos ?? 60,
      members: options.members ?? 50,
      teams: options.teams ?? 8,
      outsideCollaborators: options.outsideCollaborators ?? 6,
      events: options.events ?? 200,
      badEvents: options.badEvents ?? 0,
      seed,
      base: options.basePermission
    })
    const faults = {
      latencyMs: options.latencyMs ?? 0,
      latencyJitterMs: options.latencyJitterMs ?? 0,
      errorRate: options.errorRate ?? 0,
      malformedRate: options.malformedRate ?? 0,
      secondaryRateLimitRate: options.secondaryRateLimitRate ?? 0
    }
    const retryAfterSeconds = options.retryAfterSeconds ?? 1
    const limit = options.rateLimit?.limit ?? 5000
    const windowMs = (options.rateLimit?.windowSeconds ?? 3600) * 1000
    const maxConcurrency = options.maxConcurrency ?? 100
    const auditLogEnabled = options.auditLogEnabled ?? true
    const faultRng = mulberry32(seed ^ 0x5bd1e995)
    const eventRng = mulberry32(seed ^ 0x27d4eb2f)

    const windows = new Map<string, Window>()
    const log: Array<RequestLogEntry> = []
    const counters = { requests: 0, rateLimited: 0, notModified: 0, serverErrors: 0, malformed: 0 }
    const spent = new Map<string, number>()
    let inFlight = 0

    const windowOf = (resource: string, now: number): Window => {
      let w = windows.get(resource)
      if (!w || now >= w.start + windowMs) {
        w = { start: now, used: 0 }
        windows.set(resource, w)
      }
      return w
    }
    const rateHeaders = (resource: string, now: number): Record<string, string> => {
      const w = windowOf(resource, now)
      return {
        "x-ratelimit-limit": String(limit),
        "x-ratelimit-remaining": String(Math.max(0, limit - w.used)),
        "x-ratelimit-used": String(w.used),
        "x-ratelimit-reset": String(Math.ceil((w.start + windowMs) / 1000)),
        "x-ratelimit-resource": resource
      }
    }

    const paginate = <A>(items: ReadonlyArray<A>, url: URL, base: string): { page: ReadonlyArray<A>; link?: string } => {
      const per = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page") ?? 30) || 30))
      const page = Math.max(1, Number(url.searchParams.get("page") ?? 1) || 1)
      const last = Math.max(1, Math.ceil(items.length / per))
      const slice = items.slice((page - 1) * per, page * per)
      const at = (p: number) => {
        const u = new URL(url.pathname + url.search, base)
        u.searchParams.set("page", String(p))
        u.searchParams.set("per_page", String(per))
        return u.toString()
      }
      const links: Array<string> = []
      if (page > 1) links.push(`<${at(page - 1)}>; rel="prev"`)
      if (page < last) links.push(`<${at(page + 1)}>; rel="next"`, `<${at(last)}>; rel="last"`)
      if (page > 1) links.push(`<${at(1)}>; rel="first"`)
      return links.length > 0 ? { page: slice, link: links.join(", ") } : { page: slice }
    }

    const list = <A>(items: ReadonlyArray<A>, url: URL, base: string): Answer => {
      const { link, page } = paginate(items, url, base)
      return { status: 200, body: page, ...(link ? { headers: { link } } : {}) }
    }

    const repoByName = (name: string) => model.repos.find((r) => r.name.toLowerCase() === name.toLowerCase())
    const teamBySlug = (slug: string) => model.teams.find((t) => t.slug === slug)

    // ---- audit log
    const auditLog = (url: URL, base: string): Answer => {
      if (!auditLogEnabled) return notFound("https://docs.github.com/rest/orgs/orgs#get-the-audit-log-for-an-organization")
      const per = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page") ?? 30) || 30))
      const asc = url.searchParams.get("order") === "asc"
      let lo = -Infinity
      let hi = Infinity
      let actionFilter: string | undefined
      for (const term of (url.searchParams.get("phrase") ?? "").split(/\s+/).filter((t) => t.length > 0)) {
        const created = /^created:(>=|>|<=|<)?(.+)$/.exec(term)
        if (created && created[2] !== undefined) {
          const range = created[2].split("..")
          const t0 = Date.parse(range[0] ?? "")
          if (range.length === 2) {
            lo = t0
            hi = Date.parse(range[1] ?? "")
          } else if (created[1] === ">=") lo = t0
          else if (created[1] === ">") lo = t0 + 1000
          else if (created[1] === "<=") hi = t0 + 999
          else if (created[1] === "<") hi = t0 - 1
          else {
            lo = t0
            hi = t0 + 86_399_999
          }
          if (Number.isNaN(lo) || Number.isNaN(hi)) return { status: 422, body: { message: "Invalid phrase", documentation_url: "https://docs.github.com/rest" } }
        }
        const action = /^action:(.+)$/.exec(term)
        if (action) actionFilter = action[1]
      }
      const cmp = (a: Entry, ts: number, id: string) => (a.ts !== ts ? a.ts - ts : a.id < id ? -1 : a.id > id ? 1 : 0)
      let matches = model.events.filter((e) => e.ts >= lo && e.ts <= hi && (actionFilter === undefined || e.entry["action"] === actionFilter))
      if (!asc) matches = [...matches].reverse()
      const after = url.searchParams.get("after")
      if (after) {
        try {
          const [ts, id] = JSON.parse(Buffer.from(after, "base64url").toString()) as [number, string]
          matches = matches.filter((e) => asc ? cmp(e, ts, id) > 0 : cmp(e, ts, id) < 0)
        } catch {
          return { status: 422, body: { message: "Invalid cursor", documentation_url: "https://docs.github.com/rest" } }
        }
      }
      const page = matches.slice(0, per)
      const lastEntry = page[page.length - 1]
      const headers: Record<string, string> = {}
      if (matches.length > per && lastEntry) {
        const u = new URL(url.pathname + url.search, base)
        u.searchParams.delete("page")
        u.searchParams.set("after", Buffer.from(JSON.stringify([lastEntry.ts, lastEntry.id])).toString("base64url"))
        u.searchParams.set("before", "")
        headers["link"] = `<${u.toString()}>; rel="next"`
      }
      return { status: 200, body: page.map((e) => e.entry), headers }
    }

    // ---- GraphQL
    const graphqlRoot = (base: string, cost: number, now: number) => {
      const repositoryNode = (r: Repo) => ({
        __typename: "Repository",
        id: `R_${r.id}`,
        name: r.name,
        nameWithOwner: `${org}/${r.name}`,
        isPrivate: r.private,
        collaborators: (args: { first?: number; after?: string; affiliation?: string }) => {
          const first = firstOf(args.first)
          const all = collaboratorsOf(model, r.name, (args.affiliation ?? "ALL").toLowerCase())
          const start = indexAfter(args.after)
          const slice = all.slice(start, start + first)
          return {
            totalCount: all.length,
            pageInfo: {
              hasNextPage: start + first < all.length,
              hasPreviousPage: start > 0,
              startCursor: slice.length > 0 ? cursorOf(start) : null,
              endCursor: slice.length > 0 ? cursorOf(start + slice.length - 1) : null
            },
            edges: slice.map((c, i) => ({
              cursor: cursorOf(start + i),
              permission: gqlRepoPermission[c.level],
              permissionSources: c.sources.map((s) => ({
                permission: gqlDefaultPermission[s.level],
                roleName: roleNames[s.level],
                source: s.graphql
              })),
              node: { login: c.user.login, id: `U_${c.user.id}` }
            }))
          }
        }
      })
      void base
      return {
        organization: (args: { login: string }) =>
          args.login.toLowerCase() !== org.toLowerCase() ? null : {
            __typename: "Organization",
            login: org,
            id: `O_${model.org.id}`,
            repositories: (a: { first?: number; after?: string }) => {
              const first = firstOf(a.first)
              const start = indexAfter(a.after)
              const slice = model.repos.slice(start, start + first)
              return {
                totalCount: model.repos.length,
                nodes: slice.map(repositoryNode),
                edges: slice.map((r, i) => ({ cursor: cursorOf(start + i), node: repositoryNode(r) })),
                pageInfo: {
                  hasNextPage: start + first < model.repos.length,
                  hasPreviousPage: start > 0,
                  startCursor: slice.length > 0 ? cursorOf(start) : null,
                  endCursor: slice.length > 0 ? cursorOf(start + slice.length - 1) : null
                }
              }
            }
          },
        repository: (args: { owner: string; name: string }) => {
          if (args.owner.toLowerCase() !== org.toLowerCase()) return null
          const r = repoByName(args.name)
          if (!r) throw new GraphQLError(`Could not resolve to a Repository with the name '${args.owner}/${args.name}'.`)
          return repositoryNode(r)
        },
        rateLimit: () => {
          const w = windowOf("graphql", now)
          return {
            cost,
            limit,
            used: w.used,
            remaining: Math.max(0, limit - w.used),
            resetAt: new Date(w.start + windowMs).toISOString(),
            nodeCount: 0
          }
        }
      }
    }

    const graphqlAnswer = (bodyText: string, base: string, now: number): Answer => {
      let payload: { query?: unknown; variables?: unknown }
      try {
        payload = JSON.parse(bodyText) as { query?: unknown; variables?: unknown }
      } catch {
        return { status: 400, body: { message: "Problems parsing JSON", documentation_url: "https://docs.github.com/graphql" } }
      }
      if (typeof payload.query !== "string") {
        return { status: 200, body: { errors: [{ message: "A query attribute must be specified and must be a string." }] } }
      }
      const variables = typeof payload.variables === "object" && payload.variables !== null ? payload.variables as Record<string, unknown> : {}
      let document: DocumentNode
      try {
        document = parse(payload.query)
      } catch (e) {
        return { status: 200, body: { errors: [{ message: e instanceof Error ? e.message : String(e) }] } }
      }
      const invalid = validate(graphqlSchema, document)
      if (invalid.length > 0) return { status: 200, body: { errors: invalid.map((e) => ({ message: e.message })) } }
      const cost = graphqlCost(document, variables)
      const w = windowOf("graphql", now)
      if (w.used + cost > limit) {
        counters.rateLimited++
        return {
          status: 200,
          body: { errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded for user ID 1." }] },
          cost: 0
        }
      }
      w.used += cost
      const result = execute({ schema: graphqlSchema, document, rootValue: graphqlRoot(base, cost, now), variableValues: variables })
      if (result instanceof Promise) return { status: 500, body: { message: "async resolver" }, cost }
      return { status: 200, body: result, cost }
    }

    // ---- REST routes (after auth, limits and faults)
    const route = (method: string, url: URL, bodyText: string, base: string, now: number): Answer => {
      const parts = url.pathname.split("/").filter((p) => p.length > 0).map(decodeURIComponent)
      const [a, b, c, d, e, f] = parts
      if (method === "POST" && url.pathname === "/graphql") return graphqlAnswer(bodyText, base, now)
      if (a === "orgs" && b !== undefined) {
        if (b.toLowerCase() !== org.toLowerCase()) return notFound("https://docs.github.com/rest/orgs/orgs#get-an-organization")
        if (method !== "GET") return notFound("https://docs.github.com/rest")
        if (parts.length === 2) {
          return {
            status: 200,
            body: {
              login: org,
              id: model.org.id,
              node_id: `O_${model.org.id}`,
              url: `${base}/orgs/${org}`,
              description: "Simulated organization",
              default_repository_permission: model.org.base,
              members_can_create_repositories: true,
              plan: { name: "enterprise" }
            }
          }
        }
        if (c === "repos" && parts.length === 3) return list(model.repos.map((r) => repoJson(base, model, r)), url, base)
        if (c === "members" && parts.length === 3) {
          const role = url.searchParams.get("role") ?? "all"
          const logins = model.members.filter((m) => role === "all" || (role === "admin") === model.owners.has(m))
          return list(logins.flatMap((l) => { const u = model.users.get(l.toLowerCase()); return u ? [userJson(base, u)] : [] }), url, base)
        }
        if (c === "outside_collaborators" && parts.length === 3) {
          return list(model.outside.flatMap((l) => { const u = model.users.get(l.toLowerCase()); return u ? [userJson(base, u)] : [] }), url, base)
        }
        if (c === "audit-log" && parts.length === 3) return auditLog(url, base)
        if (c === "teams" && parts.length === 3) {
          return list(model.teams.map((t) => ({
            id: t.id,
            node_id: `T_${t.id}`,
            slug: t.slug,
            name: t.name,
            description: null,
            privacy: "closed",
            permission: "pull",
            parent: null,
            url: `${base}/orgs/${org}/teams/${t.slug}`
          })), url, base)
        }
        if (c === "teams" && d !== undefined && parts.length === 5) {
          const team = teamBySlug(d)
          if (!team) return notFound("https://docs.github.com/rest/teams/teams")
          if (e === "members") {
            return list(team.members.flatMap((l) => { const u = model.users.get(l.toLowerCase()); return u ? [userJson(base, u)] : [] }), url, base)
          }
          if (e === "repos") {
            return list([...team.repos.entries()].flatMap(([name, level]) => {
              const r = repoByName(name)
              return r ? [{ ...repoJson(base, model, r), permissions: permissionsJson(level), role_name: roleNames[level] }] : []
            }), url, base)
          }
        }
        return notFound("https://docs.github.com/rest")
      }
      if (a === "repos" && b !== undefined && c !== undefined && d === "collaborators") {
        const repo = b.toLowerCase() === org.toLowerCase() ? repoByName(c) : undefined
        if (!repo) return notFound("https://docs.github.com/rest/collaborators/collaborators")
        if (parts.length === 4 && method === "GET") {
          const affiliation = url.searchParams.get("affiliation") ?? "all"
          return list(collaboratorsOf(model, repo.name, affiliation).map((co) => ({
            ...userJson(base, co.user),
            permissions: permissionsJson(co.level),
            role_name: roleNames[co.level]
          })), url, base)
        }
        if (parts.length === 5 && e !== undefined && f === undefined) {
          const grants = model.direct.get(repo.name) ?? new Map<string, Level>()
          model.direct.set(repo.name, grants)
          const known = model.users.get(e.toLowerCase())
          if (method === "DELETE") {
            if (known) grants.delete(known.login)
            return { status: 204 }
          }
          if (method === "PUT") {
            let permission = "push"
            if (bodyText.trim().length > 0) {
              try {
                const parsed = JSON.parse(bodyText) as { permission?: unknown }
                if (typeof parsed.permission === "string") permission = parsed.permission
              } catch {
                return { status: 400, body: { message: "Problems parsing JSON", documentation_url: "https://docs.github.com/rest" } }
              }
            }
            const level = levelFromParam(permission)
            if (level === undefined) {
              return { status: 422, body: { message: "Validation Failed", errors: [{ resource: "Repository", field: "permission", code: "invalid" }], documentation_url: "https://docs.github.com/rest/collaborators/collaborators#add-a-repository-collaborator" } }
            }
            const user = known ?? (() => {
              const created = { login: e, id: model.nextUserId++ }
              model.users.set(e.toLowerCase(), created)
              return created
            })()
            const hadAccess = sourcesOf(model, user.login, repo.name).length > 0
            const isMember = model.members.includes(user.login)
            if (!isMember && !model.outside.includes(user.login)) model.outside.push(user.login)
            grants.set(user.login, level)
            if (hadAccess || isMember) return { status: 204 }
            return {
              status: 201,
              body: {
                id: 100_000 + model.nextUserId,
                node_id: `RI_${model.nextUserId}`,
                repository: repoJson(base, model, repo),
                invitee: userJson(base, user),
                inviter: { login: "verity-bot", id: 1, type: "User" },
                permissions: permission === "push" ? "write" : permission === "pull" ? "read" : permission,
                created_at: new Date(now).toISOString(),
                expired: false,
                url: `${base}/user/repository_invitations/${100_000 + model.nextUserId}`,
                html_url: `https://github.com/${org}/${repo.name}/invitations`
              }
            }
          }
        }
      }
      if (method === "GET" && url.pathname === "/rate_limit") {
        const resources = Object.fromEntries(["core", "graphql", "audit_log"].map((r) => {
          const h = rateHeaders(r, now)
          return [r, { limit, remaining: Number(h["x-ratelimit-remaining"]), used: Number(h["x-ratelimit-used"]), reset: Number(h["x-ratelimit-reset"]) }]
        }))
        return { status: 200, body: { resources, rate: resources["core"] }, cost: 0 }
      }
      return notFound("https://docs.github.com/rest")
    }

    const resourceOf = (path: string) =>
      path === "/graphql" ? "graphql" : /^\/orgs\/[^/]+\/audit-log$/.test(path) ? "audit_log" : path === "/rate_limit" ? "none" : "core"

    const json = (status: number, body: unknown, headers: Record<string, string>) =>
      HttpServerResponse.text(JSON.stringify(body), { status, headers, contentType: "application/json; charset=utf-8" })

    const statsNow = (): SimulatorStats => ({
      requests: counters.requests,
      rateLimitedResponses: counters.rateLimited,
      budgetSpent: [...spent.values()].reduce((s, n) => s + n, 0),
      budgetByResource: Object.fromEntries(spent),
      notModified: counters.notModified,
      serverErrors: counters.serverErrors,
      malformed: counters.malformed
    })
    const resetStatsNow = () => {
      counters.requests = 0
      counters.rateLimited = 0
      counters.notModified = 0
      counters.serverErrors = 0
      counters.malformed = 0
      spent.clear()
      log.length = 0
    }

    const handler = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const host = request.headers["host"] ?? "127.0.0.1"
      const base = `http://${host}`
      const url = new URL(request.url, base)
      const method = request.method
      const at = Date.now()

      // ground truth: free, no auth, no faults
      if (url.pathname === "/_simulator/truth/grants") return yield* json(200, truthGrantsOf(model), {})
      // the counters, for a client in another process (benchmarks run the simulator as a child)
      if (url.pathname === "/_simulator/stats") return yield* json(200, statsNow(), {})
      if (url.pathname === "/_simulator/reset-stats" && method === "POST") {
        resetStatsNow()
        return yield* json(200, statsNow(), {})
      }
      if (url.pathname === "/_simulator/truth/events") {
        return yield* json(200, model.events.filter((e) => !e.bad).map((e) => truthEventOf(model, e)), {})
      }

      const bodyText = method === "GET" || method === "DELETE" ? "" : yield* request.text.pipe(Effect.orElseSucceed(() => ""))
      const resource = resourceOf(url.pathname)
      counters.requests++
      inFlight++
      const finish = (status: number, headers: Record<string, string>, body: string | undefined, conditional: boolean) => {
        const retryAfter = headers["retry-after"]
        log.push({
          at,
          finishedAt: Date.now(),
          method,
          path: url.pathname + url.search,
          status,
          resource,
          conditional,
          ...(retryAfter !== undefined ? { retryAfter: Number(retryAfter) } : {})
        })
        return body === undefined
          ? HttpServerResponse.empty({ status, headers })
          : HttpServerResponse.text(body, { status, headers, contentType: "application/json; charset=utf-8" })
      }

      const respond = Effect.gen(function*() {
        const conditional = request.headers["if-none-match"] !== undefined
        if (inFlight > maxConcurrency) {
          counters.rateLimited++
          const headers = { ...rateHeaders(resource === "none" ? "core" : resource, Date.now()), "retry-after": String(retryAfterSeconds) }
          return finish(403, headers, JSON.stringify({
            message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
          }), conditional)
        }
        yield* sleep(faults.latencyMs + (faults.latencyJitterMs > 0 ? Math.floor(faultRng() * faults.latencyJitterMs) : 0))
        const now = Date.now()
        const auth = request.headers["authorization"] ?? ""
        const presented = /^(?:bearer|token)\s+(.+)$/i.exec(auth)?.[1]
        if (presented !== token) {
          return finish(401, {}, JSON.stringify({ message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" }), conditional)
        }
        const limited = resource === "none" ? {} : rateHeaders(resource, now)
        if (faults.secondaryRateLimitRate > 0 && faultRng() < faults.secondaryRateLimitRate) {
          counters.rateLimited++
          const status = faultRng() < 0.5 ? 403 : 429
          return finish(status, { ...limited, "retry-after": String(retryAfterSeconds) }, JSON.stringify({
            message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
          }), conditional)
        }
        if (resource === "core" || resource === "audit_log") {
          const w = windowOf(resource, now)
          if (w.used >= limit) {
            counters.rateLimited++
            return finish(403, { ...rateHeaders(resource, now) }, JSON.stringify({
              message: "API rate limit exceeded for user ID 1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)",
              documentation_url: "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"
            }), conditional)
          }
        }
        if (faults.errorRate > 0 && faultRng() < faults.errorRate) {
          counters.serverErrors++
          const status = pick(faultRng, [500, 502, 503])
          return finish(status, limited, JSON.stringify({ message: "Server Error" }), conditional)
        }
        const answer = route(method, url, bodyText, base, now)
        const headers: Record<string, string> = { ...answer.headers }
        let text = answer.body === undefined ? undefined : JSON.stringify(answer.body)
        const cost = answer.cost ?? 1
        if (method === "GET" && answer.status === 200 && text !== undefined) {
          const etag = `W/"${createHash("sha256").update(text).digest("hex").slice(0, 40)}"`
          const ifNoneMatch = request.headers["if-none-match"]
          if (ifNoneMatch !== undefined && ifNoneMatch.split(",").map((s) => s.trim()).includes(etag)) {
            counters.notModified++
            return finish(304, { ...(resource === "none" ? {} : rateHeaders(resource, now)), etag }, undefined, conditional)
          }
          if (faults.malformedRate > 0 && faultRng() < faults.malformedRate) {
            counters.malformed++
            text = text.slice(0, Math.max(1, Math.floor(text.length / 2)))
          } else {
            headers["etag"] = etag
          }
        }
        if (resource !== "none" && cost > 0) {
          if (resource !== "graphql") windowOf(resource, now).used += cost
          spent.set(resource, (spent.get(resource) ?? 0) + cost)
        }
        return finish(answer.status, { ...headers, ...(resource === "none" ? {} : rateHeaders(resource, now)) }, text, conditional)
      })
      return yield* respond.pipe(Effect.ensuring(Effect.sync(() => inFlight--)))
    })

    const app = HttpRouter.empty.pipe(HttpRouter.all("*", handler))
    const ServerLive = HttpServer.serve(app).pipe(
      Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: options.port ?? 0, host: "127.0.0.1" }))
    )
    const context = yield* Layer.build(ServerLive).pipe(Effect.orDie)
    const address = Context.get(context, HttpServer.HttpServer).address
    const url = address._tag === "TcpAddress" ? `http://127.0.0.1:${address.port}` : `unix://${address.path}`

    const simulator: GitHubSimulator = {
      url,
      token,
      org,
      truthGrants: Effect.sync(() => truthGrantsOf(model)),
      truthEvents: Effect.sync(() => model.events.filter((e) => !e.bad).map((e) => truthEventOf(model, e))),
      requestLog: Effect.sync(() => [...log]),
      addAuditEvents: (n) =>
        Effect.sync(() => {
          const added: Array<TruthEvent> = []
          for (let i = 0; i < n; i++) {
            const last = model.events[model.events.length - 1]
            const ts = Math.max(Date.now(), last?.ts ?? 0)
            const e = makeEntry(model, eventRng, ts, false)
            model.events.push(e)
            added.push(truthEventOf(model, e))
          }
          model.events.sort(byTimeThenId)
          return added
        }),
      stats: Effect.sync(statsNow),
      resetStats: Effect.sync(resetStatsNow),
      setFaults: (next) =>
        Effect.sync(() => {
          Object.assign(faults, Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined)))
        })
    }
    return simulator
  })
