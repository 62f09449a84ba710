/**
 * MockApp's write capabilities (the tutorial's `capabilities_write.py`, on the SDK's models): accounts,
 * and entitlements within their type's cardinality. Each answers the SDK's small result object.
 */
import { Effect } from "effect"
import { CapabilityError } from "../../../sdk/capabilities/Errors.js"
import type { CapabilityHandler } from "../../../sdk/capabilities/Executor.js"
import {
  ActivatedAccount,
  AssignedEntitlement,
  CreatedAccount,
  DeactivatedAccount,
  DeletedAccount,
  UnassignedEntitlement,
  UpdatedAccount
} from "../../../sdk/capabilities/Records.js"
import {
  ActivateAccountResponse,
  AssignEntitlementResponse,
  CreateAccountResponse,
  DeactivateAccountResponse,
  DeleteAccountResponse,
  UnassignEntitlementResponse,
  UpdateAccountResponse
} from "../../../sdk/capabilities/Responses.js"
import type { UserStatus } from "../Payloads.js"
import type { MockAppSettings } from "../Settings.js"
import { accountStatus, entitlementTypes, rawUser, splitName, withClient } from "./Common.js"

/** the SDK's AccountStatus (or the tutorial's lower-case words) -> MockApp's user status */
const userStatus = (status: string | null | undefined): UserStatus | undefined => {
  switch (status?.toUpperCase()) {
    case undefined:
      return undefined
    case "ACTIVE":
    case "PENDING":
      return "active"
    case "DELETED":
      return "deleted"
    default:
      return "inactive"
  }
}

/** the display name MockApp keeps: the tutorial's display_name, else given and family names, else the email */
const displayName = (r: { readonly display_name?: string | null; readonly given_name?: string | null; readonly family_name?: string | null }) =>
  r.display_name ?? ([r.given_name, r.family_name].filter((x) => x !== undefined && x !== null).join(" ") || undefined)

export const createAccount: CapabilityHandler<"create_account", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    Effect.gen(function*() {
      const { email } = req.request
      if (email === undefined || email === null || email.trim() === "") {
        return yield* new CapabilityError({
          code: "invalid_value",
          raisedBy: "ValueError",
          message: "MockApp accounts need an email: request.email"
        })
      }
      const user = yield* client.createUser({
        email,
        name: displayName(req.request) ?? email,
        status: userStatus(req.request.user_status) ?? "active"
      })
      return new CreateAccountResponse({
        response: new CreatedAccount({ id: user.id, status: accountStatus(user.status), created: true }),
        raw_data: rawUser(user)
      })
    }))

export const updateAccount: CapabilityHandler<"update_account", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    Effect.gen(function*() {
      const r = req.request
      // MockApp users have no custom attributes: one asked for is refused rather than silently dropped
      const attributes = Object.keys(r.custom_attributes ?? {})
      if (attributes.length > 0) {
        return yield* new CapabilityError({
          code: "invalid_value",
          raisedBy: "ValueError",
          message: `MockApp users have no custom attributes (got ${attributes.join(", ")}); update_account changes email, given_name, family_name and user_status`
        })
      }
      const current = yield* client.getUser(r.id)
      // a name part left out keeps its current value
      const now = splitName(current.name)
      const given = r.given_name ?? now.given_name
      const family = r.family_name ?? now.family_name
      const renamed = r.given_name !== undefined && r.given_name !== null || r.family_name !== undefined && r.family_name !== null
      const status = r.user_status === undefined || r.user_status === null ? undefined : userStatus(r.user_status)
      const user = yield* client.updateUser(r.id, {
        ...(r.email !== undefined && r.email !== null ? { email: r.email } : {}),
        ...(renamed ? { name: [given, family].filter((x) => x !== null).join(" ") } : {}),
        ...(status !== undefined ? { status } : {})
      })
      return new UpdateAccountResponse({ response: new UpdatedAccount({ id: user.id }), raw_data: rawUser(user) })
    }))

export const activateAccount: CapabilityHandler<"activate_account", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    client.updateUser(req.request.account_id, { status: "active" }).pipe(
      Effect.map((user) =>
        new ActivateAccountResponse({
          response: new ActivatedAccount({ status: accountStatus(user.status), activated: true }),
          raw_data: rawUser(user)
        })
      )
    ))

export const deactivateAccount: CapabilityHandler<"deactivate_account", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    client.updateUser(req.request.account_id, { status: "inactive" }).pipe(
      Effect.map((user) =>
        new DeactivateAccountResponse({
          response: new DeactivatedAccount({ status: accountStatus(user.status), deactivated: true }),
          raw_data: rawUser(user)
        })
      )
    ))

export const deleteAccount: CapabilityHandler<"delete_account", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    client.deleteUser(req.request.account_id).pipe(
      Effect.as(new DeleteAccountResponse({ response: new DeletedAccount({ status: "DELETED", deleted: true }) }))
    ))

export const assignEntitlement: CapabilityHandler<"assign_entitlement", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    Effect.gen(function*() {
      const account = req.request.account_integration_specific_id
      const entitlementId = req.request.entitlement_integration_specific_id
      const resourceId = req.request.resource_integration_specific_id
      const entitlements = yield* client.getEntitlements
      const entitlement = entitlements.find((e) => e.id === entitlementId)
      const type = entitlementTypes.find((t) => t.type_id === entitlement?.type)
      // enforce the type's cardinality before any write
      if (entitlement !== undefined && type !== undefined && type.max !== null) {
        const sameType = new Set(entitlements.filter((e) => e.type === entitlement.type).map((e) => e.id))
        const held = (yield* client.getAssociations({ user_id: account })).filter((a) =>
          sameType.has(a.entitlement_id) && !(a.entitlement_id === entitlementId && a.resource_id === resourceId)
        )
        if (held.length >= type.max) {
          return yield* new CapabilityError({
            code: "invalid_value",
            raisedBy: "EntitlementCardinalityError",
            message: `account ${account} already holds ${held.length} ${type.type_id} entitlement${held.length === 1 ? "" : "s"} (${
              held.map((a) => a.entitlement_id).join(", ")
            }); ${type.type_label} allows at most ${type.max} per account, so ${entitlementId} was not assigned`
          })
        }
      }
      const association = yield* client.assignEntitlement(account, entitlementId, resourceId)
      return new AssignEntitlementResponse({ response: new AssignedEntitlement({ assigned: true }), raw_data: association })
    }))

export const unassignEntitlement: CapabilityHandler<"unassign_entitlement", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    client.unassignEntitlement(
      req.request.account_integration_specific_id,
      req.request.entitlement_integration_specific_id,
      req.request.resource_integration_specific_id
    ).pipe(Effect.as(new UnassignEntitlementResponse({ response: new UnassignedEntitlement({ unassigned: true }) }))))
