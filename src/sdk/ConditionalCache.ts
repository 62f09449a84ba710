/**
 * What a connector remembers between pulls that makes an unchanged source cheap to read again: ETags
 * and the answers (or derived grants) they stand for, as JSON, keyed by connector and a key of the
 * connector's choosing. It lives in the state database (`SqlConditionalCacheLive`), so a restarted
 * process keeps its 304s; `memory` keeps it for the process only.
 */
import { Context, Effect, Layer, Option } from "effect"
import type { CheckpointError } from "../domain/Errors.js"
import type { ConnectorId } from "../domain/Ids.js"

export class ConditionalCache extends Context.Tag("verity/ConditionalCache")<ConditionalCache, {
  /** the JSON last put under `key`, if any */
  readonly get: (connector: ConnectorId, key: string) => Effect.Effect<Option.Option<unknown>, CheckpointError>
  /** replace what is kept under `key` (the value must survive `JSON.stringify`) */
  readonly put: (connector: ConnectorId, key: string, value: unknown) => Effect.Effect<void, CheckpointError>
}>() {
  static readonly memory: Layer.Layer<ConditionalCache> = Layer.sync(ConditionalCache, () => {
    const kept = new Map<string, string>()
    const slot = (connector: ConnectorId, key: string) => JSON.stringify([connector, key])
    return {
      get: (connector, key) =>
        Effect.sync(() => Option.map(Option.fromNullable(kept.get(slot(connector, key))), (text): unknown => JSON.parse(text))),
      put: (connector, key, value) => Effect.sync(() => void kept.set(slot(connector, key), JSON.stringify(value)))
    }
  })
}
