/**
 * Refresh driven by the audit log (docs/access-over-time.md). The audit run offers each acknowledged
 * access-changing event's scope (what the connector says it touches) to the `RefreshQueue` before it
 * saves the checkpoint covering the event; the refresher, which runs beside the permissions schedule and never at the same
 * time as a snapshot of that connector, waits `debounce` after the first request, coalesces what came
 * (one re-read per asset however many events named it; an org-wide scope supersedes everything and asks
 * for a full snapshot now), re-reads exactly those assets, publishes their snapshot records and diffs
 * only them (`GrantView.assets`), like a full run: changes through the outbox, tombstones for removals.
 */
import { Clock, Duration, Effect, Option } from "effect"
import { Checkpoint } from "../domain/Checkpoint.js"
import type { CheckpointError, ConnectorError, SinkError } from "../domain/Errors.js"
import type { Connector } from "../sdk/Connector.js"
import { CheckpointStore } from "../services/CheckpointStore.js"
import type { EventSink } from "../services/EventSink.js"
import type { DiffResult, GrantStore, GrantView } from "../services/GrantStore.js"
import { Metrics } from "../services/Metrics.js"
import type { QueuedRefresh, RefreshQueueShape } from "../services/RefreshQueue.js"
import { RunTriggers } from "../services/RunTriggers.js"
import { diffAndPublish, publishPendingChanges } from "./GrantChanges.js"
import { defaultRefreshOptions, defaultRefreshPoll, type PipelineOptions } from "./Options.js"
import { publishView } from "./Permissions.js"
import { emptyCounters } from "./Publish.js"

import type { RefreshRequest } from "../services/RefreshQueue.js"

export type { RefreshRequest }

/**
 * A snapshot that started this long after an event is taken to have seen it (the event's time is the
 * platform's clock, the snapshot's ours): older requests are dropped, newer ones re-read. This spares
 * the audit log's history (read on a connector's first pull) a re-read of every repository it names.
 * A snapshot re-reads what was waiting when it started (`refreshBeforeSnapshot`), so this only matters
 * for an event the audit stream read more than this after a snapshot began.
 */
export const clockMargin = Duration.minutes(1)

/** After a failed round its requests wait this long before the next try (or a snapshot covers them). */
export const failedRoundPause = Duration.seconds(30)

export interface RefreshSummary {
  readonly refreshId: string
  readonly assets: ReadonlyArray<string>
  readonly published: number
  readonly diff: DiffResult
}

/**
 * Re-read `assets` whole and publish what changed there. Changes a crashed run left unpublished go out
 * first, as before a snapshot. A refresh that fails diffs nothing, so it removes nothing.
 */
export const refreshAssets = (
  connector: Connector,
  assets: ReadonlyArray<string>,
  options: PipelineOptions
): Effect.Effect<RefreshSummary, ConnectorError | SinkError | CheckpointError, EventSink | GrantStore> =>
  Effect.gen(function*() {
    const refresh = connector.refresh
    const counters = emptyCounters()
    const startedAt = yield* Clock.currentTimeMillis
    const view: GrantView = {
      connectorId: connector.id,
      platform: connector.platform,
      snapshotId: `refresh-${crypto.randomUUID()}`,
      startedAt: new Date(startedAt),
      assets
    }
    if (refresh === undefined || assets.length === 0) {
      return { refreshId: view.snapshotId, assets, published: 0, diff: { added: 0, removed: 0, changed: 0, baseline: false, alreadyDiffed: false } }
    }
    yield* publishPendingChanges(connector, options)
    yield* publishView(connector, view, refresh.permissionsOf(assets), counters, options)
    const diff = yield* diffAndPublish(connector, view, options)
    return { refreshId: view.snapshotId, assets, published: counters.published, diff }
  }).pipe(Effect.withSpan("Pipeline.refreshPermissions", { attributes: { connector: connector.id, assets: assets.length } }))

/** What a round did: the refresh it ran, if any (its requests may leave the queue either way). */
export interface RoundResult {
  readonly summary: Option.Option<RefreshSummary>
}

/**
 * One round of requests: hand an org-wide one to the snapshot (run now: it runs in this process, with the
 * refresher; and a restarted permissions stream starts with a snapshot anyway), else re-read the assets
 * the rest covers, less what the last complete snapshot already saw (`clockMargin`). None before the
 * connector's first complete snapshot: there is nothing to compare against, and that snapshot sees everything.
 */
export const refreshRound = (
  connector: Connector,
  requests: ReadonlyArray<RefreshRequest>,
  options: PipelineOptions
): Effect.Effect<RoundResult, ConnectorError | SinkError | CheckpointError, EventSink | GrantStore | CheckpointStore> =>
  Effect.gen(function*() {
    const nothing: RoundResult = { summary: Option.none() }
    const refresh = connector.refresh
    if (refresh === undefined || requests.length === 0) return nothing
    const store = yield* CheckpointStore
    const last = yield* store.load({ connectorId: connector.id, stream: "permissions" })
    const seenSince = Option.flatMap(last, (cp: Checkpoint) => Option.fromNullable(cp.timestamp))
    if (Option.isNone(seenSince)) return nothing
    const fresh = requests.filter((r) => r.occurredAt >= seenSince.value - Duration.toMillis(clockMargin))
    if (fresh.length === 0) return nothing
    if (fresh.some((r) => r.scope._tag === "Org")) {
      yield* Effect.logInfo("org-wide access change in the audit log: a full snapshot now").pipe(Effect.annotateLogs("connector", connector.id))
      yield* Effect.flatMap(RunTriggers, (t) => t.runNow(connector.id, "permissions"))
      yield* Effect.flatMap(Metrics, (m) => m.refreshEnded({ connector: connector.id, platform: connector.platform }, "snapshot"))
      return nothing
    }
    const assets = yield* refresh.assetsOf(fresh.map((r) => r.scope))
    const summary = yield* refreshAssets(connector, assets, options)
    yield* Effect.flatMap(Metrics, (m) => m.refreshEnded({ connector: connector.id, platform: connector.platform }, "complete"))
    yield* Effect.logInfo("audit-driven refresh done").pipe(
      Effect.annotateLogs({
        connector: connector.id,
        refresh: summary.refreshId,
        events: fresh.length,
        assets: assets.length,
        added: summary.diff.added,
        removed: summary.diff.removed,
        changed: summary.diff.changed
      })
    )
    return { summary: Option.some(summary) }
  })

/** Take every waiting request, run `toRun` of them as one round, and remove what was taken once it is done. */
const takeWaiting = (
  connector: Connector,
  queue: RefreshQueueShape,
  options: PipelineOptions,
  toRun: (batch: ReadonlyArray<QueuedRefresh>) => ReadonlyArray<QueuedRefresh>
) =>
  Effect.gen(function*() {
    const batch = yield* queue.pending(connector.id)
    if (batch.length === 0) return
    yield* refreshRound(connector, toRun(batch), options)
    yield* queue.remove(connector.id, batch)
  })

/**
 * The refresher of one connector: forever, wait for requests in the queue (offered in this process, or
 * by the audit stream on another runner, seen within `poll`), `debounce` longer for more, and run them
 * as one round while holding `gate` (the permit its snapshots hold too, so a refresh never runs beside a
 * snapshot). Requests leave the queue only after their round recorded and published its changes. A
 * failed round is logged, and its requests are tried again after `failedRoundPause` (a snapshot that
 * completes meanwhile makes them stale).
 */
export const refresher = (
  connector: Connector,
  queue: RefreshQueueShape,
  gate: Effect.Semaphore,
  options: PipelineOptions
): Effect.Effect<never, never, EventSink | GrantStore | CheckpointStore> => {
  const settings = options.refresh ?? defaultRefreshOptions
  const poll = settings.poll ?? defaultRefreshPoll
  const round = Effect.gen(function*() {
    yield* queue.wait(connector.id, poll)
    if ((yield* queue.pending(connector.id)).length === 0) return
    yield* Effect.sleep(settings.debounce)
    // taken under the permit: a snapshot that ran meanwhile took (and re-read) what it found waiting
    yield* gate.withPermits(1)(takeWaiting(connector, queue, options, (batch) => batch))
  }).pipe(
    Effect.catchAll((e) =>
      Effect.logError(`audit-driven refresh failed; retried in ${Duration.format(failedRoundPause)} unless a snapshot covers it first: ${e.message}`).pipe(
        Effect.zipRight(Effect.flatMap(Metrics, (m) => m.refreshEnded({ connector: connector.id, platform: connector.platform }, "failed"))),
        Effect.zipRight(Effect.sleep(failedRoundPause))
      )
    ),
    Effect.annotateLogs({ connector: connector.id, stream: "permissions" })
  )
  return Effect.forever(round)
}

/**
 * Before a snapshot: re-read what waiting requests name, and take them. The snapshot then reuses no
 * grant the audit log already said changed (its cache holds what the re-read found): a connector may
 * reuse grants it cached where its cheap checks saw no change (GitHub's collaborator lists show effective
 * permissions, so a direct grant raised to an equal team grant changes only the mechanism). An org-wide request
 * is only taken: the snapshot that follows reads the org's inputs itself. Run under the snapshot's permit.
 */
export const refreshBeforeSnapshot = (
  connector: Connector,
  queue: RefreshQueueShape,
  options: PipelineOptions
): Effect.Effect<void, ConnectorError | SinkError | CheckpointError, EventSink | GrantStore | CheckpointStore> =>
  takeWaiting(connector, queue, options, (batch) => batch.filter((r) => r.scope._tag !== "Org")).pipe(
    Effect.annotateLogs({ connector: connector.id, stream: "permissions" })
  )
