/**
 * Who runs a connector stream, as the state database fences it. A runner `claim`s a stream before it
 * runs it: the claim takes the stream over from whoever held it (a new epoch), and from then on the
 * checkpoint store refuses every save by an earlier holder, so two runners never both advance one
 * stream, even in the moment a cluster moves it. Implementations: memory (tests) and SQL.
 */
import { Context, Effect, Layer, Ref, type Scope } from "effect"
import type { CheckpointStream } from "../domain/Checkpoint.js"
import type { CheckpointError } from "../domain/Errors.js"
import type { CheckpointKey } from "./CheckpointStore.js"

export interface StreamHolder {
  readonly connectorId: string
  readonly stream: CheckpointStream
  readonly runner: string
  readonly epoch: number
  readonly claimedAt: Date
}

export class StreamLock extends Context.Tag("verity/StreamLock")<StreamLock, {
  /** Take `key` over for `runner`; returns the new epoch. Saves by any earlier holder are refused from now on. */
  readonly claim: (key: CheckpointKey, runner: string) => Effect.Effect<number, CheckpointError>
  /**
   * Succeeds while this process's claim of `key` is still the stream's last one (or it never claimed it);
   * fails with `CheckpointError("superseded")` naming the runner that took it over. Checked before each
   * publish, so a runner that lost a stream (a frozen one thawing) publishes nothing more of it.
   */
  readonly verify: (key: CheckpointKey) => Effect.Effect<void, CheckpointError>
  /** Stop fencing `key` in this process (the stream was handed over or stopped). */
  readonly release: (key: CheckpointKey) => Effect.Effect<void, CheckpointError>
  /** Every stream's last holder. */
  readonly holders: Effect.Effect<ReadonlyArray<StreamHolder>, CheckpointError>
}>() {
  static readonly memory: Layer.Layer<StreamLock> = Layer.effect(
    StreamLock,
    Ref.make<ReadonlyMap<string, StreamHolder>>(new Map()).pipe(Effect.map((ref) => makeMemory(ref)))
  )
}

const keyOf = (key: CheckpointKey) => `${key.connectorId}\u0000${key.stream}`

const makeMemory = (ref: Ref.Ref<ReadonlyMap<string, StreamHolder>>) =>
  StreamLock.of({
    claim: (key, runner) =>
      Ref.modify(ref, (all) => {
        const epoch = (all.get(keyOf(key))?.epoch ?? 0) + 1
        const next = new Map(all)
        next.set(keyOf(key), { ...key, runner, epoch, claimedAt: new Date() })
        return [epoch, next]
      }),
    release: () => Effect.void,
    // one process holds every stream in memory: nothing takes one over
    verify: () => Effect.void,
    holders: Ref.get(ref).pipe(Effect.map((all) => [...all.values()]))
  })

/**
 * Who may run a stream right now, across runners: a runner holds a stream for as long as it runs it and
 * lets go only after its last checkpoint save. `hold` waits while a living runner (or another job of
 * this process) holds the stream; a runner that died or froze loses its holds with its database
 * session. It closes the gap a cluster leaves when it hands a shard over before the jobs on it have
 * stopped: the next holder starts (claims, loads the checkpoint) only once the old one has saved.
 */
export class StreamHolds extends Context.Tag("verity/StreamHolds")<StreamHolds, {
  /** Wait until `key` is free, then hold it until the scope closes. `runner` names the waiter in logs. */
  readonly hold: (key: CheckpointKey, runner: string) => Effect.Effect<void, CheckpointError, Scope.Scope>
}>() {
  /** One process holds every stream: nothing to wait for. */
  static readonly none: Layer.Layer<StreamHolds> = Layer.succeed(StreamHolds, StreamHolds.of({ hold: () => Effect.void }))
}
