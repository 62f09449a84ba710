/**
 * Capability requests as connector-sdk-types 0.37.0 has them: the envelope every request shares
 * (`auth`, `credentials`, `request`, `include_raw_data`, `page`, `settings`) around each capability's
 * payload. Keys a model does not know are ignored, as pydantic does.
 */
import { Schema } from "effect"
import { AuthCredential } from "./Auth.js"
import { PageRequest } from "./Page.js"
import { AccountStatus, ActivityRecordActor } from "./Records.js"

const optionalNull = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

export class ValidateCredentials extends Schema.Class<ValidateCredentials>("ValidateCredentials")({}) {}
export class ListResources extends Schema.Class<ListResources>("ListResources")({}) {}
export class FindEntitlementAssociations extends Schema.Class<FindEntitlementAssociations>("FindEntitlementAssociations")({}) {}
export class ListCustomAttributesSchema extends Schema.Class<ListCustomAttributesSchema>("ListCustomAttributesSchema")({}) {}
export class AppInfoRequestPayload extends Schema.Class<AppInfoRequestPayload>("AppInfoRequestPayload")({}) {}

export class ListAccounts extends Schema.Class<ListAccounts>("ListAccounts")({
  custom_attributes: optionalNull(Schema.Array(Schema.String))
}) {}
export class ListEntitlements extends Schema.Class<ListEntitlements>("ListEntitlements")({
  custom_attributes: optionalNull(Schema.Array(Schema.String))
}) {}
/** the SDK's `ListUpdatedAccounts`: changes since `since` (ISO 8601), or since a previous answer's `cursor` */
export class ListUpdatedAccounts extends Schema.Class<ListUpdatedAccounts>("ListUpdatedAccounts")({
  since: optionalNull(Schema.String),
  cursor: optionalNull(Schema.String),
  custom_attributes: optionalNull(Schema.Array(Schema.String))
}) {}
export class GetAccount extends Schema.Class<GetAccount>("GetAccount")({
  account_id: Schema.String,
  custom_attributes: optionalNull(Schema.Array(Schema.String))
}) {}
export class GetAccountEntitlementAssociations
  extends Schema.Class<GetAccountEntitlementAssociations>("GetAccountEntitlementAssociations")({ account_id: Schema.String })
{}
export class GetLastActivity extends Schema.Class<GetLastActivity>("GetLastActivity")({
  account_ids: Schema.Array(Schema.String)
}) {}
export class ListActivityRecords extends Schema.Class<ListActivityRecords>("ListActivityRecords")({
  since_date: Schema.String,
  actors: Schema.Array(ActivityRecordActor)
}) {}

export class CreateAccountEntitlement extends Schema.Class<CreateAccountEntitlement>("CreateAccountEntitlement")({
  integration_specific_id: Schema.String,
  integration_specific_resource_id: Schema.String,
  entitlement_type: Schema.String
}) {}

/**
 * The SDK's `CreateAccount`. Two leniencies, both for the Lumos tutorial's command
 * (`{"email": ..., "display_name": ...}`): `entitlements`, required by the SDK, may be left out (none);
 * `display_name`, not a field of the SDK, names the account when the platform has a display name.
 */
export class CreateAccount extends Schema.Class<CreateAccount>("CreateAccount")({
  email: optionalNull(Schema.String),
  username: optionalNull(Schema.String),
  given_name: optionalNull(Schema.String),
  family_name: optionalNull(Schema.String),
  user_status: optionalNull(Schema.String),
  entitlements: Schema.optionalWith(Schema.Array(CreateAccountEntitlement), { default: () => [] }),
  display_name: optionalNull(Schema.String)
}) {}

/**
 * The SDK's `UpdateableAccount` (`id`), plus the account fields to change (`FoundAccountData`'s
 * names): the SDK's model carries only the id, so these are what this project's connectors read.
 * `custom_attributes` are the ones `list_custom_attributes_schema` names (GitHub: `org_role`).
 */
export class UpdateAccount extends Schema.Class<UpdateAccount>("UpdateAccount")({
  id: Schema.String,
  email: optionalNull(Schema.String),
  given_name: optionalNull(Schema.String),
  family_name: optionalNull(Schema.String),
  username: optionalNull(Schema.String),
  user_status: optionalNull(AccountStatus),
  custom_attributes: optionalNull(Schema.Record({ key: Schema.String, value: Schema.String }))
}) {}

export class AccountId extends Schema.Class<AccountId>("AccountId")({ account_id: Schema.String }) {}

/** The SDK's `AssignEntitlement` and `UnassignEntitlement` (the same fields). */
export class EntitlementGrant extends Schema.Class<EntitlementGrant>("EntitlementGrant")({
  account_integration_specific_id: Schema.String,
  resource_integration_specific_id: Schema.String,
  resource_type: Schema.String,
  entitlement_type: Schema.String,
  entitlement_integration_specific_id: Schema.String
}) {}

/** The envelope around a payload (connector-sdk-types `ListAccountsRequest` and its siblings). */
export const envelope = <P extends Schema.Schema.Any>(payload: P) =>
  Schema.Struct({
    auth: optionalNull(AuthCredential),
    credentials: optionalNull(Schema.Array(Schema.Unknown)),
    request: payload,
    include_raw_data: optionalNull(Schema.Boolean),
    page: optionalNull(PageRequest),
    settings: optionalNull(Schema.Unknown)
  })
