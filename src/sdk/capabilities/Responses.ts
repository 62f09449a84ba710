/** Capability responses: the `response` member (and `page` for lists) each capability answers with. */
import { Schema } from "effect"
import { Page } from "./PageToken.js"
import {
  AppInfo,
  FoundAccountData,
  FoundEntitlementAssociation,
  FoundEntitlementData,
  FoundResourceData,
  LastActivityData,
  ValidatedCredentials
} from "./Records.js"

const paged = Schema.optional(Page)

export class ValidateCredentialsResponse extends Schema.Class<ValidateCredentialsResponse>("ValidateCredentialsResponse")({
  response: ValidatedCredentials
}) {}
export class ListAccountsResponse extends Schema.Class<ListAccountsResponse>("ListAccountsResponse")({
  response: Schema.Array(FoundAccountData),
  page: paged
}) {}
export class ListResourcesResponse extends Schema.Class<ListResourcesResponse>("ListResourcesResponse")({
  response: Schema.Array(FoundResourceData),
  page: paged
}) {}
export class ListEntitlementsResponse extends Schema.Class<ListEntitlementsResponse>("ListEntitlementsResponse")({
  response: Schema.Array(FoundEntitlementData),
  page: paged
}) {}
export class FindEntitlementAssociationsResponse
  extends Schema.Class<FindEntitlementAssociationsResponse>("FindEntitlementAssociationsResponse")({
    response: Schema.Array(FoundEntitlementAssociation),
    page: paged
  })
{}
export class GetLastActivityResponse extends Schema.Class<GetLastActivityResponse>("GetLastActivityResponse")({
  response: Schema.Array(LastActivityData),
  page: paged
}) {}
export class AccountResponse extends Schema.Class<AccountResponse>("AccountResponse")({ response: FoundAccountData }) {}
/** delete/assign/unassign answer `{"response": null}`, as in the tutorial */
export class EmptyResponse extends Schema.Class<EmptyResponse>("EmptyResponse")({ response: Schema.Null }) {}
export class InfoResponse extends Schema.Class<InfoResponse>("InfoResponse")({ response: AppInfo }) {}

