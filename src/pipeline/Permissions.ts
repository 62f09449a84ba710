/**
 * The permissions stream (docs/access-over-time.md). A run is a snapshot with an id (its run record's
 * id): every record it publishes carries that id; once a batch is acknowledged, the grant store is told
 * what it saw. When the whole snapshot is acknowledged, a completion marker goes to
 * `verity.permissions.runs.<platform>`, then the grant store diffs the snapshot against the last
 * complete one and the changes (with tombstones for removals) are published. A run that fails diffs
 * nothing, so it removes nothing. Changes a crashed run left unpublished go out first, before any new
 * snapshot record, so a late tombstone never deletes a grant that came back.
 */
import { Chunk, Clock, Duration, Effect, Either, Option, type Stream } from "effect"
import { Stream as S } from "effect"
import { Checkpoint } from "../domain/Checkpoint.js"
import type { CheckpointError, ConnectorError, SinkError } from "../domain/Errors.js"
import type { ObservedGrant } from "../domain/Grant.js"
import type { PermissionSnapshot } from "../domain/PermissionSnapshot.js"
import type { Connector, SourceRecord } from "../sdk/Connector.js"
import { CheckpointStore } from "../services/CheckpointStore.js"
import type { EventSink, WireMessage } from "../services/EventSink.js"
import { GrantStore, type GrantView } from "../services/GrantStore.js"
import type { RunStore } from "../services/RunStore.js"
import { diffAndPublish, publishPendingChanges } from "./GrantChanges.js"
import { normaliseSnapshot } from "./Normalise.js"
import { defaultPipelineOptions, type PipelineOptions } from "./Options.js"
import { Metrics } from "../services/Metrics.js"
import { type Counters, deadLetter, labelsOf, prefetchChunks, progress, publishThenCommit, retryingSave, retrySchedule, saveFailed, timedSave } from "./Publish.js"
import { recordedRun } from "./RunRecording.js"
import type { StreamSummary } from "./Summaries.js"
import { runMarkerMessage, snapshotMessage } from "./Wire.js"

/**
 * Publish a view's snapshot records (stamped with its id) batch by batch; after each ack, tell the grant
 * store what the batch saw. Used by full snapshots and by audit-driven refreshes alike.
 */
export const publishView = (
  connector: Connector,
  view: GrantView,
  records: Stream.Stream<SourceRecord<PermissionSnapshot>, ConnectorError>,
  counters: Counters,
  options: PipelineOptions,
  afterBatch: Effect.Effect<void> = Effect.void
): Effect.Effect<void, ConnectorError | SinkError | CheckpointError, EventSink | GrantStore> =>
  Effect.gen(function*() {
    const grants = yield* GrantStore
    const metrics = yield* Metrics
    const labels = labelsOf(connector, "permissions")
    const normaliseOptions = { caseInsensitivePrincipals: connector.caseInsensitivePrincipals }

    const prepare = (batch: Chunk.Chunk<SourceRecord<PermissionSnapshot>>) => {
      const messages: Array<WireMessage> = []
      const observed: Array<ObservedGrant> = []
      let dead = 0
      for (const record of batch) {
        if (record._tag === "Invalid") {
          messages.push(deadLetter(connector, "snapshot", "decode", record.reason, record.original))
          dead++
          continue
        }
        const normal = normaliseSnapshot(record.value, normaliseOptions)
        if (Either.isLeft(normal)) {
          messages.push(deadLetter(connector, "snapshot", "normalise", normal.left, record.original))
          dead++
          continue
        }
        const s = normal.right
        messages.push(snapshotMessage(s, connector.id, view.snapshotId))
        observed.push({ principal: s.principalRef, asset: s.assetRef, privilege: s.privilege, mechanism: s.grantMechanism })
      }
      return { messages, observed, dead, size: batch.length }
    }

    const publishBatch = (batch: ReturnType<typeof prepare>) =>
      Effect.gen(function*() {
        const seenAt = new Date(yield* Clock.currentTimeMillis)
        const observe = grants.observe(view, batch.observed, seenAt).pipe(
          Effect.tapError(saveFailed),
          Effect.retry(retrySchedule(options.publishRetry))
        )
        yield* publishThenCommit(batch.messages, observe, options, labels)
        yield* metrics.batch(labels, "snapshot", { published: batch.observed.length, deadLettered: batch.dead, duplicates: 0 })
        counters.published += batch.observed.length
        counters.deadLettered += batch.dead
        counters.batches++
        counters.seen += batch.size
        yield* afterBatch
      })

    yield* records.pipe(
      S.bufferChunks({ capacity: prefetchChunks(options) }),
      S.groupedWithin(options.batchSize, options.batchWindow),
      S.map(prepare),
      S.buffer({ capacity: 1 }),
      S.mapEffect(publishBatch),
      S.runDrain
    )
  })

/**
 * Pull a full permission snapshot and publish it, then its completion marker and its changes. Its
 * checkpoint records when the last complete snapshot was taken and how many grants it held; it is saved
 * only after every batch was acknowledged.
 */
export const runPermissions = (
  connector: Connector,
  options: PipelineOptions = defaultPipelineOptions
): Effect.Effect<StreamSummary, ConnectorError | SinkError | CheckpointError, EventSink | CheckpointStore | RunStore | GrantStore> =>
  recordedRun(connector, "permissions", (run, counters) =>
    Effect.gen(function*() {
      const store = yield* CheckpointStore
      const key = { connectorId: connector.id, stream: "permissions" as const }
      const startedAt = yield* Clock.currentTimeMillis
      const before = yield* store.load(key)
      counters.position = Option.getOrUndefined(before)?.timestamp
      // what a crashed run recorded but never published goes out before any new snapshot record
      yield* publishPendingChanges(connector, options)
      const view: GrantView = {
        connectorId: connector.id,
        platform: connector.platform,
        snapshotId: run.runId,
        startedAt: new Date(startedAt)
      }
      const logProgress = progress(connector, "permissions", counters, startedAt, Duration.toMillis(options.progressEvery))
      yield* publishView(connector, view, connector.permissions, counters, options, logProgress)
      const finishedAt = yield* Clock.currentTimeMillis
      const marker = runMarkerMessage({
        platform: connector.platform,
        connectorId: connector.id,
        snapshotId: run.runId,
        startedAt: view.startedAt,
        finishedAt: new Date(finishedAt),
        count: counters.published
      })
      yield* publishThenCommit([marker], Effect.void, options, labelsOf(connector, "permissions"))
      yield* diffAndPublish(connector, view, options)
      const after = new Checkpoint({ version: 1, timestamp: startedAt, idsAtTimestamp: [], count: counters.published })
      yield* timedSave(labelsOf(connector, "permissions"), store.save(key, connector.platform, after)).pipe(
        retryingSave(options.publishRetry)
      )
      counters.position = startedAt
      return {
        runId: run.runId,
        stream: "permissions",
        published: counters.published,
        duplicates: 0,
        deadLettered: counters.deadLettered,
        batches: counters.batches,
        checkpointBefore: before,
        checkpointAfter: Option.some(after),
        durationMs: finishedAt - startedAt
      } satisfies StreamSummary
    })
  ).pipe(Effect.withSpan("Pipeline.runPermissions", { attributes: { connector: connector.id } }))
