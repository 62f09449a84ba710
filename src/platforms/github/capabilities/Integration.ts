/**
 * GitHub speaks the same capabilities as MockApp, on the GitHub connector's own client (its budgets,
 * retries and readable errors):
 *   - validate_credentials: the org's id is the tenant id;
 *   - list_accounts, get_account: org members; list_resources: repositories then teams (one token spans both);
 *   - list_entitlements: each repository's permission levels (pull..admin) and each team's membership;
 *   - find_entitlement_associations, get_account_entitlement_associations: the connector's permission
 *     snapshots (same data, same stream);
 *   - get_last_activity, list_activity_records: the org's audit log (the audit stream);
 *   - list_updated_accounts: accounts whose org membership the audit log says changed (Updated.ts);
 *   - assign/unassign_entitlement: PUT/DELETE /repos/{owner}/{repo}/collaborators/{username};
 *   - create_account (an org invitation, PENDING until accepted), update_account (the org role, as
 *     custom_attributes.org_role), delete_account (removal, or the invitation withdrawn),
 *     list_custom_attributes_schema (org_role): Lifecycle.ts;
 *   - activate/deactivate_account: GitHub suspends users only in an Enterprise (Server, or managed
 *     users), never from an organization, so `not_implemented`, as the SDK answers a capability it lacks.
 * Resource ids: a repository is its full name (`org/repo`, as in snapshots), a team is `team:<slug>`.
 * Entitlement ids: a repository permission level (`pull`, `triage`, `push`, `maintain`, `admin`) or `member`.
 */
import { makeIntegration } from "../../../sdk/capabilities/Executor.js"
import { EntitlementType, ResourceType } from "../../../sdk/capabilities/Records.js"
import { appId, GitHubCapabilitySettings } from "./Common.js"
import { getLastActivity, listActivityRecords } from "./Activity.js"
import { findEntitlementAssociations, getAccountEntitlementAssociations } from "./Associations.js"
import { createAccount, deleteAccount, listCustomAttributesSchema, updateAccount } from "./Lifecycle.js"
import { listUpdatedAccounts } from "./Updated.js"
import { getAccount, listAccounts, listEntitlements, listResources, validateCredentials } from "./Read.js"
import { assignEntitlement, unassignEntitlement } from "./Write.js"

export const GitHubIntegration = makeIntegration({
  appId,
  version: "0.1.0",
  auth: "token",
  userFriendlyName: "GitHub",
  description: "GitHub organization: members, repositories, teams, repository permissions and the audit log",
  settings: GitHubCapabilitySettings,
  resourceTypes: [
    new ResourceType({ type_id: "repository", type_label: "Repository" }),
    new ResourceType({ type_id: "team", type_label: "Team" })
  ],
  entitlementTypes: [
    // one permission level per person and repository: a new level replaces the old one
    new EntitlementType({ type_id: "repository_permission", type_label: "Repository permission", resource_type_id: "repository", min: 0, max: 1 }),
    new EntitlementType({ type_id: "team_member", type_label: "Team member", resource_type_id: "team", min: 0 })
  ],
  capabilities: {
    validate_credentials: validateCredentials,
    list_accounts: listAccounts,
    get_account: getAccount,
    list_resources: listResources,
    list_entitlements: listEntitlements,
    find_entitlement_associations: findEntitlementAssociations,
    get_account_entitlement_associations: getAccountEntitlementAssociations,
    get_last_activity: getLastActivity,
    list_activity_records: listActivityRecords,
    assign_entitlement: assignEntitlement,
    unassign_entitlement: unassignEntitlement,
    create_account: createAccount,
    update_account: updateAccount,
    delete_account: deleteAccount,
    list_custom_attributes_schema: listCustomAttributesSchema,
    list_updated_accounts: listUpdatedAccounts
  }
})
