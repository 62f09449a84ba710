/**
 * The data capabilities answer with, field for field as connector-sdk-types 0.37.0's models (see
 * contracts/lumos/): accounts, resources, entitlements, associations, activity, the write results, and
 * `info`'s description of an app. Optional fields are `null` on the wire when unset, as connector-py
 * writes them.
 */
import { Schema } from "effect"

/** an optional field of the SDK: may be left out when constructing, written as `null` */
export const nullable = <S extends Schema.Schema.Any>(schema: S) =>
  Schema.optionalWith(Schema.NullOr(schema), { default: () => null })

const StringMap = Schema.Record({ key: Schema.String, value: Schema.String })
const AnyMap = Schema.Record({ key: Schema.String, value: Schema.Unknown })

export const AccountStatus = Schema.Literal("ACTIVE", "INACTIVE", "SUSPENDED", "DEPROVISIONED", "PENDING", "DELETED")
export type AccountStatus = typeof AccountStatus.Type
export const AccountType = Schema.Literal("service", "user")

export class ValidatedCredentials extends Schema.Class<ValidatedCredentials>("ValidatedCredentials")({
  valid: Schema.Boolean,
  unique_tenant_id: Schema.String
}) {}

export class FoundAccountData extends Schema.Class<FoundAccountData>("FoundAccountData")({
  integration_specific_id: Schema.String,
  email: nullable(Schema.String),
  given_name: nullable(Schema.String),
  family_name: nullable(Schema.String),
  username: nullable(Schema.String),
  user_status: nullable(AccountStatus),
  extra_data: nullable(AnyMap),
  custom_attributes: nullable(StringMap),
  account_type: nullable(AccountType)
}) {}

export class FoundResourceData extends Schema.Class<FoundResourceData>("FoundResourceData")({
  integration_specific_id: Schema.String,
  label: Schema.String,
  description: nullable(Schema.String),
  resource_type: Schema.String,
  extra_data: nullable(StringMap)
}) {}

export class FoundEntitlementData extends Schema.Class<FoundEntitlementData>("FoundEntitlementData")({
  entitlement_type: Schema.String,
  extra_data: nullable(AnyMap),
  integration_specific_id: Schema.String,
  integration_specific_resource_id: Schema.String,
  is_assignable: nullable(Schema.Boolean),
  label: Schema.String,
  description: nullable(Schema.String),
  custom_attributes: nullable(StringMap)
}) {}

export class FoundEntitlementAssociation extends Schema.Class<FoundEntitlementAssociation>("FoundEntitlementAssociation")({
  account_id: Schema.String,
  integration_specific_entitlement_id: Schema.String,
  integration_specific_resource_id: Schema.String
}) {}

export class LastActivityData extends Schema.Class<LastActivityData>("LastActivityData")({
  account_id: Schema.String,
  event_type: Schema.String,
  happened_at: Schema.String
}) {}

export class ActivityRecordActor extends Schema.Class<ActivityRecordActor>("ActivityRecordActor")({
  account_id: Schema.String
}) {}

export class ActivityRecordEntitlement extends Schema.Class<ActivityRecordEntitlement>("ActivityRecordEntitlement")({
  id: Schema.String,
  type: Schema.String,
  resource_id: nullable(Schema.String),
  resource_type: nullable(Schema.String)
}) {}

export class ActivityRecordTarget extends Schema.Class<ActivityRecordTarget>("ActivityRecordTarget")({
  account_id: nullable(Schema.String),
  entitlement: nullable(ActivityRecordEntitlement)
}) {}

/** `activity_type` is the SDK's `ActivityType` (`ACCOUNT_LOGIN`) or any string */
export class ActivityRecord extends Schema.Class<ActivityRecord>("ActivityRecord")({
  id: Schema.String,
  activity_type: Schema.String,
  timestamp: Schema.String,
  actor: ActivityRecordActor,
  targets: Schema.Array(ActivityRecordTarget),
  metadata: nullable(StringMap)
}) {}

export class CreatedAccount extends Schema.Class<CreatedAccount>("CreatedAccount")({
  id: nullable(Schema.String),
  status: AccountStatus,
  created: Schema.Boolean
}) {}
export class ActivatedAccount extends Schema.Class<ActivatedAccount>("ActivatedAccount")({
  status: AccountStatus,
  activated: Schema.Boolean
}) {}
export class DeactivatedAccount extends Schema.Class<DeactivatedAccount>("DeactivatedAccount")({
  status: AccountStatus,
  deactivated: Schema.Boolean
}) {}
export class DeletedAccount extends Schema.Class<DeletedAccount>("DeletedAccount")({
  status: AccountStatus,
  deleted: Schema.Boolean
}) {}
export class AssignedEntitlement extends Schema.Class<AssignedEntitlement>("AssignedEntitlement")({
  assigned: Schema.Boolean
}) {}
export class UnassignedEntitlement extends Schema.Class<UnassignedEntitlement>("UnassignedEntitlement")({
  unassigned: Schema.Boolean
}) {}
/** what update_account answers (the SDK's `UpdateableAccount`) */
export class UpdatedAccount extends Schema.Class<UpdatedAccount>("UpdateableAccount")({
  id: Schema.String
}) {}

/** connector-sdk-types `UpdatedAccounts`: the accounts changed since a time, and the cursor to ask from next */
export class UpdatedAccounts extends Schema.Class<UpdatedAccounts>("UpdatedAccounts")({
  accounts: Schema.Array(FoundAccountData),
  cursor: nullable(Schema.String)
}) {}

/** connector-sdk-types `CustomAttributeSchema` (with its two enums): an attribute an app keeps on accounts or entitlements */
export const CustomAttributeCustomizedType = Schema.Literal("account", "entitlement")
export const CustomAttributeType = Schema.Literal("string", "user")
export class CustomAttributeSchema extends Schema.Class<CustomAttributeSchema>("CustomAttributeSchema")({
  customized_type: CustomAttributeCustomizedType,
  name: Schema.String,
  attribute_type: CustomAttributeType,
  description: nullable(Schema.String)
}) {}

export class ResourceType extends Schema.Class<ResourceType>("ResourceType")({
  type_id: Schema.String,
  type_label: Schema.String
}) {}

export class EntitlementType extends Schema.Class<EntitlementType>("EntitlementType")({
  type_id: Schema.String,
  type_label: Schema.String,
  resource_type_id: Schema.String,
  min: Schema.Int,
  max: nullable(Schema.Int),
  requirements: nullable(AnyMap)
}) {}

export class CapabilitySchema extends Schema.Class<CapabilitySchema>("CapabilitySchema")({
  argument: AnyMap,
  output: AnyMap,
  display_name: nullable(Schema.String),
  description: nullable(Schema.String)
}) {}

/** connector-sdk-types `Info`: what `info` says about a connector */
export class Info extends Schema.Class<Info>("Info")({
  app_id: Schema.String,
  app_vendor_domain: nullable(Schema.String),
  version: Schema.String,
  capabilities: Schema.Array(Schema.String),
  capability_schema: Schema.Record({ key: Schema.String, value: CapabilitySchema }),
  oauth_scopes: nullable(StringMap),
  authentication_schema: AnyMap,
  credentials_schema: Schema.Array(AnyMap),
  logo_url: nullable(Schema.String),
  user_friendly_name: nullable(Schema.String),
  description: nullable(Schema.String),
  categories: nullable(Schema.Array(Schema.String)),
  entitlement_types: Schema.Array(EntitlementType),
  resource_types: Schema.Array(ResourceType),
  request_settings_schema: AnyMap
}) {}

/** connector-sdk-types `AppInfo`: the connector's OpenAPI document */
export class AppInfo extends Schema.Class<AppInfo>("AppInfo")({
  app_id: Schema.String,
  app_schema: AnyMap
}) {}
