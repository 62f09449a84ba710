/**
 * MockApp's capabilities (the tutorial's `integration.py`) on the Lumos SDK's models: every SDK
 * capability that means something for MockApp, against the MockApp API (`info` and `app_info` come
 * from the executor).
 */
import { makeIntegration } from "../../../sdk/capabilities/Executor.js"
import { MockAppSettings } from "../Settings.js"
import { getLastActivity, listActivityRecords } from "./Activity.js"
import { appId, entitlementTypes, resourceTypes, version } from "./Common.js"
import {
  findEntitlementAssociations,
  getAccount,
  getAccountEntitlementAssociations,
  listAccounts,
  listEntitlements,
  listResources,
  validateCredentials
} from "./Read.js"
import {
  activateAccount,
  assignEntitlement,
  createAccount,
  deactivateAccount,
  deleteAccount,
  unassignEntitlement,
  updateAccount
} from "./Write.js"

export const MockAppIntegration = makeIntegration({
  appId,
  version,
  auth: "token",
  userFriendlyName: "MockApp",
  description: "MockApp is a test application for demonstrating Lumos connectors",
  settings: MockAppSettings,
  resourceTypes,
  entitlementTypes,
  capabilities: {
    validate_credentials: validateCredentials,
    list_accounts: listAccounts,
    get_account: getAccount,
    create_account: createAccount,
    update_account: updateAccount,
    activate_account: activateAccount,
    deactivate_account: deactivateAccount,
    delete_account: deleteAccount,
    list_resources: listResources,
    list_entitlements: listEntitlements,
    find_entitlement_associations: findEntitlementAssociations,
    get_account_entitlement_associations: getAccountEntitlementAssociations,
    assign_entitlement: assignEntitlement,
    unassign_entitlement: unassignEntitlement,
    get_last_activity: getLastActivity,
    list_activity_records: listActivityRecords
  }
})
