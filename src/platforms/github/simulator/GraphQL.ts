/**
 * GitHub's GraphQL API as far as the connector asks it (`POST /graphql`, built on `graphql`):
 * `repository`, `organization.repositories`, `collaborators { edges { permission permissionSources {
 * permission roleName source } node } }` and `rateLimit { cost remaining resetAt }`, with GitHub's cost
 * rule and its RATE_LIMITED answer (HTTP 200) once the window's points are spent.
 */
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
import { collaboratorsOf, gqlDefaultPermission, gqlRepoPermission, type Model, type Repo, repoByName, roleNames } from "./Model.js"
import type { RateWindows } from "./RateWindows.js"
import type { Answer } from "./RestShapes.js"
import type { Stats } from "./Stats.js"
import type { GitHubSimulatorOptions } from "./Types.js"

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
  type RepositoryCollaboratorEdge { cursor: String! permission: RepositoryPermission! permissionSources: [PermissionSource!] node: User! }
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

/** Answer GraphQL queries against `model`, spending points from the `graphql` window. */
export const makeGraphQL = (
  model: Model,
  windows: RateWindows,
  stats: Stats,
  partial?: GitHubSimulatorOptions["graphqlPartialErrors"],
  nullPermissionSources: ReadonlyArray<string> = []
) => {
  const org = model.org.login
  /** logins whose `permissionSources` answer null (nullable in GitHub's schema) */
  const nullSources = new Set(nullPermissionSources.map((l) => l.toLowerCase()))
  /** repository (lower-cased) -> how many more times it fails */
  const partialErrors = new Map((partial?.repos ?? []).map((name) => [name.toLowerCase(), partial?.times ?? 1]))
  const root = (cost: number, now: number) => {
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
            permissionSources: nullSources.has(c.user.login.toLowerCase()) ? null : c.sources.map((s) => ({
              permission: gqlDefaultPermission[s.level],
              roleName: roleNames[s.level],
              source: s.graphql
            })),
            node: { login: c.user.login, id: `U_${c.user.id}` }
          }))
        }
      }
    })
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
        const r = repoByName(model, args.name)
        if (!r) throw new GraphQLError(`Could not resolve to a Repository with the name '${args.owner}/${args.name}'.`)
        // an injected partial error: this repository resolves to null, the rest of the query answers
        const left = partialErrors.get(r.name.toLowerCase()) ?? 0
        if (left > 0) {
          partialErrors.set(r.name.toLowerCase(), left - 1)
          throw new GraphQLError("Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug.")
        }
        return repositoryNode(r)
      },
      rateLimit: () => {
        const w = windows.windowOf("graphql", now)
        return {
          cost,
          limit: windows.limitOf("graphql"),
          used: w.used,
          remaining: Math.max(0, windows.limitOf("graphql") - w.used),
          resetAt: new Date(w.start + windows.windowMs).toISOString(),
          nodeCount: 0
        }
      }
    }
  }

  return (bodyText: string, now: number): Answer => {
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
    const w = windows.windowOf("graphql", now)
    if (w.used + cost > windows.limitOf("graphql")) {
      stats.counters.rateLimited++
      return {
        status: 200,
        body: { errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded for user ID 1." }] },
        cost: 0
      }
    }
    w.used += cost
    const result = execute({ schema: graphqlSchema, document, rootValue: root(cost, now), variableValues: variables })
    if (result instanceof Promise) return { status: 500, body: { message: "async resolver" }, cost }
    return { status: 200, body: result, cost }
  }
}
