/** The data a capability answers with (the SDK's `Found*` records, activity, and `info`'s description of an app). */
import { Schema } from "effect"
import { AuthKind } from "./Auth.js"

export const AccountStatus = Schema.Literal("active", "inactive", "deactivated")
export type AccountStatus = typeof AccountStatus.Type

export class ValidatedCredentials extends Schema.Class<ValidatedCredentials>("ValidatedCredentials")({
  valid: Schema.Boolean,
  unique_tenant_id: Schema.String
}) {}

export class FoundAccountData extends Schema.Class<FoundAccountData>("FoundAccountData")({
  account_id: Schema.String,
  email: Schema.NullOr(Schema.String),
  display_name: Schema.NullOr(Schema.String),
  status: AccountStatus
}) {}

export class FoundResourceData extends Schema.Class<FoundResourceData>("FoundResourceData")({
  resource_id: Schema.String,
  resource_type: Schema.String,
  display_name: Schema.String,
  description: Schema.NullOr(Schema.String)
}) {}

export class FoundEntitlementData extends Schema.Class<FoundEntitlementData>("FoundEntitlementData")({
  entitlement_id: Schema.String,
  entitlement_type: Schema.String,
  resource_id: Schema.String,
  display_name: Schema.String,
  description: Schema.NullOr(Schema.String)
}) {}

export class FoundEntitlementAssociation extends Schema.Class<FoundEntitlementAssociation>("FoundEntitlementAssociation")({
  account_id: Schema.String,
  entitlement_id: Schema.String,
  resource_id: Schema.String
}) {}

export class LastActivityData extends Schema.Class<LastActivityData>("LastActivityData")({
  account_id: Schema.String,
  event_type: Schema.Literal("last_login", "last_activity"),
  happened_at: Schema.String
}) {}

export class ResourceType extends Schema.Class<ResourceType>("ResourceType")({
  type_id: Schema.String,
  type_label: Schema.String
}) {}

export class EntitlementType extends Schema.Class<EntitlementType>("EntitlementType")({
  type_id: Schema.String,
  type_label: Schema.String,
  resource_type_id: Schema.String,
  min: Schema.Int.pipe(Schema.nonNegative()),
  max: Schema.optional(Schema.Int.pipe(Schema.positive()))
}) {}

export class AppInfo extends Schema.Class<AppInfo>("AppInfo")({
  app_id: Schema.String,
  version: Schema.String,
  auth: AuthKind,
  user_friendly_name: Schema.String,
  description: Schema.String,
  settings_schema: Schema.Unknown,
  resource_types: Schema.Array(ResourceType),
  entitlement_types: Schema.Array(EntitlementType),
  capabilities: Schema.Array(Schema.String)
}) {}
