/**
 * GitHub's entitlement associations, from the connector's own permission-snapshot stream (a full pull
 * of the org: GitHub has no grant list to page): all of them (find_entitlement_associations) or one
 * account's (get_account_entitlement_associations, case-insensitive on the login).
 */
import { Effect, Option, Stream } from "effect"
import { CapabilityError } from "../../../sdk/capabilities/Errors.js"
import type { CapabilityHandler } from "../../../sdk/capabilities/Executor.js"
import { FoundEntitlementAssociation } from "../../../sdk/capabilities/Records.js"
import {
  FindEntitlementAssociationsResponse,
  GetAccountEntitlementAssociationsResponse
} from "../../../sdk/capabilities/Responses.js"
import type { GitHubClient } from "../Client.js"
import { permissionsStream } from "../permissions/PermissionsStream.js"
import { defaultPermissionsOptions, makePermissionsState } from "../permissions/State.js"
import { type GitHubCapabilitySettings, withClient } from "./Common.js"

const associations = (client: GitHubClient) =>
  permissionsStream(client, makePermissionsState(), defaultPermissionsOptions).pipe(
    Stream.filterMap((record) => (record._tag === "Valid" ? Option.some(record.value) : Option.none())),
    Stream.map((s) =>
      new FoundEntitlementAssociation({
        account_id: s.principalRef,
        integration_specific_entitlement_id: s.privilege.toLowerCase(),
        integration_specific_resource_id: s.assetRef
      })
    )
  )

export const findEntitlementAssociations: CapabilityHandler<"find_entitlement_associations", GitHubCapabilitySettings> = (
  req,
  settings
) =>
  withClient(req.auth, settings, 100, (client) =>
    associations(client).pipe(
      Stream.runCollect,
      Effect.map((found) => new FindEntitlementAssociationsResponse({ response: Array.from(found) }))
    ))

export const getAccountEntitlementAssociations: CapabilityHandler<"get_account_entitlement_associations", GitHubCapabilitySettings> = (
  req,
  settings
) =>
  withClient(req.auth, settings, 100, (client) => {
    const wanted = req.request.account_id.toLowerCase()
    return associations(client).pipe(
      Stream.filter((a) => a.account_id.toLowerCase() === wanted),
      Stream.runCollect,
      Effect.flatMap((found) =>
        found.length === 0
          ? Effect.fail(
            new CapabilityError({
              code: "not_found",
              raisedBy: "NotFoundError",
              message: `${req.request.account_id} holds no access in the ${settings.org} organization (not a member or collaborator)`
            })
          )
          : Effect.succeed(new GetAccountEntitlementAssociationsResponse({ response: Array.from(found) }))
      )
    )
  })
