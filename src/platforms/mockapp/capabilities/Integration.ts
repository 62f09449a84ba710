/**
 * MockApp's capabilities (the tutorial's `capabilities_read.py`, `capabilities_write.py` and
 * `integration.py`): all twelve standard capabilities plus `info`, against the MockApp API.
 */
import { Effect, Option } from "effect"
import { type AuthCredential, bearerToken } from "../../../sdk/capabilities/Auth.js"
import { CapabilityError } from "../../../sdk/capabilities/Errors.js"
import { makeIntegration } from "../../../sdk/capabilities/Executor.js"
import { PageCursor, paginate } from "../../../sdk/capabilities/PageToken.js"
import {
  type AccountStatus,
  EntitlementType,
  FoundAccountData,
  FoundEntitlementAssociation,
  FoundEntitlementData,
  FoundResourceData,
  LastActivityData,
  ResourceType,
  ValidatedCredentials
} from "../../../sdk/capabilities/Records.js"
import {
  AccountResponse,
  EmptyResponse,
  FindEntitlementAssociationsResponse,
  GetLastActivityResponse,
  ListAccountsResponse,
  ListEntitlementsResponse,
  ListResourcesResponse,
  ValidateCredentialsResponse
} from "../../../sdk/capabilities/Responses.js"
import type { ConnectorError } from "../../../domain/Errors.js"
import { makeMockAppClient } from "../Client.js"
import type { User } from "../Payloads.js"
import { MockAppSettings } from "../Settings.js"

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

const withClient = <A>(
  auth: AuthCredential | undefined,
  settings: MockAppSettings,
  use: (client: Effect.Effect.Success<ReturnType<typeof makeMockAppClient>>) => Effect.Effect<A, ConnectorError | CapabilityError, never>
) =>
  Effect.gen(function*() {
    const token = yield* bearerToken(auth)
    const client = yield* makeMockAppClient({ apiUrl: settings.api_url, token })
    return yield* use(client)
  }).pipe(Effect.mapError((e) => (e._tag === "ConnectorError" ? fromConnector(e) : e)))

export const MockAppIntegration = makeIntegration({
  appId,
  version,
  auth: "token",
  userFriendlyName: "MockApp",
  description: "MockApp is a test application for demonstrating Lumos connectors",
  settings: MockAppSettings,
  resourceTypes,
  entitlementTypes,
  capabilities: {
    validate_credentials: (req, settings) =>
      withClient(req.auth, settings, (client) =>
        // health is open: a real check needs an authenticated call
        client.getUsers(1, 0).pipe(
          Effect.as(new ValidateCredentialsResponse({ response: new ValidatedCredentials({ valid: true, unique_tenant_id: settings.api_url }) }))
        )),

    list_accounts: (req, settings) =>
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
        }).pipe(Effect.map(({ items, page }) => new ListAccountsResponse({ response: items, page })))),

    list_resources: (req, settings) =>
      withClient(req.auth, settings, (client) =>
        client.getResources.pipe(
          Effect.map((resources) =>
            new ListResourcesResponse({
              response: resources
                .filter((r) => req.request.resource_type === undefined || r.type === req.request.resource_type)
                .map((r) => new FoundResourceData({ resource_id: r.id, resource_type: r.type, display_name: r.name, description: r.description }))
            })
          )
        )),

    list_entitlements: (req, settings) =>
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
        })),

    find_entitlement_associations: (req, settings) =>
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
      }),

    get_last_activity: (req, settings) =>
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
        ).pipe(Effect.map((found) => new GetLastActivityResponse({ response: found.flat() })))),

    create_account: (req, settings) =>
      withClient(req.auth, settings, (client) =>
        client.createUser({
          email: req.request.email,
          name: req.request.display_name ??
            ([req.request.given_name, req.request.family_name].filter((x) => x !== undefined).join(" ") || req.request.email),
          status: "active"
        }).pipe(Effect.map((user) => new AccountResponse({ response: toAccount(user) })))),

    activate_account: (req, settings) =>
      withClient(req.auth, settings, (client) =>
        client.updateUser(req.request.account_id, { status: "active" }).pipe(
          Effect.map((user) => new AccountResponse({ response: toAccount(user) }))
        )),

    deactivate_account: (req, settings) =>
      withClient(req.auth, settings, (client) =>
        client.updateUser(req.request.account_id, { status: "inactive" }).pipe(
          Effect.map((user) => new AccountResponse({ response: toAccount(user) }))
        )),

    delete_account: (req, settings) =>
      withClient(req.auth, settings, (client) =>
        client.deleteUser(req.request.account_id).pipe(Effect.as(new EmptyResponse({ response: null })))),

    assign_entitlement: (req, settings) =>
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
        })),

    unassign_entitlement: (req, settings) =>
      withClient(req.auth, settings, (client) =>
        client.unassignEntitlement(req.request.account_id, req.request.entitlement_id, req.request.resource_id).pipe(
          Effect.as(new EmptyResponse({ response: null }))
        ))
  }
})
