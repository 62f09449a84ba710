/**
 * The MockApp API's payloads, shared by its simulator (which serves them, and derives its OpenAPI
 * document from them) and its client (which decodes them). Snake_case, as the API speaks.
 */
import { Schema } from "effect"

export const UserStatus = Schema.Literal("active", "inactive", "deleted")
export type UserStatus = typeof UserStatus.Type

export const User = Schema.Struct({
  id: Schema.String,
  email: Schema.String,
  name: Schema.String,
  status: UserStatus,
  /** ISO-8601 UTC, or null for a user who never logged in */
  last_login: Schema.NullOr(Schema.String),
  created_at: Schema.String
}).annotations({ identifier: "User" })
export type User = typeof User.Type

export const UserPage = Schema.Struct({
  items: Schema.Array(User),
  total: Schema.Int,
  has_more: Schema.Boolean
}).annotations({ identifier: "UserPage" })
export type UserPage = typeof UserPage.Type

export const NewUser = Schema.Struct({
  email: Schema.NonEmptyTrimmedString,
  name: Schema.String,
  status: Schema.optional(UserStatus)
}).annotations({ identifier: "NewUser" })
export type NewUser = typeof NewUser.Type

export const UserUpdate = Schema.Struct({
  email: Schema.optional(Schema.NonEmptyTrimmedString),
  name: Schema.optional(Schema.String),
  status: Schema.optional(UserStatus)
}).annotations({ identifier: "UserUpdate" })
export type UserUpdate = typeof UserUpdate.Type

export const ResourceKind = Schema.Literal("project", "team", "global")
export const Resource = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  type: ResourceKind,
  description: Schema.String
}).annotations({ identifier: "Resource" })
export type Resource = typeof Resource.Type

export const EntitlementKind = Schema.Literal("project_role", "team_member", "admin_role")
export type EntitlementKind = typeof EntitlementKind.Type
export const Entitlement = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  type: EntitlementKind,
  resource_id: Schema.String,
  description: Schema.String
}).annotations({ identifier: "Entitlement" })
export type Entitlement = typeof Entitlement.Type

export const Association = Schema.Struct({
  user_id: Schema.String,
  entitlement_id: Schema.String,
  resource_id: Schema.String,
  created_at: Schema.String
}).annotations({ identifier: "Association" })
export type Association = typeof Association.Type

export const AssignEntitlement = Schema.Struct({
  entitlement_id: Schema.NonEmptyTrimmedString,
  resource_id: Schema.NonEmptyTrimmedString
}).annotations({ identifier: "AssignEntitlement" })

export const Login = Schema.Struct({
  id: Schema.String,
  user_id: Schema.String,
  /** ISO-8601 UTC */
  at: Schema.String
}).annotations({ identifier: "Login" })
export type Login = typeof Login.Type

export const LoginPage = Schema.Struct({
  items: Schema.Array(Login),
  total: Schema.Int,
  has_more: Schema.Boolean
}).annotations({ identifier: "LoginPage" })
export type LoginPage = typeof LoginPage.Type

export const Health = Schema.Struct({ status: Schema.Literal("ok") }).annotations({ identifier: "Health" })
