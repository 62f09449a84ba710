/**
 * GitHub's read capabilities:
 *   - validate_credentials: the org's id is the tenant id;
 *   - list_accounts: org members; list_resources: repositories then teams (one token spans both);
 *   - list_entitlements: each repository's permission levels (pull..admin) and each team's membership;
 *   - find_entitlement_associations: the connector's permission snapshots (same data, same stream);
 *   - get_last_activity: the newest audit-log event per requested account.
 */
import { Effect, Option, Schema, Stream } from "effect"
import type { CapabilityHandler } from "../../../sdk/capabilities/Executor.js"
import {
  FoundAccountData,
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
import { auditStream } from "../AuditLog.js"
import { Member, Organization, Repository, Team } from "../Payloads.js"
import { permissionsStream } from "../permissions/PermissionsStream.js"
import { defaultPermissionsOptions, makePermissionsState } from "../permissions/State.js"
import { type GitHubCapabilitySettings, levelLabels, linkPages, repositoryLevels, withClient } from "./Common.js"

export const validateCredentials: CapabilityHandler<"validate_credentials", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, 1, (client) =>
    client.getJson("core", `/orgs/${settings.org}`, Organization, `read organization ${settings.org}`).pipe(
      Effect.map(({ body }) =>
        new ValidateCredentialsResponse({ response: new ValidatedCredentials({ valid: true, unique_tenant_id: String(body.id) }) })
      )
    ))

export const listAccounts: CapabilityHandler<"list_accounts", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, req.page?.size ?? 100, (client) =>
    linkPages("list_accounts", req.page, [`/orgs/${settings.org}/members`], (_, url) =>
      client.getJson("core", url, Schema.Array(Member), "list organization members").pipe(
        Effect.map(({ body, next }) => ({
          items: body.map((m) => new FoundAccountData({ account_id: m.login, email: null, display_name: m.login, status: "active" })),
          next
        }))
      )).pipe(Effect.map(({ items, page }) => new ListAccountsResponse({ response: items, page }))))

export const listResources: CapabilityHandler<"list_resources", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, req.page?.size ?? 100, (client) => {
    const repos = `/orgs/${settings.org}/repos`
    const teams = `/orgs/${settings.org}/teams`
    const wanted = req.request.resource_type
    const endpoints = [...(wanted === undefined || wanted === "repository" ? [repos] : []), ...(wanted === undefined || wanted === "team" ? [teams] : [])]
    return linkPages("list_resources", req.page, endpoints, (endpoint, url) =>
      endpoint === repos
        ? client.getJson("core", url, Schema.Array(Repository), "list repositories").pipe(
          Effect.map(({ body, next }) => ({
            items: body.map((r) =>
              new FoundResourceData({ resource_id: r.full_name, resource_type: "repository", display_name: r.name, description: null })
            ),
            next
          }))
        )
        : client.getJson("core", url, Schema.Array(Team), "list teams").pipe(
          Effect.map(({ body, next }) => ({
            items: body.map((t) =>
              new FoundResourceData({ resource_id: `team:${t.slug}`, resource_type: "team", display_name: t.name ?? t.slug, description: null })
            ),
            next
          }))
        )).pipe(Effect.map(({ items, page }) => new ListResourcesResponse({ response: items, page })))
  })

export const listEntitlements: CapabilityHandler<"list_entitlements", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, req.page?.size ?? 100, (client) => {
    const repos = `/orgs/${settings.org}/repos`
    const teams = `/orgs/${settings.org}/teams`
    return linkPages("list_entitlements", req.page, [repos, teams], (endpoint, url) =>
      endpoint === repos
        ? client.getJson("core", url, Schema.Array(Repository), "list repositories").pipe(
          Effect.map(({ body, next }) => ({
            items: body.flatMap((r) =>
              repositoryLevels.map((level) =>
                new FoundEntitlementData({
                  entitlement_id: level,
                  entitlement_type: "repository_permission",
                  resource_id: r.full_name,
                  display_name: `${levelLabels[level]} on ${r.name}`,
                  description: null
                })
              )
            ),
            next
          }))
        )
        : client.getJson("core", url, Schema.Array(Team), "list teams").pipe(
          Effect.map(({ body, next }) => ({
            items: body.map((t) =>
              new FoundEntitlementData({
                entitlement_id: "member",
                entitlement_type: "team_member",
                resource_id: `team:${t.slug}`,
                display_name: `Member of ${t.name ?? t.slug}`,
                description: null
              })
            ),
            next
          }))
        )).pipe(
        Effect.map(({ items, page }) =>
          new ListEntitlementsResponse({
            response: items.filter((e) =>
              (req.request.resource_id === undefined || e.resource_id === req.request.resource_id) &&
              (req.request.resource_type === undefined ||
                (req.request.resource_type === "team") === e.resource_id.startsWith("team:"))
            ),
            page
          })
        )
      )
  })

export const findEntitlementAssociations: CapabilityHandler<"find_entitlement_associations", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, 100, (client) => {
    const { account_ids, entitlement_ids, resource_ids } = req.request
    const accounts = account_ids?.map((a) => a.toLowerCase())
    // the permission snapshots' own stream: a full pull of the org (GitHub has no grant list to page)
    return permissionsStream(client, makePermissionsState(), defaultPermissionsOptions).pipe(
      Stream.filterMap((record) => (record._tag === "Valid" ? Option.some(record.value) : Option.none())),
      Stream.map((s) =>
        new FoundEntitlementAssociation({ account_id: s.principalRef, entitlement_id: s.privilege.toLowerCase(), resource_id: s.assetRef })
      ),
      Stream.filter((a) =>
        (accounts === undefined || accounts.includes(a.account_id.toLowerCase())) &&
        (entitlement_ids === undefined || entitlement_ids.includes(a.entitlement_id)) &&
        (resource_ids === undefined || resource_ids.includes(a.resource_id))
      ),
      Stream.runCollect,
      Effect.map((found) => new FindEntitlementAssociationsResponse({ response: Array.from(found) }))
    )
  })

export const getLastActivity: CapabilityHandler<"get_last_activity", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, 100, (client) => {
    const wanted = new Map(req.request.account_ids.map((id) => [id.toLowerCase(), id]))
    return auditStream(client)(Option.none()).pipe(
      Stream.runFold(new Map<string, number>(), (latest, { record }) => {
        if (record._tag !== "Valid") return latest
        const who = record.value.principalRef.toLowerCase()
        const at = record.value.occurredAt.getTime()
        if (wanted.has(who) && at > (latest.get(who) ?? Number.NEGATIVE_INFINITY)) latest.set(who, at)
        return latest
      }),
      Effect.map((latest) =>
        new GetLastActivityResponse({
          response: [...wanted.entries()].flatMap(([key, id]) => {
            const at = latest.get(key)
            return at === undefined
              ? []
              : [new LastActivityData({ account_id: id, event_type: "last_activity", happened_at: new Date(at).toISOString() })]
          })
        })
      )
    )
  })
