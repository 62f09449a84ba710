/**
 * The Lumos connector SDK's capability names (`StandardCapabilityName` of connector-sdk-types 0.37.0,
 * in its order), and the ones this SDK models with request and response Schemas.
 */
export const StandardCapabilityNames = [
  "app_info",
  "info",
  "connected_info",
  "activate_account",
  "assign_entitlement",
  "create_account",
  "update_account",
  "deactivate_account",
  "delete_account",
  "find_entitlement_associations",
  "get_account_entitlement_associations",
  "get_authorization_url",
  "get_last_activity",
  "handle_authorization_callback",
  "handle_client_credentials_request",
  "list_accounts",
  "list_updated_accounts",
  "get_account",
  "get_data_recency",
  "list_activity_records",
  "list_custom_attributes_schema",
  "list_entitlements",
  "list_expenses",
  "list_resources",
  "refresh_access_token",
  "unassign_entitlement",
  "validate_credentials",
  "transfer_data",
  "release_resources",
  "downgrade_license",
  "assign_application",
  "get_application",
  "get_application_account",
  "list_applications",
  "list_applications_accounts",
  "list_applications_activity_records",
  "list_applications_entitlements",
  "list_applications_resources",
  "unassign_application",
  "list_applications_entitlement_associations",
  "unassign_application_entitlement",
  "assign_application_entitlement",
  "validate_credential_config"
] as const
export type StandardCapabilityName = typeof StandardCapabilityNames[number]

export const isStandardCapabilityName = (name: string): name is StandardCapabilityName =>
  (StandardCapabilityNames as ReadonlyArray<string>).includes(name)

/** The capabilities this SDK has request and response Schemas for (a connector may implement any of them). */
export const ModelledCapabilityNames = [
  "app_info",
  "validate_credentials",
  "list_accounts",
  "get_account",
  "create_account",
  "update_account",
  "activate_account",
  "deactivate_account",
  "delete_account",
  "list_resources",
  "list_entitlements",
  "find_entitlement_associations",
  "get_account_entitlement_associations",
  "assign_entitlement",
  "unassign_entitlement",
  "get_last_activity",
  "list_activity_records",
  "list_custom_attributes_schema",
  "list_updated_accounts"
] as const
export type ModelledCapabilityName = typeof ModelledCapabilityNames[number]
