/**
 * `GrantStore` on SQL (PostgreSQL, or the embedded PGlite): tables `grant_state`, `grant_views` and
 * `grant_changes` (migration 20). The differences are computed by the database as sets: a grant of the
 * view's scope last seen before the view started is gone; one no complete view has reported is new; one
 * whose mechanism differs from what was reported has changed. One statement writes them to the outbox,
 * two more move the baseline, in one transaction: nothing of a connector's grants is held in memory.
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Layer, Schema } from "effect"
import { GrantMechanism, Privilege } from "../domain/Access.js"
import { CheckpointError } from "../domain/Errors.js"
import { GrantChange, GrantChangeKind, grantKeyOf, GrantRecord, type ObservedGrant } from "../domain/Grant.js"
import { type DiffResult, GrantStore, type GrantView } from "../services/GrantStore.js"
import { migrateStateStores } from "./SqlMigrations.js"

type Time = Date | string

interface StateRow {
  readonly connector_id: string
  readonly grant_key: string
  readonly platform: string
  readonly principal: string
  readonly asset: string
  readonly privilege: string
  readonly mechanism: string
  readonly first_seen_at: Time
  readonly last_seen_at: Time
  readonly snapshot_id: string
}

interface ChangeRow {
  readonly seq: string | number
  readonly change_id: string
  readonly connector_id: string
  readonly platform: string
  readonly kind: string
  readonly grant_key: string
  readonly principal: string
  readonly asset: string
  readonly privilege: string
  readonly first_seen_at: Time
  readonly before_mechanism: string | null
  readonly before_seen_at: Time | null
  readonly before_snapshot_id: string | null
  readonly after_mechanism: string | null
  readonly after_seen_at: Time | null
  readonly after_record_snapshot_id: string | null
  readonly after_snapshot_id: string
  readonly detected_at: Time
}

const queryError = (what: string) => (cause: SqlError) =>
  new CheckpointError({ reason: "query", message: `grant store: ${what} failed: ${cause.message}`, cause })

const corrupt = (what: string) => new CheckpointError({ reason: "corrupt", message: `grant store: ${what}` })

const asDate = (d: Time) => (d instanceof Date ? d : new Date(d))
const decodeMechanism = Schema.decodeUnknownSync(GrantMechanism)
const decodePrivilege = Schema.decodeUnknownSync(Privilege)
const decodeKind = Schema.decodeUnknownSync(GrantChangeKind)

/** A stored value the schema refuses means the table was edited by hand: say which row. */
const decodeRow = <A>(what: string, f: () => A) =>
  Effect.try({ try: f, catch: (e) => corrupt(`${what}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`) })

const toRecord = (row: StateRow) =>
  new GrantRecord({
    platform: row.platform,
    connectorId: row.connector_id,
    principal: row.principal,
    asset: row.asset,
    privilege: decodePrivilege(row.privilege),
    mechanism: decodeMechanism(row.mechanism),
    firstSeenAt: asDate(row.first_seen_at),
    lastSeenAt: asDate(row.last_seen_at),
    snapshotId: row.snapshot_id
  })

const changeSide = (row: ChangeRow, mechanism: string | null, seenAt: Time | null, snapshotId: string | null) =>
  mechanism === null || seenAt === null || snapshotId === null ? undefined : new GrantRecord({
    platform: row.platform,
    connectorId: row.connector_id,
    principal: row.principal,
    asset: row.asset,
    privilege: decodePrivilege(row.privilege),
    mechanism: decodeMechanism(mechanism),
    firstSeenAt: asDate(row.first_seen_at),
    lastSeenAt: asDate(seenAt),
    snapshotId
  })

const toChange = (row: ChangeRow) => {
  const before = changeSide(row, row.before_mechanism, row.before_seen_at, row.before_snapshot_id)
  const after = changeSide(row, row.after_mechanism, row.after_seen_at, row.after_record_snapshot_id)
  return new GrantChange({
    changeId: row.change_id,
    kind: decodeKind(row.kind),
    platform: row.platform,
    connectorId: row.connector_id,
    grantKey: row.grant_key,
    ...(before === undefined ? {} : { before }),
    ...(after === undefined ? {} : { after }),
    ...(row.before_snapshot_id === null ? {} : { beforeSnapshotId: row.before_snapshot_id }),
    afterSnapshotId: row.after_snapshot_id,
    detectedAt: asDate(row.detected_at)
  })
}

/** Opaque page cursors: the last row's sort key. */
const encodeCursor = (parts: ReadonlyArray<string>) => Buffer.from(JSON.stringify(parts)).toString("base64url")
const CursorParts = Schema.parseJson(Schema.Array(Schema.String))
const decodeCursor = (cursor: string, arity: number) =>
  Schema.decodeUnknown(CursorParts)(Buffer.from(cursor, "base64url").toString("utf8")).pipe(
    Effect.filterOrFail((parts) => parts.length === arity, () => corrupt("cursor has the wrong shape")),
    Effect.mapError(() => new CheckpointError({ reason: "corrupt", message: `grant store: not a cursor this store issued: ${cursor}` }))
  )

/** The last observation of a key in a batch wins: an upsert may not touch a row twice. */
const lastPerKey = (platform: string, grants: ReadonlyArray<ObservedGrant>) => {
  const byKey = new Map<string, ObservedGrant>()
  for (const g of grants) byKey.set(grantKeyOf({ platform, ...g }), g)
  return byKey
}

export const makeSqlGrantStore = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* migrateStateStores("grant store")

  const scope = (view: GrantView) => view.assets === undefined ? sql`TRUE` : sql`asset IN ${sql.in([...view.assets])}`

  const diffInTransaction = (view: GrantView) =>
    Effect.gen(function*() {
      // one diff per connector at a time (a refresh may finish beside a snapshot)
      yield* sql`SELECT pg_advisory_xact_lock(hashtext(${`verity.grants:${view.connectorId}`}))`
      const full = view.assets === undefined
      const previous = yield* sql<{ snapshot_id: string }>`
        SELECT snapshot_id FROM grant_views WHERE connector_id = ${view.connectorId} AND full_view
        ORDER BY diffed_at DESC LIMIT 1`
      const inserted = yield* sql<{ snapshot_id: string }>`
        INSERT INTO grant_views (connector_id, snapshot_id, full_view, started_at)
        VALUES (${view.connectorId}, ${view.snapshotId}, ${full}, ${view.startedAt})
        ON CONFLICT (connector_id, snapshot_id) DO NOTHING RETURNING snapshot_id`
      const none = { added: 0, removed: 0, changed: 0 }
      if (inserted.length === 0) return { ...none, baseline: false, alreadyDiffed: true } satisfies DiffResult
      const previousId = previous[0]?.snapshot_id ?? null
      // a refresh before the first complete snapshot has nothing to compare against
      if (previousId === null && !full) return { ...none, baseline: false, alreadyDiffed: false } satisfies DiffResult
      const counts = { ...none }
      if (previousId !== null) {
        const rows = yield* sql<{ kind: string; n: string | number }>`
          WITH found AS (
            INSERT INTO grant_changes (change_id, connector_id, platform, kind, grant_key, principal, asset, privilege,
              first_seen_at, before_mechanism, before_seen_at, before_snapshot_id,
              after_mechanism, after_seen_at, after_record_snapshot_id, after_snapshot_id, detected_at)
            SELECT connector_id || ':' || ${view.snapshotId} || ':' || grant_key, connector_id, platform,
              CASE WHEN base_mechanism IS NULL THEN 'grant_added'
                   WHEN last_seen_at < ${view.startedAt} THEN 'grant_removed'
                   ELSE 'grant_changed' END,
              grant_key, principal, asset, privilege, first_seen_at,
              base_mechanism, base_seen_at, COALESCE(base_snapshot_id, ${previousId}),
              CASE WHEN last_seen_at < ${view.startedAt} THEN NULL ELSE mechanism END,
              CASE WHEN last_seen_at < ${view.startedAt} THEN NULL ELSE last_seen_at END,
              CASE WHEN last_seen_at < ${view.startedAt} THEN NULL ELSE snapshot_id END,
              ${view.snapshotId}, clock_timestamp()
            FROM grant_state
            WHERE connector_id = ${view.connectorId} AND ${scope(view)}
              AND ((base_mechanism IS NULL AND last_seen_at >= ${view.startedAt})
                OR (base_mechanism IS NOT NULL AND last_seen_at < ${view.startedAt})
                OR (base_mechanism IS NOT NULL AND last_seen_at >= ${view.startedAt} AND base_mechanism <> mechanism))
            ORDER BY grant_key
            ON CONFLICT (change_id) DO NOTHING
            RETURNING kind
          )
          SELECT kind, count(*) AS n FROM found GROUP BY kind`
        for (const r of rows) {
          const n = Number(r.n)
          if (r.kind === "grant_added") counts.added = n
          else if (r.kind === "grant_removed") counts.removed = n
          else counts.changed = n
        }
      }
      yield* sql`DELETE FROM grant_state
                 WHERE connector_id = ${view.connectorId} AND ${scope(view)} AND last_seen_at < ${view.startedAt}`
      yield* sql`UPDATE grant_state SET base_mechanism = mechanism, base_seen_at = last_seen_at, base_snapshot_id = snapshot_id
                 WHERE connector_id = ${view.connectorId} AND ${scope(view)}
                   AND (base_snapshot_id IS DISTINCT FROM snapshot_id OR base_mechanism IS DISTINCT FROM mechanism)`
      return { ...counts, baseline: previousId === null, alreadyDiffed: false } satisfies DiffResult
    })

  return GrantStore.of({
    list: (q) =>
      Effect.gen(function*() {
        const after = q.cursor === undefined ? undefined : yield* decodeCursor(q.cursor, 2)
        const rows = yield* sql<StateRow>`
          SELECT connector_id, grant_key, platform, principal, asset, privilege, mechanism, first_seen_at, last_seen_at, snapshot_id
          FROM grant_state
          WHERE platform = ${q.platform}
            AND ${q.connectorId === undefined ? sql`TRUE` : sql`connector_id = ${q.connectorId}`}
            AND ${q.principal === undefined ? sql`TRUE` : sql`principal = ${q.principal}`}
            AND ${q.asset === undefined ? sql`TRUE` : sql`asset = ${q.asset}`}
            AND ${q.privilege === undefined ? sql`TRUE` : sql`privilege = ${q.privilege}`}
            AND ${after === undefined ? sql`TRUE` : sql`(connector_id, grant_key) > (${after[0]!}, ${after[1]!})`}
          ORDER BY connector_id, grant_key
          LIMIT ${q.limit + 1}`.pipe(Effect.mapError(queryError("list")))
        const grants = yield* decodeRow("grant_state row", () => rows.slice(0, q.limit).map(toRecord))
        const last = rows[q.limit - 1]
        return rows.length > q.limit && last !== undefined
          ? { grants, nextCursor: encodeCursor([last.connector_id, last.grant_key]) }
          : { grants }
      }).pipe(Effect.withSpan("SqlGrantStore.list", { attributes: { platform: q.platform } })),

    changes: (q) =>
      Effect.gen(function*() {
        const after = q.cursor === undefined ? undefined : yield* decodeCursor(q.cursor, 1)
        const rows = yield* sql<ChangeRow>`
          SELECT * FROM grant_changes
          WHERE platform = ${q.platform} AND detected_at >= ${q.since}
            AND ${q.connectorId === undefined ? sql`TRUE` : sql`connector_id = ${q.connectorId}`}
            AND ${after === undefined ? sql`TRUE` : sql`seq > ${after[0]!}`}
          ORDER BY seq
          LIMIT ${q.limit + 1}`.pipe(Effect.mapError(queryError("changes")))
        const changes = yield* decodeRow("grant_changes row", () => rows.slice(0, q.limit).map(toChange))
        const last = rows[q.limit - 1]
        return rows.length > q.limit && last !== undefined ? { changes, nextCursor: encodeCursor([String(last.seq)]) } : { changes }
      }).pipe(Effect.withSpan("SqlGrantStore.changes", { attributes: { platform: q.platform } })),

    observe: (view, grants, seenAt) => {
      const rows = Array.from(lastPerKey(view.platform, grants), ([grantKey, g]) => ({
        connector_id: view.connectorId,
        grant_key: grantKey,
        platform: view.platform,
        principal: g.principal,
        asset: g.asset,
        privilege: g.privilege,
        mechanism: g.mechanism,
        first_seen_at: seenAt,
        last_seen_at: seenAt,
        snapshot_id: view.snapshotId
      }))
      if (rows.length === 0) return Effect.void
      return sql`INSERT INTO grant_state ${sql.insert(rows)}
                 ON CONFLICT (connector_id, grant_key) DO UPDATE SET mechanism = EXCLUDED.mechanism,
                   last_seen_at = EXCLUDED.last_seen_at, snapshot_id = EXCLUDED.snapshot_id`.pipe(
        Effect.asVoid,
        Effect.mapError(queryError("observe")),
        Effect.withSpan("SqlGrantStore.observe", { attributes: { connector: view.connectorId, grants: rows.length } })
      )
    },

    diff: (view) =>
      sql.withTransaction(diffInTransaction(view)).pipe(
        Effect.mapError(queryError("diff")),
        Effect.withSpan("SqlGrantStore.diff", { attributes: { connector: view.connectorId, snapshot: view.snapshotId } })
      ),

    pending: (connectorId, limit) =>
      sql<ChangeRow>`SELECT * FROM grant_changes WHERE connector_id = ${connectorId} AND published_at IS NULL
                     ORDER BY seq LIMIT ${limit}`.pipe(
        Effect.mapError(queryError("pending")),
        Effect.flatMap((rows) => decodeRow("grant_changes row", () => rows.map(toChange))),
        Effect.withSpan("SqlGrantStore.pending", { attributes: { connector: connectorId } })
      ),

    markPublished: (changeIds) =>
      changeIds.length === 0 ? Effect.void : sql`UPDATE grant_changes SET published_at = now()
                 WHERE change_id IN ${sql.in([...changeIds])} AND published_at IS NULL`.pipe(
        Effect.asVoid,
        Effect.mapError(queryError("markPublished")),
        Effect.withSpan("SqlGrantStore.markPublished", { attributes: { changes: changeIds.length } })
      )
  })
})

/** `GrantStore` over whatever `SqlClient` is provided. Runs the migrations. */
export const SqlGrantStoreLive: Layer.Layer<GrantStore, CheckpointError, SqlClient.SqlClient> = Layer.effect(GrantStore, makeSqlGrantStore)
