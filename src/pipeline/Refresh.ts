/**
 * Refresh driven by the audit log (docs/access-over-time.md). The audit run hands each acknowledged
 * access-changing event's scope (what the connector says it touches) to the connector's
 * `RefreshRequests`; the refresher, which runs beside the permissions schedule and never at the same
 * time as a snapshot of that connector, waits `debounce` after the first request, coalesces what came
 * (one re-read per asset however many events named it; an org-wide scope supersedes everything and asks
 * for a full snapshot now), re-reads exactly those assets, publishes their snapshot records and diffs
 * only them (`GrantView.assets`), like a full run: changes through the outbox, tombstones for removals.
 */
import { Clock, Duration, Effect, Option } from "effect"
import { Checkpoint } from "../domain/Checkpoint.js"
import type { CheckpointError, ConnectorError, SinkError } from "../domain/Errors.js"
import type { AccessScope, Connector } from "../sdk/Connector.js"
import { CheckpointStore } from "../services/CheckpointStore.js"
import type { EventSink } from "../services/EventSink.js"
import type { DiffResult, GrantStore, GrantView } from "../services/GrantStore.js"
import { Metrics } from "../services/Metrics.js"
import { RunTriggers } from "../services/RunTriggers.js"
import { diffAndPublish, publishPendingChanges } from "./GrantChanges.js"
import { defaultRefreshOptions, type PipelineOptions } from "./Options.js"
import { publishView } from "./Permissions.js"
import { emptyCounters } from "./Publish.js"

/** An event's scope, and when the platform says the event happened. */
export interface RefreshRequest {
  readonly scope: AccessScope
  readonly occurredAt: number
}

/**
 * A snapshot that started this long after an event is taken to have seen it (the event's time is the
 * platform's clock, the snapshot's ours): older requests are dropped, newer ones re-read.
 */
export const clockMargin = Duration.minutes(1)

const scopeKey = (scope: AccessScope) =>
  scope._tag === "Asset" ? `a:${scope.asset}` : scope._tag === "Group" ? `g:${scope.group}` : "org"

/**
 * A connector's pending refresh requests, coalesced per scope (so memory is bounded by the assets and
 * groups named, not by the events). In memory: a request lost with the process is covered by the next
 * snapshot.
 */
export class RefreshRequests {
  private readonly pending = new Map<string, RefreshRequest>()
  private readonly doorbell = Effect.unsafeMakeLatch(false)

  /** Add requests; the refresher wakes. */
  offer(requests: ReadonlyArray<RefreshRequest>): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (requests.length === 0) return Effect.void
      for (const r of requests) {
        const k = scopeKey(r.scope)
        const old = this.pending.get(k)
        if (old === undefined || old.occurredAt < r.occurredAt) this.pending.set(k, r)
      }
      return this.doorbell.open
    })
  }

  /** Wait for a first request, then `debounce` longer, and take everything pending. */
  take(debounce: Duration.DurationInput): Effect.Effect<ReadonlyArray<RefreshRequest>> {
    return this.doorbell.await.pipe(
      Effect.zipRight(Effect.sleep(debounce)),
      Effect.zipRight(this.doorbell.close),
      Effect.zipRight(Effect.sync(() => {
        const all = [...this.pending.values()]
        this.pending.clear()
        return all
      }))
    )
  }

  /** How many scopes wait (tests, status). */
  get size(): number {
    return this.pending.size
  }
}

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

/**
 * One round of requests: drop what the last complete snapshot already saw, hand an org-wide one to the
 * snapshot (run now), else re-read the assets the rest covers. None before the connector's first
 * complete snapshot: there is nothing to compare against, and that snapshot sees everything.
 */
export const refreshRound = (
  connector: Connector,
  requests: ReadonlyArray<RefreshRequest>,
  options: PipelineOptions
): Effect.Effect<Option.Option<RefreshSummary>, ConnectorError | SinkError | CheckpointError, EventSink | GrantStore | CheckpointStore> =>
  Effect.gen(function*() {
    const refresh = connector.refresh
    if (refresh === undefined || requests.length === 0) return Option.none()
    const store = yield* CheckpointStore
    const last = yield* store.load({ connectorId: connector.id, stream: "permissions" })
    const seenSince = Option.flatMap(last, (cp: Checkpoint) => Option.fromNullable(cp.timestamp))
    if (Option.isNone(seenSince)) return Option.none()
    const fresh = requests.filter((r) => r.occurredAt >= seenSince.value - Duration.toMillis(clockMargin))
    if (fresh.length === 0) return Option.none()
    if (fresh.some((r) => r.scope._tag === "Org")) {
      yield* Effect.logInfo("org-wide access change in the audit log: a full snapshot now").pipe(Effect.annotateLogs("connector", connector.id))
      yield* Effect.flatMap(RunTriggers, (t) => t.runNow(connector.id, "permissions"))
      yield* Effect.flatMap(Metrics, (m) => m.refreshEnded({ connector: connector.id, platform: connector.platform }, "snapshot"))
      return Option.none()
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
    return Option.some(summary)
  })

/**
 * The refresher of one connector: forever, take a round of requests and run it while holding `gate`
 * (the permit its snapshots hold too, so a refresh never runs beside a snapshot). A failed round is
 * logged and dropped: the next snapshot sees what it would have.
 */
export const refresher = (
  connector: Connector,
  requests: RefreshRequests,
  gate: Effect.Semaphore,
  options: PipelineOptions
): Effect.Effect<never, never, EventSink | GrantStore | CheckpointStore> => {
  const debounce = (options.refresh ?? defaultRefreshOptions).debounce
  const round = requests.take(debounce).pipe(
    Effect.flatMap((batch) => gate.withPermits(1)(refreshRound(connector, batch, options))),
    Effect.catchAll((e) =>
      Effect.logError(`audit-driven refresh failed; the next snapshot covers it: ${e.message}`).pipe(
        Effect.zipRight(Effect.flatMap(Metrics, (m) => m.refreshEnded({ connector: connector.id, platform: connector.platform }, "failed")))
      )
    ),
    Effect.annotateLogs({ connector: connector.id, stream: "permissions" })
  )
  return Effect.forever(round)
}
