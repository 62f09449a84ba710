/**
 * The publishing steps both runs share: a batch goes to the sink in one `publish`, and only once it is
 * acknowledged is the follow-up (dedup commit, checkpoint save) run; refusals are retried with backoff.
 * A publish attempt and its follow-up are uninterruptible together, so a shutdown finishes the in-flight
 * batch; between attempts a shutdown is free to stop (nothing of that batch was acknowledged).
 */
import { Clock, Duration, Effect, Schedule } from "effect"
import type { CheckpointStream } from "../domain/Checkpoint.js"
import { DeadLetter, type DeadLetterStage } from "../domain/DeadLetter.js"
import type { CheckpointError } from "../domain/Errors.js"
import type { Connector } from "../sdk/Connector.js"
import { EventSink, type WireMessage } from "../services/EventSink.js"
import { Metrics, type StreamLabels, timed } from "../services/Metrics.js"
import type { PipelineOptions } from "./Options.js"
import { deadLetterMessage } from "./Wire.js"

/** Read-ahead is counted in connector pages (chunks) of up to 100 records. */
export const prefetchChunks = (options: PipelineOptions) => Math.max(1, Math.ceil(options.prefetch / 100))

export const retrySchedule = (policy: PipelineOptions["publishRetry"]) =>
  Schedule.exponential(policy.base, 2).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((d) => Duration.min(d, Duration.decode(policy.cap))),
    Schedule.intersect(Schedule.recurs(policy.times))
  )

/** A checkpoint save, its latency reported. */
export const timedSave = <E>(labels: StreamLabels, save: Effect.Effect<void, E>) =>
  Effect.flatMap(Metrics, (metrics) => timed(save, (s) => metrics.checkpointSaveLatency(labels, s)))

/** A save is retried with `publishRetry` while publishing waits; say so, or a database outage looks like a stall. */
export const saveFailed = (e: CheckpointError) =>
  e.reason === "superseded"
    ? Effect.logWarning(`checkpoint save refused, not retried: ${e.message}`)
    : Effect.logWarning(`checkpoint save failed, will retry: ${e.message}`)

/**
 * A checkpoint save, retried with `publishRetry` (logged), except when the fence refused it: another
 * runner holds the stream now, so this run stops and the batch is the new holder's to publish again.
 */
export const retryingSave = (policy: PipelineOptions["publishRetry"]) => <A, R>(save: Effect.Effect<A, CheckpointError, R>) =>
  save.pipe(
    Effect.tapError(saveFailed),
    Effect.retry({ schedule: retrySchedule(policy), while: (e) => e.reason !== "superseded" })
  )

export interface Counters {
  published: number
  duplicates: number
  deadLettered: number
  batches: number
  seen: number
  /** the checkpoint's time (epoch ms) as the run leaves it, for the lag metric */
  position: number | undefined
}

export const emptyCounters = (): Counters => ({ published: 0, duplicates: 0, deadLettered: 0, batches: 0, seen: 0, position: undefined })

export const labelsOf = (connector: Connector, stream: CheckpointStream): StreamLabels => ({
  connector: connector.id,
  platform: connector.platform,
  stream
})

export const deadLetter = (
  connector: Connector,
  kind: "event" | "snapshot",
  stage: DeadLetterStage,
  reason: string,
  payload: unknown
): WireMessage =>
  deadLetterMessage(
    new DeadLetter({ platform: connector.platform, connectorId: connector.id, kind, stage, reason, payload, failedAt: new Date() })
  )

/**
 * Publish one batch, then (still uninterruptible) commit and save; retry refusals with backoff. The
 * publish's and the save's latencies go to the metrics.
 */
export const publishThenCommit = (
  messages: ReadonlyArray<WireMessage>,
  afterAck: Effect.Effect<void, CheckpointError>,
  options: PipelineOptions,
  labels?: StreamLabels
) =>
  Effect.gen(function*() {
    const sink = yield* EventSink
    const metrics = yield* Metrics
    const publish = messages.length === 0
      ? Effect.void
      : labels === undefined
      ? sink.publish(messages)
      : timed(sink.publish(messages), (s) => metrics.publishLatency(labels, s))
    const attempt = Effect.uninterruptible(publish.pipe(Effect.zipRight(afterAck)))
    yield* attempt.pipe(
      Effect.tapError((e) =>
        e._tag !== "SinkError"
          ? Effect.void
          : e.reason === "superseded"
          ? Effect.logWarning(`publish refused, not retried: ${e.message}`).pipe(Effect.annotateLogs("records", messages.length))
          : Effect.logWarning(`publish failed, will retry: ${e.message}`).pipe(Effect.annotateLogs("records", messages.length))
      ),
      // a stream taken over by another runner is theirs to publish: this run stops here
      Effect.retry({ schedule: retrySchedule(options.publishRetry), while: (e) => e._tag === "SinkError" && e.reason !== "superseded" })
    )
  })

/** Log how far a run got, at most once every `every` ms. */
export const progress = (connector: Connector, stream: CheckpointStream, counters: Counters, startedAt: number, every: number) => {
  let lastLog = startedAt
  return Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    if (now - lastLog < every) return
    lastLog = now
    const seconds = Math.max(0.001, (now - startedAt) / 1000)
    yield* Effect.logInfo("progress").pipe(
      Effect.annotateLogs({
        connector: connector.id,
        stream,
        records: counters.seen,
        published: counters.published,
        rate_per_s: Math.round(counters.seen / seconds)
      })
    )
  })
}
