/**
 * The simulated org, deterministic from a seed: members and owners, outside collaborators,
 * repositories, teams with members and repository permissions, a base permission, direct grants, and
 * audit events (some sharing a millisecond). `sourcesOf` and `collaboratorsOf` derive who can do what
 * where, and why, from it: the REST and GraphQL answers and the ground truth all read the same model.
 */
import { createHash } from "node:crypto"
import { mulberry32 } from "../../../sdk/simulator/SeededRandom.js"
import type { GitHubSimulatorOptions } from "./Types.js"

export type Level = 0 | 1 | 2 | 3 | 4 | 5
export const roleNames = ["none", "read", "triage", "write", "maintain", "admin"] as const
export const gqlRepoPermission = ["NONE", "READ", "TRIAGE", "WRITE", "MAINTAIN", "ADMIN"] as const
/** GitHub's DefaultRepositoryPermissionField has only NONE/READ/WRITE/ADMIN: maintain and triage round down */
export const gqlDefaultPermission = ["NONE", "READ", "READ", "WRITE", "WRITE", "ADMIN"] as const
export const privilegeNames = ["", "PULL", "TRIAGE", "PUSH", "MAINTAIN", "ADMIN"] as const
export const baseLevels: Record<string, Level> = { none: 0, read: 1, write: 3, admin: 5 }
export const levelFromParam = (p: string): Level | undefined => {
  const i = ["pull", "triage", "push", "maintain", "admin"].indexOf(p)
  return i < 0 ? undefined : ((i + 1) as Level)
}

export interface User {
  readonly login: string
  readonly id: number
}
export interface Team {
  readonly id: number
  readonly slug: string
  readonly name: string
  readonly members: Array<string>
  readonly repos: Map<string, Level>
}
export interface Repo {
  readonly id: number
  readonly name: string
  readonly private: boolean
  /** the last push (epoch ms): GitHub's repository objects carry it, and it moves their lists' ETags */
  pushedAt: number
}
export interface Entry {
  readonly ts: number
  readonly id: string
  readonly entry: Record<string, unknown>
  readonly bad: boolean
}
export interface Source {
  readonly mechanism: "direct" | "group" | "role"
  readonly level: Level
  readonly graphql: { readonly __typename: "Organization" | "Team" | "Repository"; readonly [k: string]: string }
}

export type BasePermission = "none" | "read" | "write" | "admin"

/** A pending invitation: to a repository (an outside collaborator) or to the org (with teams to join). */
export interface Invitation {
  readonly id: number
  /** the invitee's login; "" for an invitation by email to someone not yet known by login */
  readonly login: string
  /** the address an org invitation by email went to */
  readonly email?: string
  readonly createdAt: number
  readonly inviter: string
  /** a repository invitation: the repository and the level it grants once accepted */
  readonly repo?: { readonly name: string; level: Level }
  /** an org invitation: the role and the teams joined once accepted */
  readonly org?: { role: "admin" | "member"; readonly teams: Array<string> }
}

export interface Model {
  readonly org: { readonly login: string; readonly id: number; base: BasePermission }
  readonly users: Map<string, User>
  readonly members: Array<string>
  readonly owners: Set<string>
  readonly outside: Array<string>
  readonly repos: Array<Repo>
  readonly teams: Array<Team>
  readonly direct: Map<string, Map<string, Level>>
  readonly events: Array<Entry>
  readonly invitations: Map<number, Invitation>
  nextInvitationId: number
  nextUserId: number
  nextEventSeq: number
  /** event ids hash the seed, and times relative to this (the end of the seeded history): a seed's ids are the same on any day */
  readonly idEpoch: number
  readonly seed: number
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

export const pick = <A>(rng: () => number, items: ReadonlyArray<A>): A => items[Math.floor(rng() * items.length)] as A

/** The seeded history spans at most this long, so that it stays inside the audit log's default three-month window. */
const maxHistoryMs = 60 * 86_400_000

/** When the seeded repositories were last pushed to (an hour apart): fixed, so their lists' ETags are stable. */
const reposPushedAt = Date.UTC(2020, 0, 6, 9)

export const buildModel = (
  o: Required<Pick<GitHubSimulatorOptions, "org" | "repos" | "members" | "teams" | "outsideCollaborators" | "events" | "badEvents" | "seed">> & {
    base: GitHubSimulatorOptions["basePermission"]
    /** epoch ms of the newest seeded event (the history ends there) */
    historyEndsAt: number
  }
): Model => {
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
    private: rng() < 0.7,
    pushedAt: reposPushedAt + i * 3_600_000
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
    invitations: new Map(),
    nextInvitationId: 300_001,
    nextUserId,
    nextEventSeq: 0,
    idEpoch: o.historyEndsAt,
    seed: o.seed
  }
  // audit events: some share a millisecond; the history ends at `historyEndsAt` (the clock the simulator runs on)
  const gaps = Array.from({ length: o.events }, () => (rng() < 0.25 ? 0 : 1 + Math.floor(rng() * 4000)))
  const span = gaps.reduce((s, g) => s + g, 0)
  const scale = span > maxHistoryMs ? maxHistoryMs / span : 1
  let ts = o.historyEndsAt - Math.floor(span * scale)
  const badAt = new Set<number>()
  while (badAt.size < Math.min(o.badEvents, o.events)) badAt.add(Math.floor(rng() * o.events))
  for (let i = 0; i < o.events; i++) {
    ts = Math.min(o.historyEndsAt, ts + Math.floor((gaps[i] ?? 0) * scale))
    model.events.push(makeEntry(model, rng, ts, badAt.has(i)))
  }
  model.events.sort(byTimeThenId)
  return model
}

export const makeEntry = (model: Model, rng: () => number, ts: number, bad: boolean): Entry => {
  const [action, onRepo] = pick(rng, actions)
  const actor = model.members.length > 0 ? pick(rng, model.members) : "ghost"
  const id = entryId(model, ts)
  const entry: Record<string, unknown> = {
    "@timestamp": bad ? String(ts) : ts,
    _document_id: id,
    action,
    actor,
    actor_id: model.users.get(actor.toLowerCase())?.id ?? 0,
    created_at: ts,
    operation_type: action.endsWith("create") || action.endsWith("add_member") ? "create" : action.endsWith("access") || action === "git.clone" ? "access" : "modify",
    org: model.org.login,
    org_id: model.org.id
  }
  if (onRepo && model.repos.length > 0) entry["repo"] = `${model.org.login}/${pick(rng, model.repos).name}`
  if (action.includes("member")) entry["user"] = pick(rng, [...model.members, ...model.outside])
  return { ts, id, entry, bad }
}

/**
 * A new entry's id: unique in the org, stable for a seed. It hashes the time relative to the history's end:
 * with an absolute time, the order of two seeded entries that share a millisecond (GitHub orders them by
 * id) would change with the day the simulator starts on.
 */
export const entryId = (model: Model, ts: number) =>
  createHash("sha1").update(`${model.org.login}:${model.seed}:${model.nextEventSeq++}:${ts - model.idEpoch}`).digest("base64url").slice(0, 22)

export const byTimeThenId = (x: Entry, y: Entry) => x.ts - y.ts || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)

/** A repository by name (GitHub's names are case-insensitive). */
export const repoByName = (model: Model, name: string): Repo | undefined =>
  model.repos.find((r) => r.name.toLowerCase() === name.toLowerCase())

export const sourcesOf = (model: Model, login: string, repo: string): ReadonlyArray<Source> => {
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

export interface Collab {
  readonly user: User
  readonly level: Level
  readonly sources: ReadonlyArray<Source>
}

export const collaboratorsOf = (model: Model, repo: string, affiliation: string): ReadonlyArray<Collab> => {
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
