/**
 * The GitHub API payloads the connector reads, as `effect/Schema`s. Only the fields we use are
 * declared; excess properties are ignored when decoding (GitHub adds fields over time).
 */
import { Schema } from "effect"

export const Organization = Schema.Struct({
  login: Schema.String,
  id: Schema.Number,
  default_repository_permission: Schema.optional(Schema.String)
})

export const Repository = Schema.Struct({
  id: Schema.Number,
  name: Schema.String,
  full_name: Schema.String,
  private: Schema.optional(Schema.Boolean)
})
export type Repository = typeof Repository.Type

/** `permissions` is cumulative (admin implies the rest); older payloads carry only admin/push/pull. */
export const CollaboratorPermissions = Schema.Struct({
  admin: Schema.optional(Schema.Boolean),
  maintain: Schema.optional(Schema.Boolean),
  push: Schema.optional(Schema.Boolean),
  triage: Schema.optional(Schema.Boolean),
  pull: Schema.optional(Schema.Boolean)
})

export const Collaborator = Schema.Struct({
  login: Schema.NonEmptyString,
  id: Schema.optional(Schema.Number),
  /** optional in GitHub's schema: without it, `role_name` says what the collaborator holds */
  permissions: Schema.optional(CollaboratorPermissions),
  role_name: Schema.optional(Schema.String)
})
export type Collaborator = typeof Collaborator.Type

export const Member = Schema.Struct({ login: Schema.String, id: Schema.optional(Schema.Number) })
/** `GET /users/{username}`: the id an org invitation names its invitee by */
export const PublicUser = Schema.Struct({ login: Schema.String, id: Schema.Number })
/** `GET /orgs/{org}/memberships/{username}`: active or invited, and the role */
export const OrgMembership = Schema.Struct({ state: Schema.Literal("active", "pending"), role: Schema.String })
/** An org invitation (`POST`/`GET /orgs/{org}/invitations`): by login, or by email before the invitee has one */
export const OrgInvitation = Schema.Struct({
  id: Schema.Number,
  login: Schema.NullOr(Schema.String),
  email: Schema.NullOr(Schema.String),
  role: Schema.String
})
export const Team = Schema.Struct({ slug: Schema.String, id: Schema.optional(Schema.Number), name: Schema.optional(Schema.String) })

/** A page decoded as an array of unknown items: each item is decoded on its own so one bad record is dead-lettered alone. */
export const UnknownPage = Schema.Array(Schema.Unknown)

/** One audit-log entry. `@timestamp` is epoch ms; `org` is sometimes an array. */
export const AuditEntry = Schema.Struct({
  "@timestamp": Schema.Number.pipe(Schema.int(), Schema.nonNegative()),
  _document_id: Schema.optional(Schema.NonEmptyString),
  action: Schema.NonEmptyString,
  actor: Schema.optional(Schema.String),
  repo: Schema.optional(Schema.String),
  org: Schema.optional(Schema.Union(Schema.String, Schema.Array(Schema.String))),
  created_at: Schema.optional(Schema.Number)
})
export type AuditEntry = typeof AuditEntry.Type

// The GraphQL payloads (permission sources of repository collaborators)

export const PermissionSource = Schema.Struct({
  /** GitHub's `DefaultRepositoryPermissionField`: NONE, READ, WRITE, ADMIN (maintain/triage round down) */
  permission: Schema.String,
  /** the role's name (`maintain`, `triage`, ..., or a custom role); exact where `permission` is coarse */
  roleName: Schema.optional(Schema.NullOr(Schema.String)),
  source: Schema.Struct({
    __typename: Schema.Literal("Organization", "Team", "Repository", "Enterprise"),
    login: Schema.optional(Schema.String),
    slug: Schema.optional(Schema.String),
    nameWithOwner: Schema.optional(Schema.String)
  })
})
export type PermissionSource = typeof PermissionSource.Type

export const CollaboratorEdge = Schema.Struct({
  permission: Schema.String,
  /** nullable in GitHub's schema: null says nothing of where the privileges come from */
  permissionSources: Schema.NullOr(Schema.Array(PermissionSource)),
  node: Schema.Struct({ login: Schema.NonEmptyString })
})
export type CollaboratorEdge = typeof CollaboratorEdge.Type

export const PageInfo = Schema.Struct({ hasNextPage: Schema.Boolean, endCursor: Schema.NullOr(Schema.String) })

export const CollaboratorConnection = Schema.Struct({
  pageInfo: PageInfo,
  /** edges stay unknown here: each edge is decoded on its own */
  edges: Schema.Array(Schema.Unknown)
})

export const RepositoryCollaborators = Schema.NullOr(Schema.Struct({
  nameWithOwner: Schema.String,
  collaborators: Schema.NullOr(CollaboratorConnection)
}))

export const RateLimitInfo = Schema.Struct({ cost: Schema.Number, remaining: Schema.Number, resetAt: Schema.String })

export const GraphQLError = Schema.Struct({
  message: Schema.String,
  type: Schema.optional(Schema.String),
  /** where a partial error struck (the alias first): the rest of `data` is good */
  path: Schema.optional(Schema.Array(Schema.Union(Schema.String, Schema.Number)))
})

/** A GraphQL response: `data` keyed by alias (decoded per alias), and/or `errors`. */
export const GraphQLResponse = Schema.Struct({
  data: Schema.optional(Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Unknown }))),
  errors: Schema.optional(Schema.Array(GraphQLError))
})
