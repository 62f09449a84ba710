/**
 * Stages 3 and 4 for a batch of checked repositories: the grants of each, reused from the cache where
 * its signature still matches, else derived from GraphQL's permission sources (one query for the
 * batch) and cached. Shared by the full pull and the audit-driven refresh, so both spend budget alike.
 *
 * REST and GraphQL are read at different moments: where access changed between them (a collaborator
 * REST lists that GraphQL does not, or sources that do not cover REST's privileges) the repository is
 * read once more (REST + GraphQL). What both reads saw alike is a stable disagreement and is dead-lettered
 * (no mechanism is guessed); what changed takes REST's sources, and a privilege none covers is left out of
 * this snapshot. Such a repository is not cached, so the next pull reads it again.
 */
import { Chunk, Clock, Effect, Option } from "effect"
import type { PermissionSnapshot } from "../../../domain/PermissionSnapshot.js"
import type { SourceRecord } from "../../../sdk/Connector.js"
import type { GitHubClient } from "../Client.js"
import { type Derived, derive, emit } from "./Grants.js"
import { checkRepo, type RepoCheck } from "./RepoCheck.js"
import { fetchSources, makeRestFallback } from "./Sources.js"
import type { PermissionsState } from "./State.js"

interface Resolved {
  readonly repo: RepoCheck
  readonly derived: Derived
  /** derived from one consistent read, so it may be cached under that read's ETags */
  readonly settled: boolean
}

/**
 * Read `repos` again (REST, then GraphQL; `first` is what the first read derived). A collaborator both
 * reads saw alike is a stable disagreement: dead letters, as before. One that changed between them gets
 * REST's sources, and the repository is not cached.
 */
const reread = (client: GitHubClient, state: PermissionsState, repos: ReadonlyArray<RepoCheck>, first: ReadonlyMap<string, Resolved>) =>
  Effect.gen(function*() {
    yield* Effect.logWarning(
      `github: access changed while ${repos.map((r) => r.fullName).join(", ")} ${repos.length === 1 ? "was" : "were"} read ` +
        "(REST and GraphQL disagree on a collaborator); reading again"
    )
    const again = yield* Effect.forEach(repos, (r) => checkRepo(client, state, true)(r.name), { concurrency: client.settings.concurrency })
    const sources = yield* fetchSources(client)(again)
    const restFallback = makeRestFallback(client)
    const out = new Map<string, Resolved>()
    for (const repo of again) {
      const perUser = sources.byRepo.get(repo.name) ?? new Map()
      const derived = derive(repo, perUser)
      const before = new Set(first.get(repo.name)?.derived.unmatched.map((u) => u.seen + u.login) ?? [])
      const stable = derived.unmatched.filter((u) => before.has(u.seen + u.login))
      const changing = derived.unmatched.filter((u) => !before.has(u.seen + u.login))
      const withStable = (d: Derived): Derived => ({ grants: [...d.grants, ...stable.flatMap((u) => u.bad)], unmatched: [] })
      if (changing.length === 0) {
        out.set(repo.name, { repo, derived: withStable(derived), settled: !sources.fromRest.has(repo.name) })
        continue
      }
      yield* restFallback(repo, new Set(changing.map((u) => u.login)), perUser)
      const fromRest = derive(repo, perUser)
      const left = fromRest.unmatched.filter((u) => !stable.some((s) => s.login === u.login))
      if (left.length > 0) {
        yield* Effect.logWarning(
          `github: access to ${repo.fullName} is still changing; privileges of ${left.map((u) => u.login).join(", ")} ` +
            "that no permission source grants are left out of this snapshot (the next pull reads it again)"
        )
      }
      out.set(repo.name, { repo, derived: withStable(fromRest), settled: false })
    }
    return out
  })

/** Grants for a batch; `onUnclean` hears of a repository with unreadable records (asked again next time). */
export const resolveRepos = (client: GitHubClient, state: PermissionsState, onUnclean: () => void = () => {}) =>
(batch: Chunk.Chunk<RepoCheck>) =>
  Effect.gen(function*() {
    const stale = Chunk.toReadonlyArray(batch).filter((r) => Option.isNone(r.cached))
    const sources = yield* fetchSources(client)(stale)
    const resolved = new Map<string, Resolved>()
    for (const repo of stale) {
      const derived = derive(repo, sources.byRepo.get(repo.name) ?? new Map())
      resolved.set(repo.name, { repo, derived, settled: !sources.fromRest.has(repo.name) })
    }
    const changing = stale.filter((r) => resolved.get(r.name)!.derived.unmatched.length > 0)
    if (changing.length > 0) for (const [name, r] of yield* reread(client, state, changing, resolved)) resolved.set(name, r)
    const at = new Date(yield* Clock.currentTimeMillis)
    const out: Array<SourceRecord<PermissionSnapshot>> = []
    for (const checked of batch) {
      const r = resolved.get(checked.name)
      if (r === undefined) {
        if (Option.isSome(checked.cached)) for (const g of emit(checked.fullName, checked.cached.value.grants, at)) out.push(g)
        continue
      }
      const { grants } = r.derived
      const clean = grants.every((g) => g._tag === "grant")
      // grants REST stood in for (GraphQL failed, or access changed during the read) are not kept: the next
      // pull asks GraphQL again
      if (!r.settled) state.repos.delete(checked.name)
      else if (clean && r.repo.signature !== "") state.repos.set(checked.name, { signature: r.repo.signature, grants })
      else {
        state.repos.delete(checked.name)
        onUnclean()
      }
      for (const g of emit(r.repo.fullName, grants, at)) out.push(g)
    }
    return out
  })
