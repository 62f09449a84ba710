/**
 * What MockApp's capabilities share: the app's resource and entitlement types, how a user reads as an
 * account, and a MockApp client per request (its token from the request's `auth`).
 */
import { Effect } from "effect"
import type { ConnectorError } from "../../../domain/Errors.js"
import { type AuthCredential, bearerToken } from "../../../sdk/capabilities/Auth.js"
import { CapabilityError } from "../../../sdk/capabilities/Errors.js"
import { type AccountStatus, EntitlementType, FoundAccountData, ResourceType } from "../../../sdk/capabilities/Records.js"
import { makeMockAppClient } from "../Client.js"
import type { User } from "../Payloads.js"
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

/** the API's user status -> the account status a caller sees */
export const accountStatus = (status: User["status"]): AccountStatus =>
  status === "active" ? "active" : status === "inactive" ? "inactive" : "deactivated"

export const toAccount = (user: User) =>
  new FoundAccountData({ account_id: user.id, email: user.email, display_name: user.name, status: accountStatus(user.status) })

const fromConnector = (e: ConnectorError) => CapabilityError.fromConnectorError(e)

export const withClient = <A>(
  auth: AuthCredential | undefined,
  settings: MockAppSettings,
  use: (client: Effect.Effect.Success<ReturnType<typeof makeMockAppClient>>) => Effect.Effect<A, ConnectorError | CapabilityError, never>
) =>
  Effect.gen(function*() {
    const token = yield* bearerToken(auth)
    const client = yield* makeMockAppClient({ apiUrl: settings.api_url, token })
    return yield* use(client)
  }).pipe(Effect.mapError((e) => (e._tag === "ConnectorError" ? fromConnector(e) : e)))
