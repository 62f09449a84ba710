/**
 * GitHub's read capabilities on the SDK's models:
 *   - validate_credentials: the org's id is the tenant id;
 *   - list_accounts / get_account: org members (a login is the account id), then pending invitations
 *     (PENDING; `invitation:<id>` for one by email); asked for the `org_role` custom attribute, each says
 *     admin (an owner) or member;
 *   - list_resources: repositories (`org/name`) then teams (`team:<slug>`), one token spanning both;
 *   - list_entitlements: each repository's permission levels (pull..admin) and each team's membership.
 */
import { Effect, Option, Schema, Stream } from "effect"
import { CapabilityError } from "../../../sdk/capabilities/Errors.js"
import type { CapabilityHandler } from "../../../sdk/capabilities/Executor.js"
import { FoundAccountData, FoundEntitlementData, FoundResourceData, ValidatedCredentials } from "../../../sdk/capabilities/Records.js"
import {
  GetAccountResponse,
  ListAccountsResponse,
  ListEntitlementsResponse,
  ListResourcesResponse,
  ValidateCredentialsResponse
} from "../../../sdk/capabilities/Responses.js"
import type { GitHubClient } from "../Client.js"
import { Member, OrgInvitation, OrgMembership, Organization, Repository, Team } from "../Payloads.js"
import { type GitHubCapabilitySettings, levelLabels, linkPages, orgRoleAttribute, repositoryLevels, withClient } from "./Common.js"

/** `admins`: the owners' logins (lower case), read when the request asks for the org_role attribute */
const toAccount = (m: typeof Member.Type, admins: Option.Option<ReadonlySet<string>>) =>
  new FoundAccountData({
    integration_specific_id: m.login,
    username: m.login,
    user_status: "ACTIVE",
    account_type: "user",
    extra_data: m.id !== undefined ? { id: m.id } : null,
    custom_attributes: Option.match(admins, {
      onNone: () => null,
      onSome: (owners) => ({ [orgRoleAttribute]: owners.has(m.login.toLowerCase()) ? "admin" : "member" })
    })
  })

/** the org's owners, when `custom_attributes` asks for org_role (one walk of `members?role=admin`; owners are few) */
const adminsIfAsked = (client: GitHubClient, org: string, asked: ReadonlyArray<string> | null | undefined) =>
  asked?.includes(orgRoleAttribute)
    ? client.pages("core", `/orgs/${org}/members?role=admin&per_page=100`, `list the owners of ${org}`).pipe(
      Stream.flatMap((items) => Stream.fromIterable(items)),
      Stream.filterMap((item) => Option.getRight(Schema.decodeUnknownEither(Member)(item))),
      Stream.runFold(new Set<string>(), (owners, m) => owners.add(m.login.toLowerCase())),
      Effect.map((owners): Option.Option<ReadonlySet<string>> => Option.some(owners))
    )
    : Effect.succeed(Option.none<ReadonlySet<string>>())

export const validateCredentials: CapabilityHandler<"validate_credentials", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, 1, (client) =>
    client.getJson("core", `/orgs/${settings.org}`, Organization, `read organization ${settings.org}`).pipe(
      Effect.map(({ body }) =>
        new ValidateCredentialsResponse({ response: new ValidatedCredentials({ valid: true, unique_tenant_id: String(body.id) }) })
      )
    ))

const members = (client: GitHubClient, org: string) => (_: string, url: string) =>
  client.getJson("core", url, Schema.Array(Member), `list organization members of ${org}`).pipe(
    Effect.map(({ body, next }) => ({ items: body, next }))
  )

/** a pending org invitation as an account: PENDING, named by login, or by `invitation:<id>` before it has one */
const toPending = (i: typeof OrgInvitation.Type, admins: Option.Option<ReadonlySet<string>>) =>
  new FoundAccountData({
    integration_specific_id: i.login ?? `invitation:${i.id}`,
    username: i.login,
    email: i.email,
    user_status: "PENDING",
    account_type: "user",
    extra_data: { invitation_id: i.id },
    custom_attributes: Option.isSome(admins) ? { [orgRoleAttribute]: i.role === "admin" ? "admin" : "member" } : null
  })

export const listAccounts: CapabilityHandler<"list_accounts", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, req.page?.size ?? 100, (client) =>
    Effect.gen(function*() {
      const membersUrl = `/orgs/${settings.org}/members`
      const admins = yield* adminsIfAsked(client, settings.org, req.request.custom_attributes)
      // the members, then the pending invitations (what create_account made, until accepted)
      const { items, page } = yield* linkPages(
        settings.api_url,
        "list_accounts",
        req.page,
        [membersUrl, `/orgs/${settings.org}/invitations`],
        (endpoint, url) =>
          endpoint === membersUrl
            ? members(client, settings.org)(endpoint, url).pipe(
              Effect.map(({ items, next }) => ({ items: items.map((m) => ({ account: toAccount(m, admins), raw: m as unknown })), next }))
            )
            : client.getJson("core", url, Schema.Array(OrgInvitation), `list the invitations to ${settings.org}`).pipe(
              Effect.map(({ body, next }) => ({ items: body.map((i) => ({ account: toPending(i, admins), raw: i as unknown })), next }))
            )
      )
      return new ListAccountsResponse({ response: items.map((i) => i.account), raw_data: items.map((i) => i.raw), page })
    }))

export const getAccount: CapabilityHandler<"get_account", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, 100, (client) =>
    Effect.gen(function*() {
      const wanted = req.request.account_id.toLowerCase()
      const admins = () => adminsIfAsked(client, settings.org, req.request.custom_attributes)
      // GitHub logins are case-insensitive; the org's member list is the source of who is an account
      let url: Option.Option<string> = Option.some(`/orgs/${settings.org}/members?per_page=100`)
      while (Option.isSome(url)) {
        const { items, next } = yield* members(client, settings.org)("", url.value)
        const found = items.find((m) => m.login.toLowerCase() === wanted)
        if (found !== undefined) return new GetAccountResponse({ response: toAccount(found, yield* admins()), raw_data: found })
        url = next
      }
      // not a member: maybe invited (PENDING until accepted)
      const membership = yield* client.getJson(
        "core",
        `/orgs/${settings.org}/memberships/${encodeURIComponent(req.request.account_id)}`,
        OrgMembership,
        `read ${req.request.account_id}'s membership of ${settings.org}`
      ).pipe(
        Effect.map(({ body }) => Option.some(body)),
        Effect.catchIf((e) => e.status === 404, () => Effect.succeed(Option.none<typeof OrgMembership.Type>()))
      )
      if (Option.isSome(membership)) {
        const m = membership.value
        return new GetAccountResponse({
          response: new FoundAccountData({
            integration_specific_id: req.request.account_id,
            username: req.request.account_id,
            user_status: m.state === "active" ? "ACTIVE" : "PENDING",
            account_type: "user",
            custom_attributes: req.request.custom_attributes?.includes(orgRoleAttribute) ? { [orgRoleAttribute]: m.role === "admin" ? "admin" : "member" } : null
          }),
          raw_data: m
        })
      }
      return yield* new CapabilityError({
        code: "not_found",
        raisedBy: "NotFoundError",
        message: `${req.request.account_id} is neither a member of nor invited to the ${settings.org} organization`
      })
    }))

const repositories = (client: GitHubClient, url: string) =>
  client.getJson("core", url, Schema.Array(Repository), "list repositories")
const teams = (client: GitHubClient, url: string) => client.getJson("core", url, Schema.Array(Team), "list teams")

export const listResources: CapabilityHandler<"list_resources", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, req.page?.size ?? 100, (client) => {
    const repos = `/orgs/${settings.org}/repos`
    return linkPages(settings.api_url, "list_resources", req.page, [repos, `/orgs/${settings.org}/teams`], (endpoint, url) =>
      endpoint === repos
        ? repositories(client, url).pipe(
          Effect.map(({ body, next }) => ({
            items: body.map((r) =>
              new FoundResourceData({ integration_specific_id: r.full_name, resource_type: "repository", label: r.name })
            ),
            next
          }))
        )
        : teams(client, url).pipe(
          Effect.map(({ body, next }) => ({
            items: body.map((t) =>
              new FoundResourceData({ integration_specific_id: `team:${t.slug}`, resource_type: "team", label: t.name ?? t.slug })
            ),
            next
          }))
        )).pipe(Effect.map(({ items, page }) => new ListResourcesResponse({ response: items, page })))
  })

export const listEntitlements: CapabilityHandler<"list_entitlements", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, req.page?.size ?? 100, (client) => {
    const repos = `/orgs/${settings.org}/repos`
    return linkPages(settings.api_url, "list_entitlements", req.page, [repos, `/orgs/${settings.org}/teams`], (endpoint, url) =>
      endpoint === repos
        ? repositories(client, url).pipe(
          Effect.map(({ body, next }) => ({
            items: body.flatMap((r) =>
              repositoryLevels.map((level) =>
                new FoundEntitlementData({
                  integration_specific_id: level,
                  integration_specific_resource_id: r.full_name,
                  entitlement_type: "repository_permission",
                  label: `${levelLabels[level]} on ${r.name}`,
                  is_assignable: true
                })
              )
            ),
            next
          }))
        )
        : teams(client, url).pipe(
          Effect.map(({ body, next }) => ({
            items: body.map((t) =>
              new FoundEntitlementData({
                integration_specific_id: "member",
                integration_specific_resource_id: `team:${t.slug}`,
                entitlement_type: "team_member",
                label: `Member of ${t.name ?? t.slug}`,
                is_assignable: false
              })
            ),
            next
          }))
        )).pipe(Effect.map(({ items, page }) => new ListEntitlementsResponse({ response: items, page })))
  })
