/**
 * The grants each connector holds now, and how they changed (docs/access-over-time.md). The pipeline
 * tells it what acknowledged snapshot records saw (`observe`), asks it for the differences once a view
 * is complete (`diff`: into an outbox, in one transaction), publishes the outbox (`pending`) and marks
 * what was acknowledged (`markPublished`). Readers page through `list` and `changes`.
 * Implementations: memory (tests) and SQL (PostgreSQL, or the embedded PGlite).
 */
import { Context, Effect, Layer } from "effect"
import type { CheckpointError } from "../domain/Errors.js"
import { GrantChange, type GrantChangeKind, grantKeyOf, GrantRecord, type ObservedGrant } from "../domain/Grant.js"
import type { GrantMechanism } from "../domain/Access.js"

export interface GrantQuery {
  readonly platform: string
  readonly connectorId?: string
  readonly principal?: string
  readonly asset?: string
  readonly privilege?: string
  readonly limit: number
  /** from a previous page's `nextCursor` */
  readonly cursor?: string
}

export interface GrantPage {
  readonly grants: ReadonlyArray<GrantRecord>
  /** present when there may be more */
  readonly nextCursor?: string
}

export interface ChangeQuery {
  readonly platform: string
  readonly connectorId?: string
  /** changes detected at or after this time, oldest first */
  readonly since: Date
  readonly limit: number
  readonly cursor?: string
}

export interface ChangePage {
  readonly changes: ReadonlyArray<GrantChange>
  readonly nextCursor?: string
}

/** A view of a connector's grants: a full snapshot run, or an audit-driven refresh of some assets. */
export interface GrantView {
  readonly connectorId: string
  readonly platform: string
  /** the snapshot id (a permissions run's id) or the refresh's id */
  readonly snapshotId: string
  /**
   * When the view started reading. A grant last seen before it and not seen by the view is gone;
   * one seen at or after it (by this view, or a refresh running beside it) is present.
   */
  readonly startedAt: Date
  /** The assets the view read whole (a refresh); absent for a full snapshot (every asset). */
  readonly assets?: ReadonlyArray<string>
}

export interface DiffResult {
  readonly added: number
  readonly removed: number
  readonly changed: number
  /** the connector's first complete snapshot: it becomes the baseline and reports no changes */
  readonly baseline: boolean
  /** the view was diffed before (a retried diff): nothing new was recorded */
  readonly alreadyDiffed: boolean
}

export class GrantStore extends Context.Tag("verity/GrantStore")<GrantStore, {
  /** Current grants, ordered by connector and grant key, one page at a time. */
  readonly list: (query: GrantQuery) => Effect.Effect<GrantPage, CheckpointError>
  /** Detected changes (published or not), oldest first, one page at a time. */
  readonly changes: (query: ChangeQuery) => Effect.Effect<ChangePage, CheckpointError>
  /**
   * Record what acknowledged snapshot records of `view` saw (`seenAt` is their read time, at or after
   * `view.startedAt`). Call only after the sink acknowledged them.
   */
  readonly observe: (
    view: GrantView,
    grants: ReadonlyArray<ObservedGrant>,
    seenAt: Date
  ) => Effect.Effect<void, CheckpointError>
  /**
   * The view is complete: record its differences against the last complete view in the outbox and make
   * it the new baseline, atomically (a crash leaves either nothing or all of it). Idempotent per view.
   * Never call it for a failed or partial view: that removes nothing.
   */
  readonly diff: (view: GrantView) => Effect.Effect<DiffResult, CheckpointError>
  /** Changes recorded but not yet marked published, oldest first, at most `limit`. */
  readonly pending: (connectorId: string, limit: number) => Effect.Effect<ReadonlyArray<GrantChange>, CheckpointError>
  /** The sink acknowledged these changes (and their tombstones). */
  readonly markPublished: (changeIds: ReadonlyArray<string>) => Effect.Effect<void, CheckpointError>
}>() {
  static readonly memory: Layer.Layer<GrantStore> = Layer.sync(GrantStore, () => makeMemory())
}

/** A grant as the store keeps it: what was last seen, and what the last complete view reported (the baseline). */
interface Row {
  readonly connectorId: string
  readonly platform: string
  readonly grantKey: string
  readonly observed: ObservedGrant
  readonly firstSeenAt: Date
  readonly lastSeenAt: Date
  readonly snapshotId: string
  readonly base?: { readonly mechanism: GrantMechanism; readonly seenAt: Date; readonly snapshotId: string }
}

const inView = (view: GrantView, row: Row) =>
  row.connectorId === view.connectorId && (view.assets === undefined || view.assets.includes(row.observed.asset))

const recordOf = (row: Row, state: { readonly mechanism: GrantMechanism; readonly seenAt: Date; readonly snapshotId: string }) =>
  new GrantRecord({
    platform: row.platform,
    connectorId: row.connectorId,
    principal: row.observed.principal,
    asset: row.observed.asset,
    privilege: row.observed.privilege,
    mechanism: state.mechanism,
    firstSeenAt: row.firstSeenAt,
    lastSeenAt: state.seenAt,
    snapshotId: state.snapshotId
  })

const page = <A>(all: ReadonlyArray<A>, cursor: string | undefined, limit: number) => {
  const from = cursor === undefined ? 0 : Number(cursor)
  const items = all.slice(from, from + limit)
  return { items, ...(from + limit < all.length ? { nextCursor: String(from + limit) } : {}) }
}

const makeMemory = () => {
  const rows = new Map<string, Row>()
  const baselines = new Map<string, string>()
  const diffed = new Set<string>()
  const outbox: Array<{ change: GrantChange; published: boolean }> = []
  const rowKey = (connectorId: string, grantKey: string) => `${connectorId}\u0000${grantKey}`

  return GrantStore.of({
    list: (q) =>
      Effect.sync(() => {
        const all = Array.from(rows.values())
          .filter((r) =>
            r.platform === q.platform && (q.connectorId === undefined || r.connectorId === q.connectorId) &&
            (q.principal === undefined || r.observed.principal === q.principal) &&
            (q.asset === undefined || r.observed.asset === q.asset) &&
            (q.privilege === undefined || r.observed.privilege === q.privilege)
          )
          .sort((a, b) => rowKey(a.connectorId, a.grantKey).localeCompare(rowKey(b.connectorId, b.grantKey)))
          .map((r) => recordOf(r, { mechanism: r.observed.mechanism, seenAt: r.lastSeenAt, snapshotId: r.snapshotId }))
        const { items, nextCursor } = page(all, q.cursor, q.limit)
        return { grants: items, ...(nextCursor === undefined ? {} : { nextCursor }) }
      }),
    changes: (q) =>
      Effect.sync(() => {
        const all = outbox.map((o) => o.change).filter((c) =>
          c.platform === q.platform && (q.connectorId === undefined || c.connectorId === q.connectorId) &&
          c.detectedAt.getTime() >= q.since.getTime()
        )
        const { items, nextCursor } = page(all, q.cursor, q.limit)
        return { changes: items, ...(nextCursor === undefined ? {} : { nextCursor }) }
      }),
    observe: (view, grants, seenAt) =>
      Effect.sync(() => {
        for (const g of grants) {
          const grantKey = grantKeyOf({ platform: view.platform, ...g })
          const k = rowKey(view.connectorId, grantKey)
          const old = rows.get(k)
          rows.set(k, {
            connectorId: view.connectorId,
            platform: view.platform,
            grantKey,
            observed: g,
            firstSeenAt: old?.firstSeenAt ?? seenAt,
            lastSeenAt: seenAt,
            snapshotId: view.snapshotId,
            ...(old?.base === undefined ? {} : { base: old.base })
          })
        }
      }),
    diff: (view) =>
      Effect.sync((): DiffResult => {
        const viewKey = rowKey(view.connectorId, view.snapshotId)
        if (diffed.has(viewKey)) return { added: 0, removed: 0, changed: 0, baseline: false, alreadyDiffed: true }
        const previous = baselines.get(view.connectorId)
        const first = previous === undefined && view.assets === undefined
        // a refresh before the first complete snapshot has nothing to compare against
        if (previous === undefined && !first) return { added: 0, removed: 0, changed: 0, baseline: false, alreadyDiffed: false }
        const counts = { added: 0, removed: 0, changed: 0 }
        const detectedAt = new Date()
        for (const [k, row] of Array.from(rows.entries())) {
          if (!inView(view, row)) continue
          const present = row.lastSeenAt.getTime() >= view.startedAt.getTime()
          const now = { mechanism: row.observed.mechanism, seenAt: row.lastSeenAt, snapshotId: row.snapshotId }
          let kind: GrantChangeKind | undefined
          if (row.base === undefined) kind = present ? "grant_added" : undefined
          else if (!present) kind = "grant_removed"
          else if (row.base.mechanism !== row.observed.mechanism) kind = "grant_changed"
          if (kind !== undefined && !first) {
            counts[kind === "grant_added" ? "added" : kind === "grant_removed" ? "removed" : "changed"]++
            const beforeSnapshotId = row.base?.snapshotId ?? previous
            outbox.push({
              published: false,
              change: new GrantChange({
                changeId: `${view.connectorId}:${view.snapshotId}:${row.grantKey}`,
                kind,
                platform: row.platform,
                connectorId: row.connectorId,
                grantKey: row.grantKey,
                ...(row.base === undefined ? {} : { before: recordOf(row, row.base) }),
                ...(kind === "grant_removed" ? {} : { after: recordOf(row, now) }),
                ...(beforeSnapshotId === undefined ? {} : { beforeSnapshotId }),
                afterSnapshotId: view.snapshotId,
                detectedAt
              })
            })
          }
          if (present) rows.set(k, { ...row, base: now })
          else rows.delete(k)
        }
        diffed.add(viewKey)
        if (view.assets === undefined) baselines.set(view.connectorId, view.snapshotId)
        return { ...counts, baseline: first, alreadyDiffed: false }
      }),
    pending: (connectorId, limit) =>
      Effect.sync(() => outbox.filter((o) => !o.published && o.change.connectorId === connectorId).slice(0, limit).map((o) => o.change)),
    markPublished: (changeIds) =>
      Effect.sync(() => {
        const ids = new Set(changeIds)
        for (const o of outbox) if (ids.has(o.change.changeId)) o.published = true
      })
  })
}
