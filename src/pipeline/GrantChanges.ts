/**
 * Publishing what the grant store found (docs/access-over-time.md). The store's outbox is published in
 * pages: each change event on `verity.permissions.changes.<platform>`, and for a removal first the
 * grant's tombstone on the snapshots topic, in one batch; only once the batch is acknowledged are its
 * changes marked published. A crash between the ack and the mark re-publishes them on the next run with
 * the same `change_id`: at least once, never lost.
 */
import { Effect } from "effect"
import type { CheckpointError } from "../domain/Errors.js"
import type { Connector } from "../sdk/Connector.js"
import type { EventSink } from "../services/EventSink.js"
import { type DiffResult, GrantStore, type GrantView } from "../services/GrantStore.js"
import type { PipelineOptions } from "./Options.js"
import { labelsOf, publishThenCommit, retrySchedule, saveFailed } from "./Publish.js"
import { changeMessage, tombstoneMessage } from "./Wire.js"
import type { SinkError } from "../domain/Errors.js"

/** Publish every change of the connector not yet marked published; returns how many were published. */
export const publishPendingChanges = (
  connector: Connector,
  options: PipelineOptions
): Effect.Effect<number, SinkError | CheckpointError, GrantStore | EventSink> =>
  Effect.gen(function*() {
    const grants = yield* GrantStore
    let total = 0
    for (;;) {
      const page = yield* grants.pending(connector.id, options.batchSize)
      if (page.length === 0) return total
      const messages = page.flatMap((c) => c.kind === "grant_removed" ? [tombstoneMessage(c), changeMessage(c)] : [changeMessage(c)])
      const mark = grants.markPublished(page.map((c) => c.changeId)).pipe(
        Effect.tapError(saveFailed),
        Effect.retry(retrySchedule(options.publishRetry))
      )
      yield* publishThenCommit(messages, mark, options, labelsOf(connector, "permissions"))
      total += page.length
    }
  }).pipe(Effect.withSpan("Pipeline.publishPendingChanges", { attributes: { connector: connector.id } }))

/**
 * A view is complete: record its differences (in the store, atomically) and publish them. Only ever
 * called for a complete view: a failed or partial one removes nothing.
 */
export const diffAndPublish = (
  connector: Connector,
  view: GrantView,
  options: PipelineOptions
): Effect.Effect<DiffResult, SinkError | CheckpointError, GrantStore | EventSink> =>
  Effect.gen(function*() {
    const grants = yield* GrantStore
    const result = yield* grants.diff(view).pipe(Effect.tapError(saveFailed), Effect.retry(retrySchedule(options.publishRetry)))
    yield* publishPendingChanges(connector, options)
    yield* Effect.logInfo(result.baseline ? "grant baseline recorded" : "grant changes published").pipe(
      Effect.annotateLogs({
        connector: connector.id,
        snapshot: view.snapshotId,
        added: result.added,
        removed: result.removed,
        changed: result.changed,
        ...(view.assets === undefined ? {} : { assets: view.assets.length })
      })
    )
    return result
  })
