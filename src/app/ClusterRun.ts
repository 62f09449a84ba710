/**
 * `run` on a cluster: every connector stream is an `@effect/cluster` `Singleton`, so it runs on exactly
 * one of the runners that share the state database. A runner that starts a stream first waits for its
 * hold (`StreamHolds`: the cluster hands a shard over before the old runner's job has stopped, and that
 * job lets go only after its last save), then claims it in
 * the stream locks (the checkpoint saves of any earlier holder are refused from then on: the fence for
 * the moment shard ownership moves), then logs that it holds it. When its shard moves away (another
 * runner joined, or this one stops) the stream is interrupted: the in-flight batch finishes and its
 * checkpoint is saved (the pipeline makes that part uninterruptible) before its hold is let go.
 *
 * Each run and each publish is fenced too: before a run starts (and is recorded) and before a batch goes
 * out, the runner checks that its claim is still the stream's last one. A runner that lost the stream
 * without noticing (frozen, or cut off, while the others took it over) then starts no run of it and
 * publishes nothing more of it ("publish refused"), until the cluster stops the job once the runner sees
 * its shards gone.
 */
import { type Sharding, Singleton } from "@effect/cluster"
import { Duration, Effect, Layer, Schedule } from "effect"
import { type CheckpointError, SinkError } from "../domain/Errors.js"
import type { ScheduledStream } from "../pipeline/Scheduler.js"
import type { CheckpointKey } from "../services/CheckpointStore.js"
import { EventSink } from "../services/EventSink.js"
import { RunnerName, RunStore } from "../services/RunStore.js"
import { StreamHolds, StreamLock } from "../services/StreamLock.js"

/** The singleton's name: stable across runners and restarts (its shard follows from it). */
export const jobName = (connectorId: string, stream: string) => `verity/${connectorId}/${stream}`

const claimRetry = Schedule.exponential("1 second", 2).pipe(Schedule.modifyDelay((d) => Duration.min(d, Duration.seconds(30))))

/** `sink`, publishing only while this runner's claim of `key` is the stream's last one. */
const fencedSink = (sink: EventSink["Type"], locks: StreamLock["Type"], key: CheckpointKey): EventSink["Type"] =>
  EventSink.of({
    ...sink,
    publish: (batch) =>
      locks.verify(key).pipe(
        Effect.mapError((e) =>
          new SinkError(
            e.reason === "superseded"
              ? { reason: "superseded", message: `not published: ${e.message}` }
              : { reason: "unavailable", message: `not published, the stream's claim could not be checked: ${e.message}`, cause: e }
          )
        ),
        Effect.zipRight(sink.publish(batch))
      )
  })

/** `runs`, starting (recording) a run only while this runner's claim of `key` is the stream's last one. */
const fencedRuns = (runs: RunStore["Type"], locks: StreamLock["Type"], key: CheckpointKey): RunStore["Type"] =>
  RunStore.of({ ...runs, start: (run, runner) => locks.verify(key).pipe(Effect.zipRight(runs.start(run, runner))) })

/** One stream as a cluster job: claim, log, run until the shard moves; then release and log. */
export const streamJob = <R>(job: ScheduledStream<R>) =>
  Effect.gen(function*() {
    const locks = yield* StreamLock
    const runner = yield* RunnerName
    const sink = yield* EventSink
    const runs = yield* RunStore
    const holds = yield* StreamHolds
    const key = { connectorId: job.connector.id, stream: job.stream }
    // first wait until no living runner holds the stream (a handed-over job is still finishing its
    // in-flight batch), then take it over: the checkpoint the job loads next is the last one saved
    const retrying = <A, R>(claim: Effect.Effect<A, CheckpointError, R>) =>
      claim.pipe(
        Effect.tapError((e) => Effect.logError(`could not claim the stream, retrying: ${e.message}`)),
        Effect.retry(claimRetry)
      )
    yield* retrying(holds.hold(key, runner))
    const epoch = yield* retrying(locks.claim(key, runner))
    yield* Effect.logInfo("holding job").pipe(Effect.annotateLogs({ runner, claim: epoch }))
    return yield* job.run.pipe(
      Effect.provideService(EventSink, fencedSink(sink, locks, key)),
      Effect.provideService(RunStore, fencedRuns(runs, locks, key)),
      Effect.ensuring(
        locks.release(key).pipe(
          Effect.ignore,
          Effect.zipRight(Effect.logInfo("released job"))
        )
      )
    )
    // the hold is let go as this scope closes: after the job's last save
  }).pipe(
    Effect.scoped,
    Effect.catchAll((e) => Effect.logError(`job stopped: ${e.message}`)),
    Effect.annotateLogs({ connector: job.connector.id, stream: job.stream, job: jobName(job.connector.id, job.stream) })
  )

/** Every stream as a singleton on the provided cluster; runs until interrupted. */
export const runOnCluster = <R>(streams: ReadonlyArray<ScheduledStream<R>>) =>
  Layer.launch(
    streams.reduce(
      (all, s) => Layer.merge(all, Singleton.make(jobName(s.connector.id, s.stream), streamJob(s))),
      Layer.empty as Layer.Layer<never, never, Sharding.Sharding | StreamLock | StreamHolds | RunnerName | EventSink | RunStore | R>
    )
  )
