/** Each modelled capability's payload (inside the request envelope) and response, as the SDK pairs them. */
import type { Schema } from "effect"
import type { AuthCredential } from "./Auth.js"
import type { ModelledCapabilityName } from "./Names.js"
import type { PageRequest } from "./Page.js"
import {
  AccountId,
  AppInfoRequestPayload,
  CreateAccount,
  EntitlementGrant,
  FindEntitlementAssociations,
  GetAccount,
  GetAccountEntitlementAssociations,
  GetLastActivity,
  ListAccounts,
  ListActivityRecords,
  ListCustomAttributesSchema,
  ListEntitlements,
  ListResources,
  ListUpdatedAccounts,
  UpdateAccount,
  ValidateCredentials
} from "./Requests.js"
import {
  ActivateAccountResponse,
  AppInfoResponse,
  AssignEntitlementResponse,
  CreateAccountResponse,
  DeactivateAccountResponse,
  DeleteAccountResponse,
  FindEntitlementAssociationsResponse,
  GetAccountEntitlementAssociationsResponse,
  GetAccountResponse,
  GetLastActivityResponse,
  ListAccountsResponse,
  ListActivityRecordsResponse,
  ListCustomAttributesSchemaResponse,
  ListEntitlementsResponse,
  ListResourcesResponse,
  ListUpdatedAccountsResponse,
  UnassignEntitlementResponse,
  UpdateAccountResponse,
  ValidateCredentialsResponse
} from "./Responses.js"

export const CapabilitySpecs = {
  app_info: { payload: AppInfoRequestPayload, response: AppInfoResponse },
  validate_credentials: { payload: ValidateCredentials, response: ValidateCredentialsResponse },
  list_accounts: { payload: ListAccounts, response: ListAccountsResponse },
  get_account: { payload: GetAccount, response: GetAccountResponse },
  create_account: { payload: CreateAccount, response: CreateAccountResponse },
  update_account: { payload: UpdateAccount, response: UpdateAccountResponse },
  activate_account: { payload: AccountId, response: ActivateAccountResponse },
  deactivate_account: { payload: AccountId, response: DeactivateAccountResponse },
  delete_account: { payload: AccountId, response: DeleteAccountResponse },
  list_resources: { payload: ListResources, response: ListResourcesResponse },
  list_entitlements: { payload: ListEntitlements, response: ListEntitlementsResponse },
  find_entitlement_associations: { payload: FindEntitlementAssociations, response: FindEntitlementAssociationsResponse },
  get_account_entitlement_associations: {
    payload: GetAccountEntitlementAssociations,
    response: GetAccountEntitlementAssociationsResponse
  },
  assign_entitlement: { payload: EntitlementGrant, response: AssignEntitlementResponse },
  unassign_entitlement: { payload: EntitlementGrant, response: UnassignEntitlementResponse },
  get_last_activity: { payload: GetLastActivity, response: GetLastActivityResponse },
  list_activity_records: { payload: ListActivityRecords, response: ListActivityRecordsResponse },
  list_custom_attributes_schema: { payload: ListCustomAttributesSchema, response: ListCustomAttributesSchemaResponse },
  list_updated_accounts: { payload: ListUpdatedAccounts, response: ListUpdatedAccountsResponse }
} as const satisfies Record<ModelledCapabilityName, { readonly payload: Schema.Schema.Any; readonly response: Schema.Schema.Any }>
export type Specs = typeof CapabilitySpecs

/** A decoded request: the envelope around capability `K`'s payload. */
export interface CapabilityRequest<K extends ModelledCapabilityName> {
  readonly auth?: AuthCredential | null | undefined
  readonly credentials?: ReadonlyArray<unknown> | null | undefined
  readonly request: Schema.Schema.Type<Specs[K]["payload"]>
  readonly include_raw_data?: boolean | null | undefined
  readonly page?: PageRequest | null | undefined
  readonly settings?: unknown
}

export type CapabilityResponse<K extends ModelledCapabilityName> = Schema.Schema.Type<Specs[K]["response"]>
