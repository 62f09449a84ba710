/**
 * decode -> normalise -> dedup -> batch -> publish (await ack) -> checkpoint.
 *
 * Several batches in flight (`inFlight`), committed in order, so checkpoints only move forward. A
 * batch's messages (events and dead letters) go to the sink in one `publish`; only once it and every
 * earlier batch are acknowledged are its keys committed to dedup and its last position saved. A failed publish is retried with backoff and leaves the checkpoint where it was.
 * A publish attempt and the checkpoint save that follows its ack are uninterruptible together, so a
 * shutdown finishes the in-flight batch and saves its checkpoint; between attempts a shutdown is free
 * to stop (nothing of that batch was acknowledged).
 */
import { Chunk, Clock, Duration, Effect, Either, Option, Stream } from "effect"
import type { Checkpoint } from "../domain/Checkpoint.js"
import type { CheckpointError, ConnectorError, SinkError } from "../domain/Errors.js"
import type { AuditRecord, Connector } from "../sdk/Connector.js"
import { CheckpointStore } from "../services/CheckpointStore.js"
import type { EventSink, WireMessage } from "../services/EventSink.js"
import type { GrantStore } from "../services/GrantStore.js"
import type { RunStore } from "../services/RunStore.js"
import { batchesWithin } from "./Batches.js"
import { Dedup } from "./Dedup.js"
import { normaliseEvent } from "./Normalise.js"
import { defaultPipelineOptions, type PipelineOptions } from "./Options.js"
import { Metrics } from "../services/Metrics.js"
import { deadLetter, labelsOf, prefetchChunks, progress, publishThenCommit, retryingSave, timedSave } from "./Publish.js"
import { runPermissions } from "./Permissions.js"
import type { RefreshQueueShape, RefreshRequest } from "../services/RefreshQueue.js"
import { recordedRun } from "./RunRecording.js"
import type { ConnectorSummary, StreamSummary } from "./Summaries.js"
import { eventMessages } from "./Wire.js"

export { runPermissions } from "./Permissions.js"

export type PipelineError = ConnectorError | SinkError | CheckpointError

interface PreparedItem {
  /** the dedup key of an event; undefined for a dead letter */
  readonly key: string | undefined
  readonly message: WireMessage
  /** what the event touched, when it changes access and a refresher listens */
  readonly request?: RefreshRequest
}

/** A registered batch: what it publishes, its keys (pending until committed), whether it is acknowledged. */
interface InFlight {
  readonly batch: PreparedBatch
  readonly messages: ReadonlyArray<WireMessage>
  readonly keys: ReadonlyArray<string>
  readonly duplicates: number
  /** what its events touched, queued for the refresher before its checkpoint is saved */
  readonly requests: ReadonlyArray<RefreshRequest>
  acked: boolean
}

interface PreparedBatch {
  readonly items: ReadonlyArray<PreparedItem>
  readonly dead: number
  readonly size: number
  readonly last: Checkpoint
}

/**
 * Pull the audit stream from the stored checkpoint (inclusive) and publish it. `dedup` may be shared
 * across runs and connectors: it is keyed on `(platform, event_id)`. With `refreshes`, each acknowledged
 * event that changes access (the connector's `refresh.scopeOf`) is queued for the connector's refresher,
 * before the checkpoint that covers it is saved (so a crash between them re-reads the event and queues
 * it again; a queued request is never lost).
 */
export const runAudit = (
  connector: Connector,
  options: PipelineOptions = defaultPipelineOptions,
  dedup: Dedup = new Dedup(options.dedupCapacity),
  refreshes?: RefreshQueueShape
): Effect.Effect<StreamSummary, PipelineError, EventSink | CheckpointStore | RunStore> =>
  recordedRun(connector, "audit", (run, counters) => Effect.gen(function*() {
    const store = yield* CheckpointStore
    const metrics = yield* Metrics
    const labels = labelsOf(connector, "audit")
    const key = { connectorId: connector.id, stream: "audit" as const }
    const startedAt = yield* Clock.currentTimeMillis
    const before = yield* store.load(key)
    counters.position = Option.getOrUndefined(before)?.timestamp
    // the ids published at the boundary: the inclusive resume re-reads them, dedup drops them
    for (const cp of Option.toArray(before)) dedup.commit(cp.idsAtTimestamp.map((id) => Dedup.key(connector.platform, id)))
    let after = before
    const logProgress = progress(connector, "audit", counters, startedAt, Duration.toMillis(options.progressEvery))
    const normaliseOptions = { caseInsensitivePrincipals: connector.caseInsensitivePrincipals }
    const scopeOf = refreshes === undefined ? undefined : connector.refresh?.scopeOf

    // Stage 1 (pure, runs ahead while the previous batch is in flight): normalise and encode. Repeats
    // (known to dedup, pending, or earlier in the same batch) are dropped by `register`, which must
    // look anyway: one set of lookups per event instead of two.
    const encode = eventMessages(connector.id)
    const prepare = (batch: Chunk.Chunk<AuditRecord>): PreparedBatch => {
      const items: Array<PreparedItem> = []
      let dead = 0
      for (const { record } of batch) {
        if (record._tag === "Invalid") {
          items.push({ key: undefined, message: deadLetter(connector, "event", "decode", record.reason, record.original) })
          dead++
          continue
        }
        const normal = normaliseEvent(record.value, normaliseOptions)
        if (Either.isLeft(normal)) {
          items.push({ key: undefined, message: deadLetter(connector, "event", "normalise", normal.left, record.original) })
          dead++
          continue
        }
        const event = normal.right
        const scope = scopeOf === undefined ? undefined : scopeOf(event)
        // the message's key is the dedup key (Dedup.key)
        const message = encode(event)
        items.push(
          scope !== undefined && Option.isSome(scope)
            ? { key: message.key, message, request: { scope: scope.value, occurredAt: event.occurredAt.getTime() } }
            : { key: message.key, message }
        )
      }
      return { items, dead, size: batch.length, last: Chunk.unsafeLast(batch).position }
    }

    // Stage 2: up to `inFlight` batches are published at once, acknowledged in any order. A batch's keys
    // are "pending" from the moment it is registered (in stream order), so neither a later batch nor a
    // repeat later in the same batch sends them again; keys already acknowledged are dropped here too. Commits (dedup keys, the
    // checkpoint, the counters) happen strictly in order: a batch's only once it and every batch before
    // it are acknowledged, so the checkpoint never passes an unacknowledged record. Whichever publish
    // completes that prefix commits it, inside its own uninterruptible attempt (Publish.ts), so a
    // shutdown still saves every acknowledged batch it can.
    const pending = new Set<string>()
    const window: Array<InFlight> = []
    const commitLock = yield* Effect.makeSemaphore(1)

    const register = (batch: PreparedBatch): InFlight => {
      const messages: Array<WireMessage> = []
      const keys: Array<string> = []
      const requests: Array<RefreshRequest> = []
      let duplicates = 0
      for (const item of batch.items) {
        if (item.key !== undefined) {
          if (dedup.has(item.key) || pending.has(item.key)) {
            duplicates++
            continue
          }
          keys.push(item.key)
          pending.add(item.key)
        }
        messages.push(item.message)
        if (item.request !== undefined) requests.push(item.request)
      }
      const entry: InFlight = { batch, messages, keys, duplicates, requests, acked: false }
      window.push(entry)
      return entry
    }

    /** Commit the acknowledged batches at the head of the window, one save for all of them. */
    const commitAcked = commitLock.withPermits(1)(Effect.gen(function*() {
      let n = 0
      while (n < window.length && window[n]!.acked) n++
      if (n === 0) return
      const done = window.slice(0, n)
      const last = done[n - 1]!.batch.last
      // queued before dedup and the checkpoint learn of the events: a failure here leaves both behind
      const requests = refreshes === undefined ? [] : done.flatMap((d) => d.requests)
      if (refreshes !== undefined && requests.length > 0) {
        yield* refreshes.offer(connector.id, requests).pipe(retryingSave(options.publishRetry))
      }
      yield* Effect.suspend(() => {
        for (const d of done) dedup.commit(d.keys)
        return timedSave(labels, store.save(key, connector.platform, last))
      }).pipe(retryingSave(options.publishRetry))
      window.splice(0, n)
      after = Option.some(last)
      for (const d of done) {
        for (const k of d.keys) pending.delete(k)
        counters.position = d.batch.last.timestamp ?? counters.position
        yield* metrics.batch(labels, "event", { published: d.keys.length, deadLettered: d.batch.dead, duplicates: d.duplicates })
        counters.published += d.keys.length
        counters.duplicates += d.duplicates
        counters.deadLettered += d.batch.dead
        counters.batches++
        counters.seen += d.batch.size
      }
      yield* logProgress
    }))

    const publishBatch = (entry: InFlight) =>
      publishThenCommit(entry.messages, Effect.suspend(() => {
        entry.acked = true
        return commitAcked
      }), options, labels)

    yield* batchesWithin(connector.auditEvents(before), {
      size: options.batchSize,
      window: options.batchWindow,
      prefetchChunks: prefetchChunks(options)
    }).pipe(
      Stream.map(prepare),
      // one prepared batch waits while the previous one is in flight: CPU work overlaps the ack wait
      Stream.buffer({ capacity: 1 }),
      Stream.map(register),
      Stream.mapEffect(publishBatch, { concurrency: Math.max(1, options.inFlight), unordered: true }),
      Stream.runDrain
    )
    const finishedAt = yield* Clock.currentTimeMillis
    return {
      runId: run.runId,
      stream: "audit",
      published: counters.published,
      duplicates: counters.duplicates,
      deadLettered: counters.deadLettered,
      batches: counters.batches,
      checkpointBefore: before,
      checkpointAfter: after,
      durationMs: finishedAt - startedAt
    } satisfies StreamSummary
  })).pipe(Effect.withSpan("Pipeline.runAudit", { attributes: { connector: connector.id } }))

const describeError = (e: PipelineError): string => `${e._tag}: ${e.message}`

/**
 * One cycle of a connector: its permission snapshot and its audit events, side by side. Never fails:
 * a stream that failed is reported in `errors`, with whatever it managed before failing.
 */
export const runConnectorOnce = (
  connector: Connector,
  options: PipelineOptions = defaultPipelineOptions,
  dedup: Dedup = new Dedup(options.dedupCapacity)
): Effect.Effect<ConnectorSummary, never, EventSink | CheckpointStore | RunStore | GrantStore> =>
  Effect.gen(function*() {
    const startedAt = yield* Clock.currentTimeMillis
    const [permissions, audit] = yield* Effect.all(
      [Effect.either(runPermissions(connector, options)), Effect.either(runAudit(connector, options, dedup))],
      { concurrency: 2 }
    )
    const store = yield* CheckpointStore
    const finishedAt = yield* Clock.currentTimeMillis
    const auditKey = { connectorId: connector.id, stream: "audit" as const }
    const storedAudit = yield* store.load(auditKey).pipe(Effect.orElseSucceed(() => Option.none<Checkpoint>()))
    const errors = [permissions, audit].flatMap((r) => Either.isLeft(r) ? [describeError(r.left)] : [])
    for (const error of errors) yield* Effect.logError(error).pipe(Effect.annotateLogs("connector", connector.id))
    const p = Either.getOrUndefined(permissions)
    const a = Either.getOrUndefined(audit)
    return {
      connectorId: connector.id,
      platform: connector.platform,
      snapshots: p?.published ?? 0,
      events: a?.published ?? 0,
      duplicates: a?.duplicates ?? 0,
      deadLettered: (p?.deadLettered ?? 0) + (a?.deadLettered ?? 0),
      checkpointBefore: a?.checkpointBefore ?? Option.none(),
      checkpointAfter: a ? a.checkpointAfter : storedAudit,
      durationMs: finishedAt - startedAt,
      errors
    } satisfies ConnectorSummary
  })
