/**
 * Stages 3 and 4 for a batch of checked repositories: the grants of each, reused from the cache where
 * its signature still matches, else derived from GraphQL's permission sources (one query for the
 * batch) and cached. Shared by the full pull and the audit-driven refresh, so both spend budget alike.
 */
import { Chunk, Clock, Effect, Option } from "effect"
import type { PermissionSnapshot } from "../../../domain/PermissionSnapshot.js"
import type { SourceRecord } from "../../../sdk/Connector.js"
import type { GitHubClient } from "../Client.js"
import { derive, emit } from "./Grants.js"
import type { RepoCheck } from "./RepoCheck.js"
import { fetchSources } from "./Sources.js"
import type { CachedGrant, PermissionsState } from "./State.js"

/** Grants for a batch; `onUnclean` hears of a repository with unreadable records (asked again next time). */
export const resolveRepos = (client: GitHubClient, state: PermissionsState, onUnclean: () => void = () => {}) =>
(batch: Chunk.Chunk<RepoCheck>) =>
  Effect.gen(function*() {
    const stale = Chunk.toReadonlyArray(batch).filter((r) => Option.isNone(r.cached))
    const sources = yield* fetchSources(client)(stale)
    const at = new Date(yield* Clock.currentTimeMillis)
    const out: Array<SourceRecord<PermissionSnapshot>> = []
    for (const repo of batch) {
      let grants: ReadonlyArray<CachedGrant>
      if (Option.isSome(repo.cached)) {
        grants = repo.cached.value.grants
      } else {
        grants = derive(repo, sources.byRepo.get(repo.name) ?? new Map())
        const clean = grants.every((g) => g._tag === "grant")
        // grants REST stood in for while GraphQL failed are not kept: the next pull asks GraphQL again
        if (sources.fromRest.has(repo.name)) state.repos.delete(repo.name)
        else if (clean && repo.signature !== "") state.repos.set(repo.name, { signature: repo.signature, grants })
        else {
          state.repos.delete(repo.name)
          onUnclean()
        }
      }
      for (const r of emit(repo.fullName, grants, at)) out.push(r)
    }
    return out
  })
