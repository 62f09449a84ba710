/**
 * Every stream run is recorded: started (with the process that runs it) before it reads anything, and
 * finished with its outcome and counts however it ends (success, failure, interruption). A run whose
 * process dies stays `running`: that is what an operator should see.
 */
import { Cause, Clock, Effect, Exit } from "effect"
import type { CheckpointStream } from "../domain/Checkpoint.js"
import type { CheckpointError } from "../domain/Errors.js"
import type { RunRecord } from "../domain/Run.js"
import type { Connector } from "../sdk/Connector.js"
import { Metrics } from "../services/Metrics.js"
import { RunnerName, RunStore } from "../services/RunStore.js"
import { type Counters, emptyCounters, labelsOf } from "./Publish.js"

const describeFailure = <E>(cause: Cause.Cause<E>): string => {
  if (Cause.isInterruptedOnly(cause)) return "interrupted"
  const failure = Cause.failureOption(cause)
  if (failure._tag === "Some") {
    const e: unknown = failure.value
    if (typeof e === "object" && e !== null && "_tag" in e && "message" in e) return `${String(e._tag)}: ${String(e.message)}`
  }
  return Cause.pretty(cause).split("\n")[0] ?? "failed"
}

/** Run `body` as a recorded run of `stream`; `body` counts into the counters it is given. */
export const recordedRun = <A, E, R>(
  connector: Connector,
  stream: CheckpointStream,
  body: (run: RunRecord, counters: Counters) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | CheckpointError, R | RunStore> =>
  Effect.gen(function*() {
    const runs = yield* RunStore
    const runner = yield* RunnerName
    const metrics = yield* Metrics
    const counters = emptyCounters()
    // the start is uninterruptible with the finish registered: a run interrupted right after its row was
    // written (a cluster moving the stream away) is still finished, never left "running"
    return yield* Effect.acquireUseRelease(
      runs.start({ connectorId: connector.id, platform: connector.platform, stream }, runner),
      // the connector's API calls inside the run are attributed to it (metrics read these annotations)
      (run) => body(run, counters).pipe(Effect.annotateLogs({ run: run.runId, connector: connector.id, stream })),
      (run, exit) =>
        Effect.gen(function*() {
          const outcome = Exit.isSuccess(exit) ? "complete" as const : "failed" as const
          yield* metrics.runEnded(labelsOf(connector, stream), outcome, yield* Clock.currentTimeMillis, counters.position)
          yield* runs.finish(run.runId, {
            outcome,
            published: counters.published,
            deadLettered: counters.deadLettered,
            duplicates: counters.duplicates,
            ...(Exit.isFailure(exit) ? { error: describeFailure(exit.cause) } : {})
          }).pipe(
            // the run's own outcome matters more than its record: say so, don't mask it
            Effect.catchAll((e) => Effect.logWarning(`could not record the end of run ${run.runId}: ${e.message}`))
          )
        })
    )
  })
