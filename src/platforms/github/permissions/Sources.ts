/**
 * Stage 3: where each privilege comes from. One GraphQL query asks `permissionSources` for up to 100
 * repositories (about 1 rate-limit point), with follow-up queries for collaborator lists over 100.
 * Each edge is decoded on its own, so one unreadable edge is dead-lettered alone. A partial answer
 * (GitHub names the repositories it could not resolve) is asked again for those repositories only; one
 * still named after the retries gets its sources from REST (RestSources.ts), as does a collaborator whose
 * `permissionSources` is null.
 */
import { Effect, Either, Option, Schema } from "effect"
import { ConnectorError } from "../../../domain/Errors.js"
import type { GitHubClient } from "../Client.js"
import { CollaboratorEdge, type PermissionSource, RepositoryCollaborators } from "../Payloads.js"
import { platform } from "../Settings.js"
import { levelOf } from "./Privileges.js"
import type { RepoCheck } from "./RepoCheck.js"
import { directCollaborators, type OrgFacts, readOrgFacts, restSourcesOf } from "./RestSources.js"

/**
 * Per login (lower-cased): its permission sources (from GraphQL, else REST), or why its edge could not
 * be read (keyed `!bad:...`).
 */
export type SourcesByLogin = Map<string, Either.Either<ReadonlyArray<PermissionSource>, { reason: string; original: unknown }>>

const decodeEdge = Schema.decodeUnknownEither(CollaboratorEdge, { errors: "all", onExcessProperty: "ignore" })
const decodeRepository = Schema.decodeUnknownEither(RepositoryCollaborators, { errors: "all", onExcessProperty: "ignore" })

const collabSelection = (after: string) =>
  `nameWithOwner collaborators(first: 100, affiliation: ALL${after}) { pageInfo { hasNextPage endCursor } ` +
  `edges { permission permissionSources { permission roleName source { __typename ` +
  `... on Organization { login } ... on Team { slug } ... on Repository { nameWithOwner } } } node { login } } }`

/** Queries again for repositories a partial GraphQL answer left out (then their sources come from REST). */
const partialRetries = 3

/**
 * Per repository, its collaborators' sources; `fromRest` names the repositories GraphQL never answered
 * for (their grants are not cached, so the next pull asks GraphQL again).
 */
export interface Sources {
  readonly byRepo: ReadonlyMap<string, SourcesByLogin>
  readonly fromRest: ReadonlySet<string>
}

/**
 * REST sources for the collaborators of a repository GraphQL said nothing usable of (`logins`, lower-cased),
 * set in `perUser`. REST's view of the org is read once per fallback made, and only when first needed.
 */
export const makeRestFallback = (client: GitHubClient) => {
  let facts: OrgFacts | undefined
  const orgFacts = Effect.suspend(() => facts !== undefined ? Effect.succeed(facts) : Effect.tap(readOrgFacts(client), (f) => { facts = f }))
  return (repo: RepoCheck, logins: ReadonlySet<string>, perUser: SourcesByLogin): Effect.Effect<void, ConnectorError> =>
    Effect.gen(function*() {
      const known = yield* orgFacts
      const direct = yield* directCollaborators(client, repo.name)
      for (const c of repo.collaborators) {
        if (c._tag !== "ok" || !logins.has(c.login.toLowerCase())) continue
        const effective = Option.match(Option.fromNullable(c.held[0]), { onNone: () => 0, onSome: levelOf })
        perUser.set(c.login.toLowerCase(), Either.right(restSourcesOf(known, repo.name, direct, c.login, effective)))
      }
    })
}

/** One GraphQL query for up to 100 repositories; follow-ups for collaborator lists over 100. */

export const fetchSources = (client: GitHubClient) => (repos: ReadonlyArray<RepoCheck>): Effect.Effect<Sources, ConnectorError> => {
  const { org } = client.settings
  return Effect.gen(function*() {
    const result = new Map<string, SourcesByLogin>()
    const fromRest = new Set<string>()
    if (repos.length === 0) return { byRepo: result, fromRest }
    const query = (batch: ReadonlyArray<RepoCheck>) => {
      const vars: Record<string, unknown> = { owner: org }
      const decls = ["$owner: String!"]
      const fields = batch.map((repo, i) => {
        vars[`n${i}`] = repo.name
        decls.push(`$n${i}: String!`)
        return `r${i}: repository(owner: $owner, name: $n${i}) { ${collabSelection("")} }`
      })
      return client.graphql(`query(${decls.join(", ")}) { ${fields.join(" ")} rateLimit { cost remaining resetAt } }`, vars, `read permission sources of ${batch.length} repositories`)
    }
    // a partial error leaves its repositories null: only those are asked again
    const nodes = new Map<string, unknown>()
    let missing: ReadonlyArray<RepoCheck> = repos
    for (let attempt = 0; attempt <= partialRetries && missing.length > 0; attempt++) {
      const data = yield* query(missing)
      for (const [i, repo] of missing.entries()) if (data[`r${i}`] != null) nodes.set(repo.name, data[`r${i}`])
      missing = missing.filter((r) => !nodes.has(r.name))
      if (missing.length > 0 && attempt < partialRetries) {
        yield* Effect.logWarning(`github: GraphQL could not answer for ${missing.map((r) => r.fullName).join(", ")}; asking again for those`)
      }
    }
    if (missing.length > 0) {
      yield* Effect.logWarning(
        `github: GraphQL still could not answer for ${missing.map((r) => r.fullName).join(", ")} after ${partialRetries} retries; ` +
          "their grant mechanisms come from REST (direct collaborators, teams, owners, base permission)"
      )
    }
    const restFallback = makeRestFallback(client)
    for (const repo of repos) {
      const perUser: SourcesByLogin = new Map()
      result.set(repo.name, perUser)
      if (!nodes.has(repo.name)) {
        fromRest.add(repo.name)
        yield* restFallback(repo, new Set(repo.collaborators.flatMap((c) => c._tag === "ok" ? [c.login.toLowerCase()] : [])), perUser)
        continue
      }
      const withoutSources = new Set<string>()
      let node: unknown = nodes.get(repo.name) ?? null
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
            onRight: (e) => {
              if (e.permissionSources === null) withoutSources.add(e.node.login.toLowerCase())
              else perUser.set(e.node.login.toLowerCase(), Either.right(e.permissionSources))
            }
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
      if (withoutSources.size > 0) {
        yield* Effect.logDebug("github: GraphQL gave no permission sources for some collaborators; asking REST").pipe(
          Effect.annotateLogs({ repo: repo.fullName, collaborators: withoutSources.size })
        )
        yield* restFallback(repo, withoutSources, perUser)
      }
    }
    return { byRepo: result, fromRest }
  })
}
