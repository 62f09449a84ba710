/**
 * Capability requests: the `request` payload of each capability, inside the envelope every request
 * shares (`auth`, `request`, `settings`, `page`).
 */
import { Schema } from "effect"
import { AuthCredential } from "./Auth.js"
import { PageRequest } from "./PageToken.js"

export class EmptyPayload extends Schema.Class<EmptyPayload>("EmptyPayload")({}) {}

export class ListResourcesPayload extends Schema.Class<ListResourcesPayload>("ListResourcesPayload")({
  resource_type: Schema.optional(Schema.String)
}) {}

export class ListEntitlementsPayload extends Schema.Class<ListEntitlementsPayload>("ListEntitlementsPayload")({
  resource_type: Schema.optional(Schema.String),
  resource_id: Schema.optional(Schema.String)
}) {}

export class FindEntitlementAssociationsPayload
  extends Schema.Class<FindEntitlementAssociationsPayload>("FindEntitlementAssociationsPayload")({
    account_ids: Schema.optional(Schema.Array(Schema.String)),
    entitlement_ids: Schema.optional(Schema.Array(Schema.String)),
    resource_ids: Schema.optional(Schema.Array(Schema.String))
  })
{}

export class GetLastActivityPayload extends Schema.Class<GetLastActivityPayload>("GetLastActivityPayload")({
  account_ids: Schema.Array(Schema.String)
}) {}

export class CreateAccountPayload extends Schema.Class<CreateAccountPayload>("CreateAccountPayload")({
  email: Schema.NonEmptyTrimmedString,
  display_name: Schema.optional(Schema.String),
  given_name: Schema.optional(Schema.String),
  family_name: Schema.optional(Schema.String),
  username: Schema.optional(Schema.String)
}) {}

export class AccountPayload extends Schema.Class<AccountPayload>("AccountPayload")({
  account_id: Schema.NonEmptyTrimmedString
}) {}

export class EntitlementPayload extends Schema.Class<EntitlementPayload>("EntitlementPayload")({
  account_id: Schema.NonEmptyTrimmedString,
  entitlement_id: Schema.NonEmptyTrimmedString,
  resource_id: Schema.NonEmptyTrimmedString,
  entitlement_type: Schema.optional(Schema.String),
  resource_type: Schema.optional(Schema.String)
}) {}

const requestFields = <P extends Schema.Schema.Any>(payload: P) => ({
  auth: Schema.optional(AuthCredential),
  request: payload,
  settings: Schema.optionalWith(Schema.Unknown, { default: () => ({}) }),
  page: Schema.optional(PageRequest)
})

export class ValidateCredentialsRequest
  extends Schema.Class<ValidateCredentialsRequest>("ValidateCredentialsRequest")(requestFields(EmptyPayload))
{}
export class ListAccountsRequest extends Schema.Class<ListAccountsRequest>("ListAccountsRequest")(requestFields(EmptyPayload)) {}
export class ListResourcesRequest
  extends Schema.Class<ListResourcesRequest>("ListResourcesRequest")(requestFields(ListResourcesPayload))
{}
export class ListEntitlementsRequest
  extends Schema.Class<ListEntitlementsRequest>("ListEntitlementsRequest")(requestFields(ListEntitlementsPayload))
{}
export class FindEntitlementAssociationsRequest
  extends Schema.Class<FindEntitlementAssociationsRequest>("FindEntitlementAssociationsRequest")(
    requestFields(FindEntitlementAssociationsPayload)
  )
{}
export class GetLastActivityRequest
  extends Schema.Class<GetLastActivityRequest>("GetLastActivityRequest")(requestFields(GetLastActivityPayload))
{}
export class CreateAccountRequest
  extends Schema.Class<CreateAccountRequest>("CreateAccountRequest")(requestFields(CreateAccountPayload))
{}
export class ActivateAccountRequest
  extends Schema.Class<ActivateAccountRequest>("ActivateAccountRequest")(requestFields(AccountPayload))
{}
export class DeactivateAccountRequest
  extends Schema.Class<DeactivateAccountRequest>("DeactivateAccountRequest")(requestFields(AccountPayload))
{}
export class DeleteAccountRequest extends Schema.Class<DeleteAccountRequest>("DeleteAccountRequest")(requestFields(AccountPayload)) {}
export class AssignEntitlementRequest
  extends Schema.Class<AssignEntitlementRequest>("AssignEntitlementRequest")(requestFields(EntitlementPayload))
{}
export class UnassignEntitlementRequest
  extends Schema.Class<UnassignEntitlementRequest>("UnassignEntitlementRequest")(requestFields(EntitlementPayload))
{}
export class InfoRequest extends Schema.Class<InfoRequest>("InfoRequest")({
  request: Schema.optionalWith(EmptyPayload, { default: () => new EmptyPayload({}) }),
  settings: Schema.optionalWith(Schema.Unknown, { default: () => ({}) })
}) {}
