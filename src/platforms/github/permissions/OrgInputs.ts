/**
 * Stage 1: have the org-wide inputs changed since the last pull? Owners, the base permission, teams and
 * their members and repositories: a change there can move a mechanism without changing any repository's
 * collaborator list, so it asks GraphQL for every repository. So does a full refresh falling due.
 * Every read is conditional: an unchanged org costs 304s, which spend no rate budget.
 */
import { Duration, Effect, Stream } from "effect"
import type { ConnectorError } from "../../../domain/Errors.js"
import type { GitHubClient } from "../Client.js"
import { conditionalPages, loginsOf } from "./Pages.js"
import type { PermissionsOptions, PermissionsState } from "./State.js"

const anyChanged = <V>(s: Stream.Stream<{ readonly changed: boolean; readonly value: V }, ConnectorError>) =>
  Stream.runFold(s, false, (acc, p) => acc || p.changed)

/** Whether the org, its owners, its teams, or a team's members or repositories changed. */
export const orgInputsChanged = (client: GitHubClient, state: PermissionsState): Effect.Effect<boolean, ConnectorError> =>
  Effect.gen(function*() {
    const { org, pageSize, concurrency } = client.settings
    const per = `per_page=${pageSize}`
    const orgPage = yield* client.conditional(state.pages, `/orgs/${org}`, () => null, `read organization ${org}`)
    const ownersChanged = yield* anyChanged(
      conditionalPages(client, state.pages, `/orgs/${org}/members?role=admin&${per}`, () => null, "list org owners")
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
            anyChanged(conditionalPages(client, state.pages, `/orgs/${org}/teams/${slug}/members?${per}`, () => null, `list members of team ${slug}`)),
            anyChanged(conditionalPages(client, state.pages, `/orgs/${org}/teams/${slug}/repos?${per}`, () => null, `list repos of team ${slug}`)),
            (a, b) => a || b
          ), { concurrency }),
        Stream.runFold(false, (acc, changed) => acc || changed)
      )
    return orgPage.changed || ownersChanged || teamsChanged || teamInputsChanged
  })

/** Whether GraphQL is owed every repository whatever the ETags say (`fullRefreshEvery` since the last complete one). */
export const fullRefreshDue = (state: PermissionsState, options: PermissionsOptions, now: number): boolean =>
  state.lastFullRefresh === undefined ||
  now - state.lastFullRefresh >= Duration.toMillis(Duration.decode(options.fullRefreshEvery))
