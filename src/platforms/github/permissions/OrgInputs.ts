/**
 * Stage 1: have the org-wide inputs changed since the last pull? Owners, the base permission, teams and
 * their members and repositories: a change there can move a mechanism without changing any repository's
 * collaborator list, so it asks GraphQL for every repository. So does a full refresh falling due.
 * Every read is conditional: an unchanged org costs 304s, which spend no rate budget.
 */
import { Duration, Effect, Either, Schema, Stream } from "effect"
import type { ConnectorError } from "../../../domain/Errors.js"
import type { GitHubClient } from "../Client.js"
import { Organization } from "../Payloads.js"
import { conditionalPages, loginsOf } from "./Pages.js"
import type { PermissionsOptions, PermissionsState } from "./State.js"

const anyChanged = <V>(s: Stream.Stream<{ readonly changed: boolean; readonly value: V }, ConnectorError>) =>
  Stream.runFold(s, false, (acc, p) => acc || p.changed)

const decodeOrg = Schema.decodeUnknownEither(Organization, { onExcessProperty: "ignore" })

/**
 * What of `/orgs/{org}` moves grants: the base permission. The rest of that answer (its counters of
 * repositories, seats and outside collaborators, its dates) moves with changes each repository's own
 * lists show, and moving its ETag must not ask GraphQL for every repository. GitHub leaves the base
 * permission out for a token that may not see it: then the whole answer is kept, and any change counts.
 */
const basePermissionOf = (items: ReadonlyArray<unknown>): unknown =>
  Either.getOrUndefined(Either.map(decodeOrg(items[0]), (org) => org.default_repository_permission)) ?? { whole: items[0] }

/** A team's repositories as what moves grants: each name with the team's role there. */
const teamRolesOf = (items: ReadonlyArray<unknown>): ReadonlyArray<string> =>
  items.flatMap((item) => {
    if (typeof item !== "object" || item === null) return []
    const { name, role_name, permissions } = item as Record<string, unknown>
    return typeof name === "string" ? [`${name}:${typeof role_name === "string" ? role_name : JSON.stringify(permissions)}`] : []
  })

/**
 * Whether the org's base permission, its owners, its teams, or a team's members or repositories (and
 * the team's role on them) changed. The lists are compared by what they say of access, not by ETag.
 */
export const orgInputsChanged = (client: GitHubClient, state: PermissionsState): Effect.Effect<boolean, ConnectorError> =>
  Effect.gen(function*() {
    const { org, pageSize, concurrency } = client.settings
    const per = `per_page=${pageSize}`
    const orgChanged = yield* anyChanged(conditionalPages(client, state.pages, `/orgs/${org}`, basePermissionOf, `read organization ${org}`, "value"))
    const ownersChanged = yield* anyChanged(
      conditionalPages(client, state.pages, `/orgs/${org}/members?role=admin&${per}`, loginsOf("login"), "list org owners", "value")
    )
    let teamsChanged = false
    const teamInputsChanged = yield* conditionalPages(client, state.slugPages, `/orgs/${org}/teams?${per}`, loginsOf("slug"), "list teams")
      .pipe(
        Stream.tap((page) => Effect.sync(() => {
          if (page.changed) teamsChanged = true
        })),
        Stream.flatMap((page) => Stream.fromIterable(page.value)),
        Stream.mapEffect((slug) =>
          Effect.zipWith(
            anyChanged(conditionalPages(client, state.pages, `/orgs/${org}/teams/${slug}/members?${per}`, loginsOf("login"), `list members of team ${slug}`, "value")),
            anyChanged(conditionalPages(client, state.pages, `/orgs/${org}/teams/${slug}/repos?${per}`, teamRolesOf, `list repos of team ${slug}`, "value")),
            (a, b) => a || b
          ), { concurrency }),
        Stream.runFold(false, (acc, changed) => acc || changed)
      )
    return orgChanged || ownersChanged || teamsChanged || teamInputsChanged
  })

/** Whether GraphQL is owed every repository whatever the ETags say (`fullRefreshEvery` since the last complete one). */
export const fullRefreshDue = (state: PermissionsState, options: PermissionsOptions, now: number): boolean =>
  state.lastFullRefresh === undefined ||
  now - state.lastFullRefresh >= Duration.toMillis(Duration.decode(options.fullRefreshEvery))
