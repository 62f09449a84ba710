/**
 * Between a stream's runs the scheduler waits here: until its interval has passed, or until someone
 * asks for a run now (`POST /api/v1/connectors/{id}/run`). It also remembers when each stream's next run
 * is due, for the status API. A run-now that arrives while the stream is running is kept, so the stream
 * runs again as soon as it finishes. Without a provided instance every program shares the default one.
 */
import { Clock, Context, Deferred, Duration, Effect, Option } from "effect"
import type { CheckpointStream } from "../domain/Checkpoint.js"

interface Waiting {
  readonly wake: Deferred.Deferred<void>
  readonly dueAt: number
}

export interface RunTriggersShape {
  /** Ask for a run now of a connector's stream (or both). */
  readonly runNow: (connectorId: string, stream?: CheckpointStream) => Effect.Effect<void>
  /** Wait `delay`, or less if a run-now comes. */
  readonly wait: (connectorId: string, stream: CheckpointStream, delay: Duration.DurationInput) => Effect.Effect<void>
  /** When the stream's next run is due (epoch ms); none while it runs or before its scheduler started. */
  readonly nextRun: (connectorId: string, stream: CheckpointStream) => Effect.Effect<Option.Option<number>>
}

const keyOf = (connectorId: string, stream: CheckpointStream) => `${connectorId}\u0000${stream}`

export const makeRunTriggers = (): RunTriggersShape => {
  const waiting = new Map<string, Waiting>()
  const pending = new Set<string>()
  const poke = (key: string) =>
    Effect.suspend(() => {
      const w = waiting.get(key)
      if (w === undefined) {
        pending.add(key)
        return Effect.void
      }
      return Deferred.succeed(w.wake, undefined)
    })
  return {
    runNow: (connectorId, stream) =>
      Effect.forEach(
        stream === undefined ? (["permissions", "audit"] as const) : [stream],
        (s) => poke(keyOf(connectorId, s)),
        { discard: true }
      ),
    wait: (connectorId, stream, delay) => {
      const key = keyOf(connectorId, stream)
      return Effect.gen(function*() {
        if (pending.delete(key)) return
        const wake = yield* Deferred.make<void>()
        const now = yield* Clock.currentTimeMillis
        waiting.set(key, { wake, dueAt: now + Duration.toMillis(delay) })
        yield* Effect.raceFirst(Effect.sleep(delay), Deferred.await(wake))
      }).pipe(Effect.ensuring(Effect.sync(() => waiting.delete(key))))
    },
    nextRun: (connectorId, stream) =>
      Effect.sync(() => Option.fromNullable(waiting.get(keyOf(connectorId, stream))?.dueAt))
  }
}

export class RunTriggers extends Context.Reference<RunTriggers>()("verity/RunTriggers", {
  defaultValue: makeRunTriggers
}) {}
