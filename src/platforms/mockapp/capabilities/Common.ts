/**
 * What MockApp's capabilities share: the app's resource and entitlement types, how a user reads as a
 * Lumos account, and a MockApp client per request (its token from the request's `auth`).
 */
import { Effect, Schema } from "effect"
import type { ConnectorError } from "../../../domain/Errors.js"
import { type AuthCredential, bearerToken } from "../../../sdk/capabilities/Auth.js"
import { CapabilityError } from "../../../sdk/capabilities/Errors.js"
import { type AccountStatus, EntitlementType, FoundAccountData, ResourceType } from "../../../sdk/capabilities/Records.js"
import { makeMockAppClient, type MockAppClient } from "../Client.js"
import { User } from "../Payloads.js"
import type { MockAppSettings } from "../Settings.js"

export const appId = "mockapp"
export const version = "0.1.0"

export const resourceTypes = [
  new ResourceType({ type_id: "project", type_label: "Project" }),
  new ResourceType({ type_id: "team", type_label: "Team" }),
  new ResourceType({ type_id: "global", type_label: "Global Resource" })
]

export const entitlementTypes = [
  new EntitlementType({ type_id: "project_role", type_label: "Project Role", resource_type_id: "project", min: 0 }),
  new EntitlementType({ type_id: "team_member", type_label: "Team Member", resource_type_id: "team", min: 0 }),
  // users can hold at most one admin role
  new EntitlementType({ type_id: "admin_role", type_label: "Admin Role", resource_type_id: "global", min: 0, max: 1 })
]

/** the API's user status -> the SDK's AccountStatus */
export const accountStatus = (status: User["status"]): AccountStatus =>
  status === "active" ? "ACTIVE" : status === "inactive" ? "INACTIVE" : "DELETED"

/** MockApp keeps one display name; the SDK's given and family names are its first word and the rest */
export const splitName = (name: string) => {
  const [given, ...rest] = name.trim().split(/\s+/)
  return { given_name: given === undefined || given === "" ? null : given, family_name: rest.length > 0 ? rest.join(" ") : null }
}

export const toAccount = (user: User) =>
  new FoundAccountData({
    integration_specific_id: user.id,
    email: user.email,
    ...splitName(user.name),
    user_status: accountStatus(user.status),
    extra_data: { name: user.name, created_at: user.created_at, last_login: user.last_login },
    account_type: "user"
  })

/** the API's own JSON of a user (what `raw_data` carries) */
export const rawUser = Schema.encodeSync(User)

export const withClient = <A>(
  auth: AuthCredential | null | undefined,
  settings: MockAppSettings,
  use: (client: MockAppClient) => Effect.Effect<A, ConnectorError | CapabilityError, never>
) =>
  Effect.gen(function*() {
    const token = yield* bearerToken(auth)
    const client = yield* makeMockAppClient({ apiUrl: settings.api_url, token })
    return yield* use(client)
  }).pipe(Effect.mapError((e) => (e._tag === "ConnectorError" ? CapabilityError.fromConnectorError(e) : e)))
