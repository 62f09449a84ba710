/**
 * Permission sources from REST, where GraphQL gives none: a null `permissionSources` (nullable in
 * GitHub's schema), or a repository a GraphQL partial error keeps naming after its retries. REST knows
 * the org's owners and members, its base permission, each team's members and its level on each
 * repository, and a repository's direct collaborators (`affiliation=direct`); from these it builds the
 * same `PermissionSource`s GraphQL would give, so one mechanism rule (Privileges.ts) serves both.
 *
 * What REST cannot say: the level of a direct grant (its `permissions` are the collaborator's effective
 * ones). A direct collaborator's grant is taken at that effective level, so where a weaker direct grant
 * hides under a stronger team or org grant, its privileges read as direct (README: "Exact grant mechanisms").
 */
import { Effect, Either, Schema, Stream } from "effect"
import type { ConnectorError } from "../../../domain/Errors.js"
import type { GitHubClient } from "../Client.js"
import { Collaborator, Member, Organization, type PermissionSource } from "../Payloads.js"
import { heldPrivileges, levelOf } from "./Privileges.js"

/** What REST says about the org, read once per pull that needs it. */
export interface OrgFacts {
  readonly org: string
  readonly owners: ReadonlySet<string>
  readonly members: ReadonlySet<string>
  readonly baseLevel: number
  readonly teams: ReadonlyArray<{ readonly slug: string; readonly members: ReadonlySet<string>; readonly repos: ReadonlyMap<string, number> }>
}

const baseLevels: Record<string, number> = { none: 0, read: 1, write: 3, admin: 5 }
const roleNames = ["none", "read", "triage", "write", "maintain", "admin"] as const
/** GitHub's `DefaultRepositoryPermissionField` (maintain and triage round down), as GraphQL would say it */
const fieldOf = ["NONE", "READ", "READ", "WRITE", "WRITE", "ADMIN"] as const

const decodeMember = Schema.decodeUnknownEither(Member, { onExcessProperty: "ignore" })
const decodeOrg = Schema.decodeUnknownEither(Organization, { onExcessProperty: "ignore" })
/** a team's repository: its name and the team's level there (`permissions`, else `role_name`) */
const TeamRepo = Schema.Struct({
  name: Schema.String,
  permissions: Collaborator.fields.permissions,
  role_name: Schema.optional(Schema.String)
})
const decodeTeamRepo = Schema.decodeUnknownEither(TeamRepo, { onExcessProperty: "ignore" })

const lower = (s: string) => s.toLowerCase()

/** Every item of a REST list (all pages), decoded; unreadable items are skipped (they grant nothing here). */
const all = <A>(client: GitHubClient, url: string, what: string, decode: (u: unknown) => Either.Either<A, unknown>) =>
  client.pages("core", url, what).pipe(
    Stream.flatMap((page) => Stream.fromIterable(page)),
    Stream.filterMap((item) => Either.getRight(decode(item))),
    Stream.runCollect,
    Effect.map((chunk) => [...chunk])
  )

export const readOrgFacts = (client: GitHubClient): Effect.Effect<OrgFacts, ConnectorError> =>
  Effect.gen(function*() {
    const { org, pageSize, concurrency } = client.settings
    const per = `per_page=${pageSize}`
    const orgBody = yield* client.getJson("core", `/orgs/${org}`, Schema.Unknown, `read organization ${org}`)
    const base = Either.getOrUndefined(decodeOrg(orgBody.body))?.default_repository_permission ?? "none"
    const owners = yield* all(client, `/orgs/${org}/members?role=admin&${per}`, "list org owners", decodeMember)
    const members = yield* all(client, `/orgs/${org}/members?role=all&${per}`, "list org members", decodeMember)
    const slugs = yield* all(client, `/orgs/${org}/teams?${per}`, "list teams", (u) => Schema.decodeUnknownEither(Schema.Struct({ slug: Schema.String }), { onExcessProperty: "ignore" })(u))
    const teams = yield* Effect.forEach(slugs, ({ slug }) =>
      Effect.zipWith(
        all(client, `/orgs/${org}/teams/${slug}/members?${per}`, `list members of team ${slug}`, decodeMember),
        all(client, `/orgs/${org}/teams/${slug}/repos?${per}`, `list repos of team ${slug}`, decodeTeamRepo),
        (teamMembers, repos) => ({
          slug,
          members: new Set(teamMembers.map((m) => lower(m.login))),
          repos: new Map(repos.map((r) => [lower(r.name), levelOf(heldPrivileges(r.permissions, r.role_name)[0] ?? "PULL")] as const))
        })
      ), { concurrency })
    return {
      org,
      owners: new Set(owners.map((m) => lower(m.login))),
      members: new Set(members.map((m) => lower(m.login))),
      baseLevel: baseLevels[base] ?? 0,
      teams
    }
  })

/** The logins with a direct grant on a repository (lower-cased). */
export const directCollaborators = (client: GitHubClient, repo: string): Effect.Effect<ReadonlySet<string>, ConnectorError> =>
  all(
    client,
    `/repos/${client.settings.org}/${repo}/collaborators?affiliation=direct&per_page=${client.settings.pageSize}`,
    `list direct collaborators of ${client.settings.org}/${repo}`,
    decodeMember
  ).pipe(Effect.map((list) => new Set(list.map((m) => lower(m.login)))))

const source = (level: number, granter: PermissionSource["source"]): PermissionSource => ({
  permission: fieldOf[level] ?? "NONE",
  roleName: roleNames[level] ?? "none",
  source: granter
})

/**
 * The sources REST shows for `login` on `repo`, whose effective level (REST `permissions`) is
 * `effective`: a direct grant, each team of theirs with the repository, and the org (ownership, or the
 * base permission for a member).
 */
export const restSourcesOf = (
  facts: OrgFacts,
  repo: string,
  direct: ReadonlySet<string>,
  login: string,
  effective: number
): ReadonlyArray<PermissionSource> => {
  const who = lower(login)
  const sources: Array<PermissionSource> = []
  if (direct.has(who) && effective > 0) sources.push(source(effective, { __typename: "Repository", nameWithOwner: `${facts.org}/${repo}` }))
  for (const team of facts.teams) {
    const level = team.repos.get(lower(repo))
    if (level !== undefined && team.members.has(who)) sources.push(source(level, { __typename: "Team", slug: team.slug }))
  }
  const orgLevel = Math.max(facts.owners.has(who) ? 5 : 0, facts.members.has(who) ? facts.baseLevel : 0)
  if (orgLevel > 0) sources.push(source(orgLevel, { __typename: "Organization", login: facts.org }))
  return sources
}
