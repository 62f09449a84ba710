/**
 * GitHub speaks the same capabilities as MockApp, on the GitHub connector's own client (its budgets,
 * retries and readable errors):
 *   - validate_credentials: the org's id is the tenant id;
 *   - list_accounts: org members; list_resources: repositories then teams (one token spans both);
 *   - list_entitlements: each repository's permission levels (pull..admin) and each team's membership;
 *   - find_entitlement_associations: the connector's permission snapshots (same data, same stream);
 *   - get_last_activity: the newest audit-log event per requested account;
 *   - assign/unassign_entitlement: PUT/DELETE /repos/{owner}/{repo}/collaborators/{username};
 *   - everything else: `unsupported`.
 * Resource ids: a repository is its full name (`org/repo`, as in snapshots), a team is `team:<slug>`.
 * Entitlement ids: a repository permission level (`pull`, `triage`, `push`, `maintain`, `admin`) or `member`.
 */
import { Effect, Option, Redacted, Schema, Stream } from "effect"
import { type AuthCredential, bearerToken } from "../../../sdk/capabilities/Auth.js"
import { CapabilityError } from "../../../sdk/capabilities/Errors.js"
import { type CapabilityServices, makeIntegration } from "../../../sdk/capabilities/Executor.js"
import { PageCursor, type PageRequest, paginate } from "../../../sdk/capabilities/PageToken.js"
import {
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
  EmptyResponse,
  FindEntitlementAssociationsResponse,
  GetLastActivityResponse,
  ListAccountsResponse,
  ListEntitlementsResponse,
  ListResourcesResponse,
  ValidateCredentialsResponse
} from "../../../sdk/capabilities/Responses.js"
import type { ConnectorError } from "../../../domain/Errors.js"
import { auditStream } from "../AuditLog.js"
import { type GitHubClient, makeGitHubClient } from "../Client.js"
import { Member, Organization, Repository, Team } from "../Payloads.js"
import { permissionsStream } from "../permissions/PermissionsStream.js"
import { defaultPermissionsOptions, makePermissionsState } from "../permissions/State.js"
import { defaultApiUrl, defaultConcurrency } from "../Settings.js"

const appId = "github"

/** What a capability request's `settings` holds for GitHub (the token travels in `auth`). */
export class GitHubCapabilitySettings extends Schema.Class<GitHubCapabilitySettings>("GitHubCapabilitySettings")({
  org: Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9-]*$/)).annotations({ description: "The GitHub organization's login" }),
  api_url: Schema.optionalWith(
    Schema.String.pipe(Schema.pattern(/^https?:\/\/\S+$/)).annotations({ description: "The GitHub API base URL" }),
    { default: () => defaultApiUrl }
  )
}) {}

export const repositoryLevels = ["pull", "triage", "push", "maintain", "admin"] as const
type Level = typeof repositoryLevels[number]
const isLevel = (s: string): s is Level => (repositoryLevels as ReadonlyArray<string>).includes(s)

const levelLabels: Record<Level, string> = { pull: "Read", triage: "Triage", push: "Write", maintain: "Maintain", admin: "Admin" }

const withClient = <A>(
  auth: AuthCredential | undefined,
  settings: GitHubCapabilitySettings,
  pageSize: number,
  use: (client: GitHubClient) => Effect.Effect<A, ConnectorError | CapabilityError, CapabilityServices>
): Effect.Effect<A, CapabilityError, CapabilityServices> =>
  Effect.gen(function*() {
    const token = yield* bearerToken(auth)
    const client = yield* makeGitHubClient({
      org: settings.org,
      token: Redacted.make(Redacted.value(token)),
      apiUrl: settings.api_url.replace(/\/+$/, ""),
      pageSize: Math.min(100, Math.max(1, pageSize)),
      concurrency: defaultConcurrency
    })
    return yield* use(client)
  }).pipe(Effect.mapError((e) => (e._tag === "ConnectorError" ? CapabilityError.fromConnectorError(e) : e)))

/** Page through GitHub list endpoints (following `Link` next URLs) behind one of our page tokens. */
const linkPages = <A>(
  capability: string,
  page: PageRequest | undefined,
  endpoints: ReadonlyArray<string>,
  fetchOne: (endpoint: string, url: string) => Effect.Effect<{ readonly items: ReadonlyArray<A>; readonly next: Option.Option<string> }, ConnectorError>
) =>
  paginate({
    appId,
    capability,
    endpoints,
    page,
    defaultSize: 100,
    fetch: (cursor, size) => {
      const first = `${cursor.endpoint}?per_page=${Math.min(100, size)}`
      return fetchOne(cursor.endpoint, cursor.cursor ?? first).pipe(
        Effect.map(({ items, next }) => ({
          items,
          next: Option.map(next, (url) => new PageCursor({ endpoint: cursor.endpoint, offset: 0, cursor: url }))
        }))
      )
    }
  })

const splitRepo = (resourceId: string, org: string) => {
  const [owner, repo, ...rest] = resourceId.split("/")
  return owner !== undefined && repo !== undefined && rest.length === 0 && owner.toLowerCase() === org.toLowerCase() && repo !== ""
    ? Option.some({ owner, repo })
    : Option.none()
}

/** The repository an (un)assignment writes to; only repository permission levels can be written. */
const collaboratorTarget = (
  request: { readonly entitlement_id: string; readonly resource_id: string },
  org: string,
  verb: "assigned" | "unassigned"
) => {
  const target = splitRepo(request.resource_id, org)
  return Option.isSome(target) && isLevel(request.entitlement_id)
    ? Effect.succeed(target.value)
    : Effect.fail(
      new CapabilityError({
        code: "bad_request",
        raisedBy: "UnsupportedEntitlement",
        message: `only repository permissions can be ${verb}: resource_id "${org}/<repo>" and entitlement_id one of ${
          repositoryLevels.join(", ")
        } (got ${request.entitlement_id} on ${request.resource_id})`
      })
    )
}

export const GitHubIntegration = makeIntegration({
  appId,
  version: "0.1.0",
  auth: "token",
  userFriendlyName: "GitHub",
  description: "GitHub organization: members, repositories, teams, repository permissions and the audit log",
  settings: GitHubCapabilitySettings,
  resourceTypes: [
    new ResourceType({ type_id: "repository", type_label: "Repository" }),
    new ResourceType({ type_id: "team", type_label: "Team" })
  ],
  entitlementTypes: [
    // one permission level per person and repository: a new level replaces the old one
    new EntitlementType({ type_id: "repository_permission", type_label: "Repository permission", resource_type_id: "repository", min: 0, max: 1 }),
    new EntitlementType({ type_id: "team_member", type_label: "Team member", resource_type_id: "team", min: 0 })
  ],
  capabilities: {
    validate_credentials: (req, settings) =>
      withClient(req.auth, settings, 1, (client) =>
        client.getJson("core", `/orgs/${settings.org}`, Organization, `read organization ${settings.org}`).pipe(
          Effect.map(({ body }) =>
            new ValidateCredentialsResponse({ response: new ValidatedCredentials({ valid: true, unique_tenant_id: String(body.id) }) })
          )
        )),

    list_accounts: (req, settings) =>
      withClient(req.auth, settings, req.page?.size ?? 100, (client) =>
        linkPages("list_accounts", req.page, [`/orgs/${settings.org}/members`], (_, url) =>
          client.getJson("core", url, Schema.Array(Member), "list organization members").pipe(
            Effect.map(({ body, next }) => ({
              items: body.map((m) => new FoundAccountData({ account_id: m.login, email: null, display_name: m.login, status: "active" })),
              next
            }))
          )).pipe(Effect.map(({ items, page }) => new ListAccountsResponse({ response: items, page })))),

    list_resources: (req, settings) =>
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
      }),

    list_entitlements: (req, settings) =>
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
      }),

    find_entitlement_associations: (req, settings) =>
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
      }),

    get_last_activity: (req, settings) =>
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
      }),

    assign_entitlement: (req, settings) =>
      withClient(req.auth, settings, 1, (client) =>
        Effect.gen(function*() {
          const { account_id, entitlement_id, resource_id } = req.request
          const { owner, repo } = yield* collaboratorTarget(req.request, settings.org, "assigned")
          yield* client.write(
            "PUT",
            `/repos/${owner}/${repo}/collaborators/${encodeURIComponent(account_id)}`,
            { permission: entitlement_id },
            `add ${account_id} to ${resource_id} with ${entitlement_id}`
          )
          return new EmptyResponse({ response: null })
        })),

    unassign_entitlement: (req, settings) =>
      withClient(req.auth, settings, 1, (client) =>
        Effect.gen(function*() {
          const { account_id, resource_id } = req.request
          const { owner, repo } = yield* collaboratorTarget(req.request, settings.org, "unassigned")
          yield* client.write(
            "DELETE",
            `/repos/${owner}/${repo}/collaborators/${encodeURIComponent(account_id)}`,
            undefined,
            `remove ${account_id} from ${resource_id}`
          )
          return new EmptyResponse({ response: null })
        }))
  }
})
