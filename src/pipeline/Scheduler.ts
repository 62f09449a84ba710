/**
 * Runs connectors on their schedules: for each connector, its permission snapshot every `permissions`
 * and its audit events every `audit` (the next run starts that long after the previous one finished).
 * Connectors and their streams are independent fibers: a stream that fails is logged and retried with
 * exponential backoff (capped), while every other stream goes on. A run-now (`RunTriggers`) cuts a
 * wait short. A connector that can refresh from its audit log does so beside its permissions schedule
 * (src/pipeline/Refresh.ts). Runs until interrupted; an interrupt
 * lets an in-flight batch finish and save its checkpoint (the pipeline makes that part uninterruptible).
 */
import { Cause, Duration, Effect, Exit } from "effect"
import type { Connector } from "../sdk/Connector.js"
import type { CheckpointStore } from "../services/CheckpointStore.js"
import type { EventSink } from "../services/EventSink.js"
import type { GrantStore } from "../services/GrantStore.js"
import type { RunStore } from "../services/RunStore.js"
import { RefreshQueue } from "../services/RefreshQueue.js"
import { RunTriggers } from "../services/RunTriggers.js"
import { Dedup } from "./Dedup.js"
import { defaultRefreshOptions, type PipelineOptions } from "./Options.js"
import { runAudit, runPermissions } from "./Pipeline.js"
import { refreshBeforeSnapshot, refresher } from "./Refresh.js"
import type { StreamSummary } from "./Summaries.js"

export interface ConnectorSchedule {
  readonly permissions: Duration.DurationInput
  readonly audit: Duration.DurationInput
}

export interface ScheduledConnector {
  readonly connector: Connector
  readonly schedule: ConnectorSchedule
}

export interface FailureBackoff {
  readonly base: Duration.DurationInput
  readonly cap: Duration.DurationInput
}

export const defaultFailureBackoff: FailureBackoff = { base: "5 seconds", cap: "5 minutes" }

/** The wait after `failures` consecutive failures: base * 2^(failures-1), at most cap. */
export const backoffDelay = (backoff: FailureBackoff, failures: number): Duration.Duration => {
  const base = Duration.toMillis(backoff.base)
  const cap = Duration.toMillis(backoff.cap)
  return Duration.millis(Math.min(cap, base * 2 ** Math.max(0, failures - 1)))
}

const every = <R>(
  connector: Connector,
  stream: "audit" | "permissions",
  cycle: Effect.Effect<StreamSummary, unknown, R>,
  interval: Duration.DurationInput,
  backoff: FailureBackoff
): Effect.Effect<never, never, R> => {
  const wait = (delay: Duration.DurationInput) =>
    Effect.flatMap(RunTriggers, (triggers) => triggers.wait(connector.id, stream, delay))
  const go = (failures: number): Effect.Effect<never, never, R> =>
    Effect.exit(cycle).pipe(
      Effect.flatMap((exit) => {
        if (Exit.isSuccess(exit)) {
          const s = exit.value
          return Effect.logInfo("cycle done").pipe(
            Effect.annotateLogs({
              published: s.published,
              duplicates: s.duplicates,
              dead_lettered: s.deadLettered,
              duration_ms: s.durationMs,
              next_in: Duration.format(Duration.decode(interval))
            }),
            Effect.zipRight(wait(interval)),
            Effect.zipRight(Effect.suspend(() => go(0)))
          )
        }
        if (Cause.isInterruptedOnly(exit.cause)) return Effect.interrupt
        const delay = backoffDelay(backoff, failures + 1)
        const failure = Cause.failureOption(exit.cause)
        const reason = failure._tag === "Some" && typeof failure.value === "object" && failure.value !== null && "message" in failure.value
          ? String(failure.value.message)
          : Cause.pretty(exit.cause).split("\n")[0] ?? "failed"
        return Effect.logError(`cycle failed, retrying in ${Duration.format(delay)}: ${reason}`).pipe(
          Effect.annotateLogs({ failures: failures + 1 }),
          Effect.zipRight(wait(delay)),
          Effect.zipRight(Effect.suspend(() => go(failures + 1)))
        )
      }),
      Effect.annotateLogs({ connector: connector.id, stream })
    )
  return go(0)
}

/** One connector stream on its schedule: what a runner holds (all of them in one process, or one per cluster singleton). */
export interface ScheduledStream<R> {
  readonly connector: Connector
  readonly stream: "audit" | "permissions"
  /** the stream's cycles, forever */
  readonly run: Effect.Effect<never, never, R>
}

/**
 * Every connector's two streams, each a loop of cycles on its schedule. Where the connector can refresh
 * and `options.refresh` allows it, its audit cycles queue access-changing events (`RefreshQueue`: in the
 * state database, so the two streams may run on different runners) for a refresher that runs with its
 * permissions stream, one at a time with its snapshots (one permit between them).
 */
export const scheduledStreams = (
  connectors: ReadonlyArray<ScheduledConnector>,
  options: PipelineOptions,
  backoff: FailureBackoff = defaultFailureBackoff
): ReadonlyArray<ScheduledStream<EventSink | CheckpointStore | RunStore | GrantStore | RefreshQueue>> =>
  connectors.flatMap(({ connector, schedule }) => {
    // one dedup per connector, kept across its audit cycles
    const dedup = new Dedup(options.dedupCapacity)
    const refreshing = connector.refresh !== undefined && (options.refresh ?? defaultRefreshOptions).enabled
    const gate = Effect.unsafeMakeSemaphore(1)
    const snapshots = <E, R>(before: Effect.Effect<void, E, R>) =>
      every(connector, "permissions", gate.withPermits(1)(Effect.zipRight(before, runPermissions(connector, options))), schedule.permissions, backoff)
    const permissions = !refreshing ? snapshots(Effect.void) : Effect.flatMap(RefreshQueue, (queue) =>
      Effect.all([snapshots(refreshBeforeSnapshot(connector, queue, options)), refresher(connector, queue, gate, options)], { concurrency: 2, discard: true })
        .pipe(Effect.zipRight(Effect.never)))
    const audit = !refreshing
      ? every(connector, "audit", runAudit(connector, options, dedup), schedule.audit, backoff)
      : Effect.flatMap(RefreshQueue, (queue) => every(connector, "audit", runAudit(connector, options, dedup, queue), schedule.audit, backoff))
    return [
      { connector, stream: "permissions" as const, run: permissions },
      { connector, stream: "audit" as const, run: audit }
    ]
  })

/** Run every connector on its schedule until interrupted (every stream in this process). */
export const runScheduled = (
  connectors: ReadonlyArray<ScheduledConnector>,
  options: PipelineOptions,
  backoff: FailureBackoff = defaultFailureBackoff
): Effect.Effect<never, never, EventSink | CheckpointStore | RunStore | GrantStore | RefreshQueue> =>
  Effect.forEach(scheduledStreams(connectors, options, backoff), (s) => s.run, { concurrency: "unbounded", discard: true }).pipe(
    Effect.zipRight(Effect.never)
  )
