/**
 * Capability responses as connector-sdk-types 0.37.0 has them: `{response, raw_data, page,
 * execution_summary}` around each capability's result (every key written, `null` when unset).
 */
import { Schema } from "effect"
import { Page } from "./Page.js"
import {
  ActivatedAccount,
  ActivityRecord,
  AppInfo,
  AssignedEntitlement,
  CreatedAccount,
  CustomAttributeSchema,
  DeactivatedAccount,
  DeletedAccount,
  FoundAccountData,
  FoundEntitlementAssociation,
  FoundEntitlementData,
  FoundResourceData,
  Info,
  LastActivityData,
  nullable,
  UnassignedEntitlement,
  UpdatedAccount,
  UpdatedAccounts,
  ValidatedCredentials
} from "./Records.js"

const responseOf = <R extends Schema.Schema.Any>(response: R) => ({
  response,
  raw_data: Schema.optionalWith(Schema.Unknown, { default: () => null }),
  page: nullable(Page),
  execution_summary: nullable(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})

export class ValidateCredentialsResponse
  extends Schema.Class<ValidateCredentialsResponse>("ValidateCredentialsResponse")(responseOf(ValidatedCredentials))
{}
export class ListAccountsResponse
  extends Schema.Class<ListAccountsResponse>("ListAccountsResponse")(responseOf(Schema.Array(FoundAccountData)))
{}
export class GetAccountResponse extends Schema.Class<GetAccountResponse>("GetAccountResponse")(responseOf(FoundAccountData)) {}
export class CreateAccountResponse extends Schema.Class<CreateAccountResponse>("CreateAccountResponse")(responseOf(CreatedAccount)) {}
export class UpdateAccountResponse extends Schema.Class<UpdateAccountResponse>("UpdateAccountResponse")(responseOf(UpdatedAccount)) {}
export class ActivateAccountResponse
  extends Schema.Class<ActivateAccountResponse>("ActivateAccountResponse")(responseOf(ActivatedAccount))
{}
export class DeactivateAccountResponse
  extends Schema.Class<DeactivateAccountResponse>("DeactivateAccountResponse")(responseOf(DeactivatedAccount))
{}
export class DeleteAccountResponse extends Schema.Class<DeleteAccountResponse>("DeleteAccountResponse")(responseOf(DeletedAccount)) {}
export class ListResourcesResponse
  extends Schema.Class<ListResourcesResponse>("ListResourcesResponse")(responseOf(Schema.Array(FoundResourceData)))
{}
export class ListEntitlementsResponse
  extends Schema.Class<ListEntitlementsResponse>("ListEntitlementsResponse")(responseOf(Schema.Array(FoundEntitlementData)))
{}
export class FindEntitlementAssociationsResponse
  extends Schema.Class<FindEntitlementAssociationsResponse>("FindEntitlementAssociationsResponse")(
    responseOf(Schema.Array(FoundEntitlementAssociation))
  )
{}
export class GetAccountEntitlementAssociationsResponse
  extends Schema.Class<GetAccountEntitlementAssociationsResponse>("GetAccountEntitlementAssociationsResponse")(
    responseOf(Schema.Array(FoundEntitlementAssociation))
  )
{}
export class AssignEntitlementResponse
  extends Schema.Class<AssignEntitlementResponse>("AssignEntitlementResponse")(responseOf(AssignedEntitlement))
{}
export class UnassignEntitlementResponse
  extends Schema.Class<UnassignEntitlementResponse>("UnassignEntitlementResponse")(responseOf(UnassignedEntitlement))
{}
export class GetLastActivityResponse
  extends Schema.Class<GetLastActivityResponse>("GetLastActivityResponse")(responseOf(Schema.Array(LastActivityData)))
{}
export class ListActivityRecordsResponse
  extends Schema.Class<ListActivityRecordsResponse>("ListActivityRecordsResponse")(responseOf(Schema.Array(ActivityRecord)))
{}
export class ListCustomAttributesSchemaResponse
  extends Schema.Class<ListCustomAttributesSchemaResponse>("ListCustomAttributesSchemaResponse")(responseOf(Schema.Array(CustomAttributeSchema)))
{}
export class ListUpdatedAccountsResponse
  extends Schema.Class<ListUpdatedAccountsResponse>("ListUpdatedAccountsResponse")(responseOf(UpdatedAccounts))
{}
export class InfoResponse extends Schema.Class<InfoResponse>("InfoResponse")(responseOf(Info)) {}
export class AppInfoResponse extends Schema.Class<AppInfoResponse>("AppInfoResponse")(responseOf(AppInfo)) {}
