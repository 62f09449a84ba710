/**
 * Per-connector, per-stream checkpoints. Implementations: memory (tests) and SQL (PostgreSQL in
 * production, PGlite as the embedded default, same SQL).
 */
import { Context, Effect, HashMap, Layer, Option, Ref } from "effect"
import type { Checkpoint, CheckpointStream } from "../domain/Checkpoint.js"
import type { CheckpointError } from "../domain/Errors.js"

export interface CheckpointKey {
  readonly connectorId: string
  readonly stream: CheckpointStream
}

export interface StoredCheckpoint extends CheckpointKey {
  readonly platform: string
  readonly checkpoint: Checkpoint
  readonly updatedAt: Date
}

export class CheckpointStore extends Context.Tag("verity/CheckpointStore")<CheckpointStore, {
  readonly load: (key: CheckpointKey) => Effect.Effect<Option.Option<Checkpoint>, CheckpointError>
  readonly save: (key: CheckpointKey, platform: string, checkpoint: Checkpoint) => Effect.Effect<void, CheckpointError>
  readonly list: Effect.Effect<ReadonlyArray<StoredCheckpoint>, CheckpointError>
  /** Forget a connector's checkpoints (one stream, or both): its next run starts from the beginning. */
  readonly reset: (connectorId: string, stream?: CheckpointStream) => Effect.Effect<number, CheckpointError>
}>() {
  static readonly memory: Layer.Layer<CheckpointStore> = Layer.effect(
    CheckpointStore,
    Ref.make(HashMap.empty<string, StoredCheckpoint>()).pipe(Effect.map((rows) => makeMemory(rows)))
  )
}

const keyOf = (key: CheckpointKey) => `${key.connectorId}\u0000${key.stream}`

const makeMemory = (rows: Ref.Ref<HashMap.HashMap<string, StoredCheckpoint>>) =>
  CheckpointStore.of({
    load: (key) => Ref.get(rows).pipe(Effect.map((m) => HashMap.get(m, keyOf(key)).pipe(Option.map((r) => r.checkpoint)))),
    save: (key, platform, checkpoint) =>
      Ref.update(rows, HashMap.set(keyOf(key), { ...key, platform, checkpoint, updatedAt: new Date() })),
    list: Ref.get(rows).pipe(
      Effect.map((m) =>
        Array.from(HashMap.values(m)).sort((a, b) => keyOf(a).localeCompare(keyOf(b)))
      )
    ),
    reset: (connectorId, stream) =>
      Ref.modify(rows, (m) => {
        const doomed = Array.from(HashMap.keys(m)).filter((k) => {
          const row = HashMap.unsafeGet(m, k)
          return row.connectorId === connectorId && (stream === undefined || row.stream === stream)
        })
        return [doomed.length, HashMap.removeMany(m, doomed)] as const
      })
  })
