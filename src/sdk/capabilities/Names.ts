/** The standard capability names of the Lumos connector SDK (read, write), plus `info`. */
export const ReadCapabilityNames = [
  "validate_credentials",
  "list_accounts",
  "list_resources",
  "list_entitlements",
  "find_entitlement_associations",
  "get_last_activity"
] as const
export const WriteCapabilityNames = [
  "create_account",
  "activate_account",
  "deactivate_account",
  "delete_account",
  "assign_entitlement",
  "unassign_entitlement"
] as const
export const StandardCapabilityNames = [...ReadCapabilityNames, ...WriteCapabilityNames] as const
export type StandardCapabilityName = typeof StandardCapabilityNames[number]
export const CapabilityNames = [...StandardCapabilityNames, "info"] as const
export type CapabilityName = typeof CapabilityNames[number]

export const isCapabilityName = (name: string): name is CapabilityName =>
  (CapabilityNames as ReadonlyArray<string>).includes(name)
