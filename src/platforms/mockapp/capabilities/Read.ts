/** MockApp's read capabilities (the tutorial's `capabilities_read.py`, on the SDK's models). */
import { Effect, Option } from "effect"
import type { CapabilityHandler } from "../../../sdk/capabilities/Executor.js"
import { PageCursor, paginate } from "../../../sdk/capabilities/PageToken.js"
import {
  FoundEntitlementAssociation,
  FoundEntitlementData,
  FoundResourceData,
  ValidatedCredentials
} from "../../../sdk/capabilities/Records.js"
import {
  FindEntitlementAssociationsResponse,
  GetAccountEntitlementAssociationsResponse,
  GetAccountResponse,
  ListAccountsResponse,
  ListEntitlementsResponse,
  ListResourcesResponse,
  ValidateCredentialsResponse
} from "../../../sdk/capabilities/Responses.js"
import type { Association } from "../Payloads.js"
import type { MockAppSettings } from "../Settings.js"
import { appId, rawUser, toAccount, withClient } from "./Common.js"

/** the most the API serves per request; a larger page is filled from several requests */
const maxUpstreamPage = 1000

const toAssociation = (a: Association) =>
  new FoundEntitlementAssociation({
    account_id: a.user_id,
    integration_specific_entitlement_id: a.entitlement_id,
    integration_specific_resource_id: a.resource_id
  })

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
        client.getUsers(Math.min(size, maxUpstreamPage), cursor.offset).pipe(
          Effect.map((page) => ({
            items: page.items,
            next: page.has_more && page.items.length > 0
              ? Option.some(new PageCursor({ endpoint: cursor.endpoint, offset: cursor.offset + page.items.length }))
              : Option.none()
          }))
        )
    }).pipe(
      Effect.map(({ items, page }) => new ListAccountsResponse({ response: items.map(toAccount), raw_data: items.map((u) => rawUser(u)), page }))
    ))

export const getAccount: CapabilityHandler<"get_account", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    client.getUser(req.request.account_id).pipe(
      Effect.map((user) => new GetAccountResponse({ response: toAccount(user), raw_data: rawUser(user) }))
    ))

export const listResources: CapabilityHandler<"list_resources", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    client.getResources.pipe(
      Effect.map((resources) =>
        new ListResourcesResponse({
          response: resources.map((r) =>
            new FoundResourceData({ integration_specific_id: r.id, resource_type: r.type, label: r.name, description: r.description })
          ),
          raw_data: resources
        })
      )
    ))

export const listEntitlements: CapabilityHandler<"list_entitlements", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    client.getEntitlements.pipe(
      Effect.map((entitlements) =>
        new ListEntitlementsResponse({
          response: entitlements.map((e) =>
            new FoundEntitlementData({
              integration_specific_id: e.id,
              integration_specific_resource_id: e.resource_id,
              entitlement_type: e.type,
              label: e.name,
              description: e.description,
              is_assignable: true
            })
          ),
          raw_data: entitlements
        })
      )
    ))

export const findEntitlementAssociations: CapabilityHandler<"find_entitlement_associations", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    paginate({
      appId,
      capability: "find_entitlement_associations",
      endpoints: ["associations"],
      page: req.page,
      defaultSize: 100,
      fetch: (cursor, size) => {
        const limit = Math.min(size, maxUpstreamPage)
        return client.getAssociations({ limit, offset: cursor.offset }).pipe(
          Effect.map((page) => ({
            items: page,
            next: page.length === limit
              ? Option.some(new PageCursor({ endpoint: cursor.endpoint, offset: cursor.offset + page.length }))
              : Option.none()
          }))
        )
      }
    }).pipe(
      Effect.map(({ items, page }) => new FindEntitlementAssociationsResponse({ response: items.map(toAssociation), raw_data: items, page }))
    ))

export const getAccountEntitlementAssociations: CapabilityHandler<"get_account_entitlement_associations", MockAppSettings> = (
  req,
  settings
) =>
  withClient(req.auth, settings, (client) =>
    Effect.gen(function*() {
      // an unknown account is not_found, not an empty list
      const user = yield* client.getUser(req.request.account_id)
      const held = yield* client.getAssociations({ user_id: user.id })
      return new GetAccountEntitlementAssociationsResponse({ response: held.map(toAssociation), raw_data: held })
    }))
