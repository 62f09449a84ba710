/** MockApp's write capabilities (the tutorial's `capabilities_write.py`): accounts, and entitlements within their type's cardinality. */
import { Effect } from "effect"
import { CapabilityError } from "../../../sdk/capabilities/Errors.js"
import type { CapabilityHandler } from "../../../sdk/capabilities/Executor.js"
import { AccountResponse, EmptyResponse } from "../../../sdk/capabilities/Responses.js"
import type { MockAppSettings } from "../Settings.js"
import { entitlementTypes, toAccount, withClient } from "./Common.js"

export const createAccount: CapabilityHandler<"create_account", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    client.createUser({
      email: req.request.email,
      name: req.request.display_name ??
        ([req.request.given_name, req.request.family_name].filter((x) => x !== undefined).join(" ") || req.request.email),
      status: "active"
    }).pipe(Effect.map((user) => new AccountResponse({ response: toAccount(user) }))))

export const activateAccount: CapabilityHandler<"activate_account", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    client.updateUser(req.request.account_id, { status: "active" }).pipe(
      Effect.map((user) => new AccountResponse({ response: toAccount(user) }))
    ))

export const deactivateAccount: CapabilityHandler<"deactivate_account", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    client.updateUser(req.request.account_id, { status: "inactive" }).pipe(
      Effect.map((user) => new AccountResponse({ response: toAccount(user) }))
    ))

export const deleteAccount: CapabilityHandler<"delete_account", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    client.deleteUser(req.request.account_id).pipe(Effect.as(new EmptyResponse({ response: null }))))

export const assignEntitlement: CapabilityHandler<"assign_entitlement", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    Effect.gen(function*() {
      const { account_id, entitlement_id, resource_id } = req.request
      const entitlements = yield* client.getEntitlements
      const entitlement = entitlements.find((e) => e.id === entitlement_id)
      const type = entitlementTypes.find((t) => t.type_id === entitlement?.type)
      // enforce the type's cardinality before any write
      if (entitlement !== undefined && type?.max !== undefined) {
        const sameType = new Set(entitlements.filter((e) => e.type === entitlement.type).map((e) => e.id))
        const held = (yield* client.getAssociations({ user_id: account_id })).filter((a) =>
          sameType.has(a.entitlement_id) && !(a.entitlement_id === entitlement_id && a.resource_id === resource_id)
        )
        if (held.length >= type.max) {
          return yield* new CapabilityError({
            code: "bad_request",
            raisedBy: "EntitlementCardinalityError",
            message: `account ${account_id} already holds ${held.length} ${type.type_id} entitlement${held.length === 1 ? "" : "s"} (${
              held.map((a) => a.entitlement_id).join(", ")
            }); ${type.type_label} allows at most ${type.max} per account, so ${entitlement_id} was not assigned`
          })
        }
      }
      yield* client.assignEntitlement(account_id, entitlement_id, resource_id)
      return new EmptyResponse({ response: null })
    }))

export const unassignEntitlement: CapabilityHandler<"unassign_entitlement", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    client.unassignEntitlement(req.request.account_id, req.request.entitlement_id, req.request.resource_id).pipe(
      Effect.as(new EmptyResponse({ response: null }))
    ))
