/**
 * The permissions stream: one PermissionSnapshot per privilege a user holds on a repository, with the
 * mechanism that grants it (direct, else group, else role). See README.md for the design. Its stages,
 * each in its own file here:
 *   1. `OrgInputs`: have org-wide inputs changed (owners, base permission, teams)? Then every
 *      repository is asked again;
 *   2. `RepoCheck`: REST, conditionally (ETags), is the change detector and says WHICH privileges a user
 *      holds (`permissions` flags, cumulative);
 *   3. `Sources`: GraphQL `permissionSources` says WHERE each comes from, asked only for repositories
 *      whose inputs changed, 100 repositories per query (about 1 rate-limit point; see `queryBatches`);
 *   4. `Grants`: the grants derived from both, cached per repository keyed by the ETags they came from.
 */
import { Chunk, Clock, Effect, Option, Stream } from "effect"
import type { ConnectorError } from "../../../domain/Errors.js"
import type { PermissionSnapshot } from "../../../domain/PermissionSnapshot.js"
import type { SourceRecord } from "../../../sdk/Connector.js"
import type { GitHubClient } from "../Client.js"
import { fullRefreshDue, orgInputsChanged } from "./OrgInputs.js"
import { conditionalPages, loginsOf } from "./Pages.js"
import { checkRepo, type RepoCheck } from "./RepoCheck.js"
import { resolveRepos } from "./Resolve.js"
import { defaultPermissionsOptions, type PermissionsOptions, type PermissionsState } from "./State.js"

/**
 * Groups for `resolveRepos`, cut by count only: a query costs a point whatever its size, so a partial
 * batch leaves only when the repository listing ends. A timer would cut batches short whenever REST is
 * slower than it (GitHub's 900 points/min on the collaborators endpoint makes 100 repositories take
 * about 14 s), spending queries beyond `ceil(changed/100)`. A repository whose cached grants hold
 * needs no query and passes at once, so neither memory nor a changed repository waits on it.
 */
export const queryBatches = (size: number) =>
<E>(checks: Stream.Stream<RepoCheck, E>): Stream.Stream<Chunk.Chunk<RepoCheck>, E> =>
  checks.pipe(
    Stream.map(Option.some),
    Stream.concat(Stream.succeed(Option.none<RepoCheck>())),
    Stream.mapAccum([] as ReadonlyArray<RepoCheck>, (pending, next): readonly [ReadonlyArray<RepoCheck>, ReadonlyArray<Chunk.Chunk<RepoCheck>>] => {
      if (Option.isNone(next)) return [[], pending.length > 0 ? [Chunk.unsafeFromArray(pending)] : []]
      if (Option.isSome(next.value.cached)) return [pending, [Chunk.of(next.value)]]
      const grown = [...pending, next.value]
      return grown.length >= size ? [[], [Chunk.unsafeFromArray(grown)]] : [grown, []]
    }),
    Stream.flattenIterables
  )

export const permissionsStream = (
  client: GitHubClient,
  state: PermissionsState,
  options: PermissionsOptions = defaultPermissionsOptions
): Stream.Stream<SourceRecord<PermissionSnapshot>, ConnectorError> =>
  Stream.unwrap(Effect.gen(function*() {
    const { org, pageSize, concurrency } = client.settings
    const changed = yield* orgInputsChanged(client, state)
    // the org-wide pages are cached now, so the next pull would see them unchanged: until a full pull
    // completes, each pull owes every repository (one cut short would leave some on their old mechanism)
    if (changed) state.lastFullRefresh = undefined
    const now = yield* Clock.currentTimeMillis
    const full = changed || fullRefreshDue(state, options, now)
    if (full) {
      yield* Effect.logDebug("github: org-wide inputs changed or refresh due; asking GraphQL for every repository")
    }
    let allOk = true

    const resolveBatch = resolveRepos(client, state, () => {
      allOk = false
    })

    const graphqlBatch = Math.max(1, Math.min(100, options.graphqlBatch))
    const seen = new Set<string>()
    return conditionalPages(client, state.repoPages, `/orgs/${org}/repos?type=all&per_page=${pageSize}`, loginsOf("name"), `list repositories of ${org}`)
      .pipe(
        Stream.flatMap((page) => Stream.fromIterable(page.value)),
        Stream.tap((name) => Effect.sync(() => seen.add(name))),
        Stream.mapEffect(checkRepo(client, state, full), { concurrency }),
        // REST checks go on while a GraphQL query resolves (bounded: at most two batches ahead)
        Stream.buffer({ capacity: 2 * graphqlBatch }),
        queryBatches(graphqlBatch),
        // two queries in flight at most; order is kept
        Stream.mapEffect(resolveBatch, { concurrency: 2 }),
        Stream.flattenIterables,
        Stream.onEnd(Effect.sync(() => {
          if (full && allOk) state.lastFullRefresh = now
          // forget repositories that are gone (deleted, transferred, or no longer visible)
          for (const name of [...state.repos.keys()]) if (!seen.has(name)) state.repos.delete(name)
        }))
      )
  }))
