/**
 * The permissions stream: one PermissionSnapshot per privilege a user holds on a repository, with the
 * mechanism that grants it (direct, else group, else role). See README.md for the design:
 *   - REST, conditionally (ETags), is the change detector and says WHICH privileges a user holds
 *     (`permissions` flags, cumulative);
 *   - GraphQL `permissionSources` says WHERE each comes from, and is asked only for repositories whose
 *     inputs changed, up to 100 repositories per query (about 1 rate-limit point);
 *   - the derived grants are cached per repository, keyed by the ETags they were derived from.
 */
import { Chunk, Clock, Duration, Effect, Either, Option, Schema, Stream } from "effect"
import type { SourceRecord as SourceRecordType } from "../../../sdk/Connector.js"
import { SourceRecord } from "../../../sdk/Connector.js"
import type { GrantMechanism } from "../../../domain/Access.js"
import { ConnectorError } from "../../../domain/Errors.js"
import { makePlatform } from "../../../domain/Ids.js"
import { PermissionSnapshot } from "../../../domain/PermissionSnapshot.js"
import type { CachedPage, GitHubClient } from "../Client.js"
import { Collaborator, CollaboratorEdge, type PermissionSource, RepositoryCollaborators } from "../Payloads.js"
import { platform } from "../Settings.js"

const githubPlatform = makePlatform(platform)

/** Privileges strongest first, with their level (each implies every lower level). */
export const privilegeLevels = [["ADMIN", 5], ["MAINTAIN", 4], ["PUSH", 3], ["TRIAGE", 2], ["PULL", 1]] as const
export type GitHubPrivilege = typeof privilegeLevels[number][0]

const roleLevels: Record<string, number> = {
  admin: 5,
  maintain: 4,
  write: 3,
  push: 3,
  triage: 2,
  read: 1,
  pull: 1,
  none: 0
}

/** The level a permission source grants: its `roleName` when it names a base role, else `permission`. */
export const sourceLevel = (source: PermissionSource): number => {
  const byRole = source.roleName ? roleLevels[source.roleName.toLowerCase()] : undefined
  return byRole ?? roleLevels[source.permission.toLowerCase()] ?? 0
}

export const sourceMechanism = (source: PermissionSource): GrantMechanism =>
  source.source.__typename === "Repository" ? "direct" : source.source.__typename === "Team" ? "group" : "role"

const mechanismOrder: ReadonlyArray<GrantMechanism> = ["direct", "group", "role"]

/** For a privilege of `level`: the first of direct, group, role among sources granting at least that level. */
export const mechanismFor = (sources: ReadonlyArray<PermissionSource>, level: number): Option.Option<GrantMechanism> =>
  Option.fromNullable(
    mechanismOrder.find((m) => sources.some((s) => sourceMechanism(s) === m && sourceLevel(s) >= level))
  )

/** The privileges the REST `permissions` flags say a collaborator holds, strongest first. */
export const heldPrivileges = (permissions: Collaborator["permissions"]): ReadonlyArray<GitHubPrivilege> => {
  const held: Array<GitHubPrivilege> = []
  if (permissions.admin) held.push("ADMIN")
  if (permissions.maintain) held.push("MAINTAIN")
  if (permissions.push) held.push("PUSH")
  if (permissions.triage) held.push("TRIAGE")
  if (permissions.pull) held.push("PULL")
  return held
}
const levelOf = (p: GitHubPrivilege): number => privilegeLevels.find(([name]) => name === p)?.[1] ?? 0

/** What we keep of a REST collaborator: its login and privileges, or why it could not be read. */
type RestCollaborator =
  | { readonly _tag: "ok"; readonly login: string; readonly held: ReadonlyArray<GitHubPrivilege> }
  | { readonly _tag: "bad"; readonly reason: string; readonly original: unknown }

/** A derived grant, cached per repository. */
type CachedGrant =
  | { readonly _tag: "grant"; readonly login: string; readonly privilege: GitHubPrivilege; readonly mechanism: GrantMechanism }
  | { readonly _tag: "bad"; readonly reason: string; readonly original: unknown }

interface RepoCache {
  readonly signature: string
  readonly grants: ReadonlyArray<CachedGrant>
}

/** The connector instance's memory: ETag pages and derived grants (one per process). */
export interface PermissionsState {
  readonly pages: Map<string, CachedPage<unknown>>
  readonly repoPages: Map<string, CachedPage<ReadonlyArray<string>>>
  readonly collaboratorPages: Map<string, CachedPage<ReadonlyArray<RestCollaborator>>>
  readonly slugPages: Map<string, CachedPage<ReadonlyArray<string>>>
  readonly repos: Map<string, RepoCache>
  lastFullRefresh: number | undefined
}

export const makePermissionsState = (): PermissionsState => ({
  pages: new Map(),
  repoPages: new Map(),
  collaboratorPages: new Map(),
  slugPages: new Map(),
  repos: new Map(),
  lastFullRefresh: undefined
})

export interface PermissionsOptions {
  /** repositories per GraphQL query (1..100); bounds the REST collaborators held while waiting */
  readonly graphqlBatch: number
  /**
   * how long a partial GraphQL batch waits for more changed repositories. Each query costs at least
   * one point whatever its size, so batches are cut by count; the window only bounds the wait.
   */
  readonly graphqlBatchWindow: Duration.DurationInput
  /** ask GraphQL for every repository at least this often, whatever the ETags say (see README) */
  readonly fullRefreshEvery: Duration.DurationInput
}

export const defaultPermissionsOptions: PermissionsOptions = {
  graphqlBatch: 100,
  graphqlBatchWindow: "10 seconds",
  fullRefreshEvery: "24 hours"
}

const decodeCollaborator = Schema.decodeUnknownEither(Collaborator, { errors: "all", onExcessProperty: "ignore" })
const decodeEdge = Schema.decodeUnknownEither(CollaboratorEdge, { errors: "all", onExcessProperty: "ignore" })
const decodeRepository = Schema.decodeUnknownEither(RepositoryCollaborators, { errors: "all", onExcessProperty: "ignore" })

const projectCollaborators = (items: ReadonlyArray<unknown>): ReadonlyArray<RestCollaborator> =>
  items.map((item) =>
    Either.match(decodeCollaborator(item), {
      onLeft: (e) => ({ _tag: "bad", reason: `collaborator: ${String(e.message)}`, original: item }) as const,
      onRight: (c) => ({ _tag: "ok", login: c.login, held: heldPrivileges(c.permissions) }) as const
    })
  )

const loginsOf = (field: "slug" | "name") => (items: ReadonlyArray<unknown>): ReadonlyArray<string> =>
  items.flatMap((item) => {
    if (typeof item !== "object" || item === null) return []
    const value = (item as Record<string, unknown>)[field]
    return typeof value === "string" ? [value] : []
  })

/** Walk every page of a list conditionally; the stream's elements are the pages. */
const conditionalPages = <V>(
  client: GitHubClient,
  cache: Map<string, CachedPage<V>>,
  firstUrl: string,
  project: (items: ReadonlyArray<unknown>) => V,
  what: string
) =>
  Stream.paginateEffect(firstUrl, (url) =>
    client.conditional(cache, url, project, what).pipe(Effect.map((page) => [page, page.next] as const))
  )

const collabSelection = (after: string) =>
  `nameWithOwner collaborators(first: 100, affiliation: ALL${after}) { pageInfo { hasNextPage endCursor } ` +
  `edges { permission permissionSources { permission roleName source { __typename ` +
  `... on Organization { login } ... on Team { slug } ... on Repository { nameWithOwner } } } node { login } } }`

interface RepoCheck {
  readonly name: string
  readonly fullName: string
  readonly signature: string
  readonly collaborators: ReadonlyArray<RestCollaborator>
  readonly cached: Option.Option<RepoCache>
}

export const permissionsStream = (
  client: GitHubClient,
  state: PermissionsState,
  options: PermissionsOptions = defaultPermissionsOptions
): Stream.Stream<SourceRecordType<PermissionSnapshot>, ConnectorError> =>
  Stream.unwrap(Effect.gen(function*() {
    const { org, pageSize, concurrency } = client.settings
    const per = `per_page=${pageSize}`

    // Org-wide inputs: owners, base permission, teams and their members and repos. Any change there
    // can move a mechanism without changing a repository's collaborator list, so it refreshes all.
    const orgPage = yield* client.conditional(state.pages, `/orgs/${org}`, () => null, `read organization ${org}`)
    const anyChanged = <V>(s: Stream.Stream<{ readonly changed: boolean; readonly value: V }, ConnectorError>) =>
      Stream.runFold(s, false, (acc, p) => acc || p.changed)
    const ownersChanged = yield* anyChanged(
      conditionalPages(client, state.pages, `/orgs/${org}/members?role=admin&${per}`, () => null, "list org owners")
    )
    let teamsChanged = false
    const teamInputsChanged = yield* conditionalPages(client, state.slugPages, `/orgs/${org}/teams?${per}`, loginsOf("slug"), "list teams")
      .pipe(
        Stream.tap((page) => Effect.sync(() => {
          if (page.changed) teamsChanged = true
        })),
        Stream.flatMap((page) => Stream.fromIterable(page.value)),
        Stream.mapEffect((slug) =>
          Effect.zipWith(
            anyChanged(conditionalPages(client, state.pages, `/orgs/${org}/teams/${slug}/members?${per}`, () => null, `list members of team ${slug}`)),
            anyChanged(conditionalPages(client, state.pages, `/orgs/${org}/teams/${slug}/repos?${per}`, () => null, `list repos of team ${slug}`)),
            (a, b) => a || b
          ), { concurrency }),
        Stream.runFold(false, (acc, changed) => acc || changed)
      )
    const now = yield* Clock.currentTimeMillis
    const stale = state.lastFullRefresh === undefined ||
      now - state.lastFullRefresh >= Duration.toMillis(Duration.decode(options.fullRefreshEvery))
    const full = orgPage.changed || ownersChanged || teamsChanged || teamInputsChanged || stale
    if (full) {
      yield* Effect.logDebug("github: org-wide inputs changed or refresh due; asking GraphQL for every repository")
    }
    let allOk = true

    const checkRepo = (name: string) =>
      conditionalPages(
        client,
        state.collaboratorPages,
        `/repos/${org}/${name}/collaborators?affiliation=all&${per}`,
        projectCollaborators,
        `list collaborators of ${org}/${name}`
      ).pipe(
        Stream.runFold({ etags: [] as Array<string>, collaborators: [] as Array<RestCollaborator> }, (acc, page) => {
          acc.etags.push(page.etag)
          for (const c of page.value) acc.collaborators.push(c)
          return acc
        }),
        Effect.map(({ collaborators, etags }): RepoCheck => {
          const signature = etags.some((e) => e === "") ? "" : etags.join("|")
          const cached = Option.fromNullable(state.repos.get(name)).pipe(
            Option.filter((c) => !full && signature !== "" && c.signature === signature)
          )
          return { name, fullName: `${org}/${name}`, signature, collaborators, cached }
        })
      )

    /** One GraphQL query for up to 100 repositories; follow-ups for collaborator lists over 100. */
    const fetchSources = (repos: ReadonlyArray<RepoCheck>) =>
      Effect.gen(function*() {
        const result = new Map<string, Map<string, Either.Either<ReadonlyArray<PermissionSource>, { reason: string; original: unknown }>>>()
        if (repos.length === 0) return result
        const vars: Record<string, unknown> = { owner: org }
        const decls = ["$owner: String!"]
        const fields = repos.map((repo, i) => {
          vars[`n${i}`] = repo.name
          decls.push(`$n${i}: String!`)
          return `r${i}: repository(owner: $owner, name: $n${i}) { ${collabSelection("")} }`
        })
        const query = `query(${decls.join(", ")}) { ${fields.join(" ")} rateLimit { cost remaining resetAt } }`
        const data = yield* client.graphql(query, vars, `read permission sources of ${repos.length} repositories`)
        for (const [i, repo] of repos.entries()) {
          const perUser = new Map<string, Either.Either<ReadonlyArray<PermissionSource>, { reason: string; original: unknown }>>()
          result.set(repo.name, perUser)
          let node: unknown = data[`r${i}`]
          for (;;) {
            const decoded = decodeRepository(node)
            if (Either.isLeft(decoded) || decoded.right === null || decoded.right.collaborators === null) {
              return yield* new ConnectorError({
                reason: "decode",
                platform,
                message: `${platform}: GraphQL returned no collaborators for ${repo.fullName} (does the token have admin access to it?)`
              })
            }
            const connection = decoded.right.collaborators
            for (const edge of connection.edges) {
              Either.match(decodeEdge(edge), {
                onLeft: (e) => {
                  const login = typeof edge === "object" && edge !== null ? JSON.stringify(edge).slice(0, 80) : String(edge)
                  perUser.set(`!bad:${login}`, Either.left({ reason: `permission sources: ${e.message}`, original: edge }))
                },
                onRight: (e) => perUser.set(e.node.login.toLowerCase(), Either.right(e.permissionSources))
              })
            }
            if (!connection.pageInfo.hasNextPage || connection.pageInfo.endCursor === null) break
            const more = yield* client.graphql(
              `query($owner: String!, $name: String!, $after: String) { repository(owner: $owner, name: $name) { ${
                collabSelection(", after: $after")
              } } rateLimit { cost remaining resetAt } }`,
              { owner: org, name: repo.name, after: connection.pageInfo.endCursor },
              `read more permission sources of ${repo.fullName}`
            )
            node = more["repository"]
          }
        }
        return result
      })

    const derive = (
      repo: RepoCheck,
      sources: Map<string, Either.Either<ReadonlyArray<PermissionSource>, { reason: string; original: unknown }>>
    ): ReadonlyArray<CachedGrant> => {
      const grants: Array<CachedGrant> = []
      for (const [key, value] of sources) {
        if (key.startsWith("!bad:") && Either.isLeft(value)) grants.push({ _tag: "bad", ...value.left })
      }
      for (const c of repo.collaborators) {
        if (c._tag === "bad") {
          grants.push(c)
          continue
        }
        const found = sources.get(c.login.toLowerCase())
        if (found === undefined || Either.isLeft(found)) {
          grants.push({
            _tag: "bad",
            reason: `${repo.fullName}: GraphQL lists no permission sources for collaborator ${c.login}`,
            original: { repo: repo.fullName, login: c.login, privileges: c.held }
          })
          continue
        }
        for (const privilege of c.held) {
          const mechanism = mechanismFor(found.right, levelOf(privilege))
          if (Option.isNone(mechanism)) {
            grants.push({
              _tag: "bad",
              reason: `${repo.fullName}: no permission source of ${c.login} grants ${privilege}`,
              original: { repo: repo.fullName, login: c.login, privilege, permissionSources: found.right }
            })
          } else {
            grants.push({ _tag: "grant", login: c.login, privilege, mechanism: mechanism.value })
          }
        }
      }
      return grants
    }

    const emit = (fullName: string, grants: ReadonlyArray<CachedGrant>, at: Date) =>
      grants.map((g): SourceRecordType<PermissionSnapshot> => {
        if (g._tag === "bad") return SourceRecord.Invalid({ reason: g.reason, original: g.original })
        const original = { login: g.login, repo: fullName, privilege: g.privilege, mechanism: g.mechanism }
        try {
          return SourceRecord.Valid({
            value: new PermissionSnapshot({
              platform: githubPlatform,
              principalRef: g.login,
              assetRef: fullName,
              privilege: g.privilege as PermissionSnapshot["privilege"],
              grantMechanism: g.mechanism,
              snapshotAt: at
            }),
            original
          })
        } catch (cause) {
          return SourceRecord.Invalid({ reason: String(cause), original })
        }
      })

    const resolveBatch = (batch: Chunk.Chunk<RepoCheck>) =>
      Effect.gen(function*() {
        const stale = Chunk.toReadonlyArray(batch).filter((r) => Option.isNone(r.cached))
        const sources = yield* fetchSources(stale)
        const at = new Date(yield* Clock.currentTimeMillis)
        const out: Array<SourceRecordType<PermissionSnapshot>> = []
        for (const repo of batch) {
          let grants: ReadonlyArray<CachedGrant>
          if (Option.isSome(repo.cached)) {
            grants = repo.cached.value.grants
          } else {
            grants = derive(repo, sources.get(repo.name) ?? new Map())
            // a repository with unreadable records is asked again next time
            const clean = grants.every((g) => g._tag === "grant")
            if (clean && repo.signature !== "") state.repos.set(repo.name, { signature: repo.signature, grants })
            else {
              state.repos.delete(repo.name)
              allOk = false
            }
          }
          for (const r of emit(repo.fullName, grants, at)) out.push(r)
        }
        return out
      })

    const graphqlBatch = Math.max(1, Math.min(100, options.graphqlBatch))
    const seen = new Set<string>()
    return conditionalPages(client, state.repoPages, `/orgs/${org}/repos?type=all&${per}`, loginsOf("name"), `list repositories of ${org}`)
      .pipe(
        Stream.flatMap((page) => Stream.fromIterable(page.value)),
        Stream.tap((name) => Effect.sync(() => seen.add(name))),
        Stream.mapEffect(checkRepo, { concurrency }),
        // REST checks go on while a GraphQL query resolves (bounded: at most two batches ahead)
        Stream.buffer({ capacity: 2 * graphqlBatch }),
        Stream.groupedWithin(graphqlBatch, options.graphqlBatchWindow),
        // two queries in flight at most; order is kept
        Stream.mapEffect(resolveBatch, { concurrency: 2 }),
        Stream.flattenIterables,
        Stream.onEnd(Effect.sync(() => {
          if (full && allOk) state.lastFullRefresh = now
          // forget repositories that are gone (deleted, transferred, or no longer visible)
          for (const name of [...state.repos.keys()]) if (!seen.has(name)) state.repos.delete(name)
        }))
      )
  }))
