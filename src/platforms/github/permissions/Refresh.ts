/**
 * The audit-driven refresh (docs/access-over-time.md): re-read every grant on some repositories through
 * the same stages as the full pull (conditional REST collaborators, GraphQL permission sources, the
 * grant cache), sharing its state. An audit event says access changed there even when REST's flags did
 * not (a team's access can change only the mechanism), so GraphQL is asked for each repository re-read:
 * one query per 100 repositories, plus a REST page each (a 304 when unchanged).
 */
import { Effect, Stream } from "effect"
import { accessActions, scopeOf } from "../AccessActions.js"
import type { AccessRefresh, AccessScope } from "../../../sdk/Connector.js"
import type { CachedPage, GitHubClient } from "../Client.js"
import { conditionalPages, loginsOf } from "./Pages.js"
import { checkRepo } from "./RepoCheck.js"
import { resolveRepos } from "./Resolve.js"
import type { PermissionsOptions, PermissionsState } from "./State.js"

export const makeAccessRefresh = (client: GitHubClient, state: PermissionsState, options: PermissionsOptions): AccessRefresh => {
  const { org, pageSize, concurrency } = client.settings
  // its own ETags for team repository lists: the full pull's would otherwise miss a change it must see
  const teamRepoPages = new Map<string, CachedPage<ReadonlyArray<string>>>()
  const prefix = `${org}/`

  /** The repository's name as the org's listing spells it (names are case-insensitive), else as given. */
  const canonical = (name: string): string => {
    const wanted = name.toLowerCase()
    for (const page of state.repoPages.values()) {
      for (const listed of page.value) if (listed.toLowerCase() === wanted) return listed
    }
    return name
  }

  const teamRepos = (slug: string) =>
    conditionalPages(client, teamRepoPages, `/orgs/${org}/teams/${slug}/repos?per_page=${pageSize}`, loginsOf("name"), `list repos of team ${slug}`).pipe(
      Stream.flatMap((page) => Stream.fromIterable(page.value)),
      Stream.runCollect
    )

  const assetsOf = (scopes: ReadonlyArray<AccessScope>) =>
    Effect.gen(function*() {
      const names = new Set<string>()
      for (const scope of scopes) {
        if (scope._tag === "Asset" && scope.asset.startsWith(prefix)) names.add(canonical(scope.asset.slice(prefix.length)))
        if (scope._tag === "Group") for (const name of yield* teamRepos(scope.group)) names.add(canonical(name))
      }
      return [...names].sort().map((name) => `${prefix}${name}`)
    })

  const permissionsOf = (assets: ReadonlyArray<string>) => {
    const names = assets.filter((a) => a.startsWith(prefix)).map((a) => a.slice(prefix.length))
    const graphqlBatch = Math.max(1, Math.min(100, options.graphqlBatch))
    return Stream.fromIterable(names).pipe(
      Stream.mapEffect(checkRepo(client, state, true), { concurrency }),
      Stream.grouped(graphqlBatch),
      Stream.mapEffect(resolveRepos(client, state)),
      Stream.flattenIterables
    )
  }

  return { actions: accessActions, scopeOf: scopeOf(org), assetsOf, permissionsOf }
}
