/**
 * The permissions stream's memory (ETag pages and derived grants) as JSON, for the `ConditionalCache`
 * in the state database: a restarted process loads it before its first pull, so an unchanged org costs
 * 304s (free) instead of a full pull. A stored value this version cannot read is ignored: the pull is
 * then a full one, as on a fresh database.
 */
import { Effect, Option, Schema, Stream } from "effect"
import { GrantMechanism } from "../../../domain/Access.js"
import type { ConnectorId } from "../../../domain/Ids.js"
import { ConditionalCache } from "../../../sdk/ConditionalCache.js"
import type { CachedPage } from "../Client.js"
import type { PermissionsState } from "./State.js"

/** The key the permissions memory is kept under; bump the version when its shape changes. */
export const permissionsCacheKey = "github.permissions.v1"

const Privilege = Schema.Literal("ADMIN", "MAINTAIN", "PUSH", "TRIAGE", "PULL")

const Page = <V, I>(value: Schema.Schema<V, I>) =>
  Schema.Struct({ etag: Schema.String, value, next: Schema.NullOr(Schema.String) })

const entries = <V, I>(value: Schema.Schema<V, I>) => Schema.Array(Schema.Tuple(Schema.String, value))

const RestCollaborator = Schema.Union(
  Schema.Struct({ _tag: Schema.Literal("ok"), login: Schema.String, held: Schema.Array(Privilege) }),
  Schema.Struct({ _tag: Schema.Literal("bad"), reason: Schema.String, original: Schema.Unknown })
)

const CachedGrant = Schema.Union(
  Schema.Struct({ _tag: Schema.Literal("grant"), login: Schema.String, privilege: Privilege, mechanism: GrantMechanism }),
  Schema.Struct({ _tag: Schema.Literal("bad"), reason: Schema.String, original: Schema.Unknown })
)

const Names = Schema.Array(Schema.String)

const PersistedState = Schema.Struct({
  pages: entries(Page(Schema.Unknown)),
  repoPages: entries(Page(Names)),
  collaboratorPages: entries(Page(Schema.Array(RestCollaborator))),
  slugPages: entries(Page(Names)),
  repos: entries(Schema.Struct({ signature: Schema.String, grants: Schema.Array(CachedGrant) })),
  lastFullRefresh: Schema.NullOr(Schema.Number)
})
type PersistedState = typeof PersistedState.Type

const decode = Schema.decodeUnknownOption(PersistedState)

const pagesOut = <V>(map: Map<string, CachedPage<V>>): Array<readonly [string, { etag: string; value: V; next: string | null }]> =>
  [...map].map(([url, p]) => [url, { etag: p.etag, value: p.value, next: Option.getOrNull(p.next) }] as const)

const pagesIn = <V>(map: Map<string, CachedPage<V>>, stored: ReadonlyArray<readonly [string, { readonly etag: string; readonly value: V; readonly next: string | null }]>) => {
  for (const [url, p] of stored) map.set(url, { etag: p.etag, value: p.value, next: Option.fromNullable(p.next) })
}

export const toPersisted = (state: PermissionsState): PersistedState => ({
  pages: pagesOut(state.pages),
  repoPages: pagesOut(state.repoPages),
  collaboratorPages: pagesOut(state.collaboratorPages),
  slugPages: pagesOut(state.slugPages),
  repos: [...state.repos],
  lastFullRefresh: state.lastFullRefresh ?? null
})

export const restore = (state: PermissionsState, stored: PersistedState): void => {
  state.pages.clear()
  state.repoPages.clear()
  state.collaboratorPages.clear()
  state.slugPages.clear()
  state.repos.clear()
  pagesIn(state.pages, stored.pages)
  pagesIn(state.repoPages, stored.repoPages)
  pagesIn(state.collaboratorPages, stored.collaboratorPages)
  pagesIn(state.slugPages, stored.slugPages)
  for (const [name, repo] of stored.repos) state.repos.set(name, repo)
  state.lastFullRefresh = stored.lastFullRefresh ?? undefined
}

/**
 * The state kept in `cache` across processes: `around` runs a read (a pull, or a refresh's re-read) with
 * the state loaded first when another process saved it since this one last loaded or saved it (the
 * cache's revision says so, and the value is read only then), and saves it after a read that completes.
 * On a cluster the permissions stream moves between runners, and a grant cached for a repository whose
 * lists did not change is reused: it must be the latest any runner derived. A cache that cannot be read
 * or written costs budget, never the read: it is logged.
 */
export const makePersistence = (
  cache: Option.Option<ConditionalCache["Type"]>,
  connector: ConnectorId,
  state: PermissionsState
) => {
  // the cache's revision of the state this process holds, as it last loaded or saved it
  let held: string | undefined
  // suspended: `held` is read when a pull starts, not when the stream was built
  const load = (store: ConditionalCache["Type"]) =>
    Effect.suspend(() => store.getChanged(connector, permissionsCacheKey, held)).pipe(
      Effect.tap(Option.match({
        onNone: () => Effect.void,
        onSome: (kept) =>
          Effect.sync(() => {
            const stored = decode(kept.value)
            if (Option.isSome(stored)) restore(state, stored.value)
            // an undecodable value is not asked for again: this process's next save replaces it
            held = kept.revision
          })
      })),
      Effect.catchAll((e) => Effect.logWarning(`github: the ETag cache could not be read; this pull asks for everything: ${e.message}`)),
      Effect.asVoid
    )
  const save = (store: ConditionalCache["Type"]) =>
    Effect.suspend(() => store.put(connector, permissionsCacheKey, toPersisted(state))).pipe(
      Effect.tap((revision) => Effect.sync(() => (held = revision))),
      Effect.asVoid,
      Effect.catchAll((e) => Effect.logWarning(`github: the ETag cache could not be saved; the next restart pays a full pull: ${e.message}`))
    )
  const around = <A, E>(read: Stream.Stream<A, E>): Stream.Stream<A, E> => {
    if (Option.isNone(cache)) return read
    return Stream.unwrap(Effect.as(load(cache.value), read)).pipe(Stream.concat(Stream.drain(Stream.fromEffect(save(cache.value)))))
  }
  return { around }
}
