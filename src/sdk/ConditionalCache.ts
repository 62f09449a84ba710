/**
 * What a connector remembers between pulls that makes an unchanged source cheap to read again: ETags
 * and the answers (or derived grants) they stand for, as JSON, keyed by connector and a key of the
 * connector's choosing. It lives in the state database (`SqlConditionalCacheLive`), so a restarted
 * process keeps its 304s; `memory` keeps it for the process only.
 */
import { Context, Effect, Layer, Option } from "effect"
import type { CheckpointError } from "../domain/Errors.js"
import type { ConnectorId } from "../domain/Ids.js"

/** A kept value and the revision it was put under (a new one per put). */
export interface Revised {
  readonly value: unknown
  readonly revision: string
}

export class ConditionalCache extends Context.Tag("verity/ConditionalCache")<ConditionalCache, {
  /** the JSON last put under `key`, if any */
  readonly get: (connector: ConnectorId, key: string) => Effect.Effect<Option.Option<unknown>, CheckpointError>
  /**
   * the JSON under `key` with its revision, unless its revision is still `known`: none when nothing is
   * kept or nothing was put since. A process sharing the cache with others asks this before each use,
   * and reads the value only when another one replaced it.
   */
  readonly getChanged: (connector: ConnectorId, key: string, known: string | undefined) => Effect.Effect<Option.Option<Revised>, CheckpointError>
  /** replace what is kept under `key` (the value must survive `JSON.stringify`); the new revision */
  readonly put: (connector: ConnectorId, key: string, value: unknown) => Effect.Effect<string, CheckpointError>
}>() {
  static readonly memory: Layer.Layer<ConditionalCache> = Layer.sync(ConditionalCache, () => {
    const kept = new Map<string, { readonly text: string; readonly revision: string }>()
    let revisions = 0
    const slot = (connector: ConnectorId, key: string) => JSON.stringify([connector, key])
    const read = (connector: ConnectorId, key: string) => Option.fromNullable(kept.get(slot(connector, key)))
    return {
      get: (connector, key) => Effect.sync(() => Option.map(read(connector, key), (k): unknown => JSON.parse(k.text))),
      getChanged: (connector, key, known) =>
        Effect.sync(() =>
          Option.flatMap(read(connector, key), (k) =>
            k.revision === known ? Option.none() : Option.some({ value: JSON.parse(k.text) as unknown, revision: k.revision })
          )
        ),
      put: (connector, key, value) =>
        Effect.sync(() => {
          const revision = String(++revisions)
          kept.set(slot(connector, key), { text: JSON.stringify(value), revision })
          return revision
        })
    }
  })
}
