/**
 * MockApp's capabilities (the tutorial's `integration.py`): all twelve standard capabilities plus
 * `info`, against the MockApp API.
 */
import { makeIntegration } from "../../../sdk/capabilities/Executor.js"
import { MockAppSettings } from "../Settings.js"
import { appId, entitlementTypes, resourceTypes, version } from "./Common.js"
import {
  findEntitlementAssociations,
  getLastActivity,
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
  unassignEntitlement
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
    list_resources: listResources,
    list_entitlements: listEntitlements,
    find_entitlement_associations: findEntitlementAssociations,
    get_last_activity: getLastActivity,
    create_account: createAccount,
    activate_account: activateAccount,
    deactivate_account: deactivateAccount,
    delete_account: deleteAccount,
    assign_entitlement: assignEntitlement,
    unassign_entitlement: unassignEntitlement
  }
})
