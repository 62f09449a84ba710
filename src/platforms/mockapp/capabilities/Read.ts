/** MockApp's read capabilities (the tutorial's `capabilities_read.py`). */
import { Effect, Option } from "effect"
import type { CapabilityHandler } from "../../../sdk/capabilities/Executor.js"
import { PageCursor, paginate } from "../../../sdk/capabilities/PageToken.js"
import {
  FoundEntitlementAssociation,
  FoundEntitlementData,
  FoundResourceData,
  LastActivityData,
  ValidatedCredentials
} from "../../../sdk/capabilities/Records.js"
import {
  FindEntitlementAssociationsResponse,
  GetLastActivityResponse,
  ListAccountsResponse,
  ListEntitlementsResponse,
  ListResourcesResponse,
  ValidateCredentialsResponse
} from "../../../sdk/capabilities/Responses.js"
import type { MockAppSettings } from "../Settings.js"
import { appId, toAccount, withClient } from "./Common.js"

export const validateCredentials: CapabilityHandler<"validate_credentials", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    // health is open: a real check needs an authenticated call
    client.getUsers(1, 0).pipe(
      Effect.as(new ValidateCredentialsResponse({ response: new ValidatedCredentials({ valid: true, unique_tenant_id: settings.api_url }) }))
    ))

export const listAccounts: CapabilityHandler<"list_accounts", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    paginate({
      appId,
      capability: "list_accounts",
      endpoints: ["users"],
      page: req.page,
      defaultSize: 100,
      fetch: (cursor, size) =>
        client.getUsers(size, cursor.offset).pipe(
          Effect.map((page) => ({
            items: page.items.map(toAccount),
            next: page.has_more && page.items.length > 0
              ? Option.some(new PageCursor({ endpoint: cursor.endpoint, offset: cursor.offset + page.items.length }))
              : Option.none()
          }))
        )
    }).pipe(Effect.map(({ items, page }) => new ListAccountsResponse({ response: items, page }))))

export const listResources: CapabilityHandler<"list_resources", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    client.getResources.pipe(
      Effect.map((resources) =>
        new ListResourcesResponse({
          response: resources
            .filter((r) => req.request.resource_type === undefined || r.type === req.request.resource_type)
            .map((r) => new FoundResourceData({ resource_id: r.id, resource_type: r.type, display_name: r.name, description: r.description }))
        })
      )
    ))

export const listEntitlements: CapabilityHandler<"list_entitlements", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    Effect.gen(function*() {
      const entitlements = yield* client.getEntitlements
      const resources = yield* client.getResources
      const typeOf = new Map(resources.map((r) => [r.id, r.type]))
      const { resource_id, resource_type } = req.request
      return new ListEntitlementsResponse({
        response: entitlements
          .filter((e) => resource_id === undefined || e.resource_id === resource_id)
          .filter((e) => resource_type === undefined || typeOf.get(e.resource_id) === resource_type)
          .map((e) =>
            new FoundEntitlementData({
              entitlement_id: e.id,
              entitlement_type: e.type,
              resource_id: e.resource_id,
              display_name: e.name,
              description: e.description
            })
          )
      })
    }))

export const findEntitlementAssociations: CapabilityHandler<"find_entitlement_associations", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) => {
    // a single id per filter is pushed to the API; several are filtered here
    const only = (ids: ReadonlyArray<string> | undefined) => (ids !== undefined && ids.length === 1 ? ids[0] : undefined)
    const upstream = {
      ...(only(req.request.account_ids) !== undefined ? { user_id: only(req.request.account_ids) } : {}),
      ...(only(req.request.entitlement_ids) !== undefined ? { entitlement_id: only(req.request.entitlement_ids) } : {}),
      ...(only(req.request.resource_ids) !== undefined ? { resource_id: only(req.request.resource_ids) } : {})
    }
    return paginate({
      appId,
      capability: "find_entitlement_associations",
      endpoints: ["associations"],
      page: req.page,
      defaultSize: 100,
      fetch: (cursor, size) =>
        client.getAssociations({ ...upstream, limit: size, offset: cursor.offset }).pipe(
          Effect.map((page) => ({
            items: page,
            next: page.length === size
              ? Option.some(new PageCursor({ endpoint: cursor.endpoint, offset: cursor.offset + page.length }))
              : Option.none()
          }))
        )
    }).pipe(
      Effect.map(({ items, page }) => {
        const { account_ids, entitlement_ids, resource_ids } = req.request
        return new FindEntitlementAssociationsResponse({
          response: items
            .filter((a) => account_ids === undefined || account_ids.includes(a.user_id))
            .filter((a) => entitlement_ids === undefined || entitlement_ids.includes(a.entitlement_id))
            .filter((a) => resource_ids === undefined || resource_ids.includes(a.resource_id))
            .map((a) => new FoundEntitlementAssociation({ account_id: a.user_id, entitlement_id: a.entitlement_id, resource_id: a.resource_id })),
          page
        })
      })
    )
  })

export const getLastActivity: CapabilityHandler<"get_last_activity", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    Effect.forEach(
      req.request.account_ids,
      (id) =>
        client.getUser(id).pipe(
          Effect.map((user) =>
            user.last_login === null
              ? []
              : [new LastActivityData({ account_id: user.id, event_type: "last_login", happened_at: user.last_login })]
          ),
          // unknown accounts are skipped, as the tutorial does; any other failure is reported
          Effect.catchIf((e) => e.reason === "not_found", () => Effect.succeed([]))
        ),
      { concurrency: 4 }
    ).pipe(Effect.map((found) => new GetLastActivityResponse({ response: found.flat() }))))
