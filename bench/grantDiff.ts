/**
 * Benchmark: the grant diff (docs/access-over-time.md) at 1,000,000 grants. The state is seeded in
 * PostgreSQL directly (one INSERT ... SELECT over generate_series): a previous complete snapshot, then a
 * new one that saw 98% of the grants again, changed the mechanism of 1%, missed 1% (removed) and found
 * 1% new (added). Then the pipeline's own step runs: `diffAndPublish` (the SQL diff, then every change
 * event and tombstone published in pages to a sink that acknowledges and drops them). Measured: the peak
 * live heap (after a forced GC, every 100 ms) above what the process held before the step, and the peak
 * heap including garbage (sampled every 5 ms). The baseline is the same at 10,000 grants: a flat memory
 * profile means the live-heap ratio stays near 1.
 */
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { Effect, Layer, Stream } from "effect"
import { SqlClient } from "@effect/sql"
import { SqlGrantStoreLive } from "../src/adapters/SqlGrantStore.js"
import { makeConnectorId, makePlatform } from "../src/domain/Ids.js"
import { diffAndPublish } from "../src/pipeline/GrantChanges.js"
import { defaultPipelineOptions } from "../src/pipeline/Options.js"
import type { Connector } from "../src/sdk/Connector.js"
import { EventSink } from "../src/services/EventSink.js"
import { sqlLayerFor, testDatabase } from "../src/testkit/Postgres.js"
import { type Figure, fmt } from "./lib.js"

const discard = Layer.succeed(EventSink, EventSink.of({ describe: "discard", publish: () => Effect.void }))

const connector = (id: string): Connector => ({
  id: makeConnectorId(id),
  platform: makePlatform("github"),
  caseInsensitivePrincipals: true,
  permissions: Stream.empty,
  auditEvents: () => Stream.empty
})

const seed = (connectorId: string, n: number, t0: Date, t1: Date) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`INSERT INTO grant_views (connector_id, snapshot_id, full_view, started_at) VALUES (${connectorId}, 's0', TRUE, ${t0})`
    yield* sql`
      INSERT INTO grant_state (connector_id, grant_key, platform, principal, asset, privilege, mechanism, first_seen_at,
        last_seen_at, snapshot_id, base_mechanism, base_seen_at, base_snapshot_id)
      SELECT ${connectorId}, 'github:user' || i || ':acme/repo-' || (i % 1000) || ':PULL', 'github', 'user' || i,
        'acme/repo-' || (i % 1000), 'PULL',
        CASE WHEN i % 100 = 1 THEN 'group' ELSE 'direct' END,
        ${t0},
        CASE WHEN i % 100 = 2 THEN ${t0}::timestamptz ELSE ${t1}::timestamptz END,
        CASE WHEN i % 100 = 2 THEN 's0' ELSE 's1' END,
        CASE WHEN i % 100 = 3 THEN NULL ELSE 'direct' END,
        CASE WHEN i % 100 = 3 THEN NULL ELSE ${t0}::timestamptz END,
        CASE WHEN i % 100 = 3 THEN NULL ELSE 's0' END
      FROM generate_series(1, ${n}) AS i`
    yield* sql`ANALYZE grant_state`
  }).pipe(Effect.orDie)

/** A full GC on demand, without `--expose-gc` on the command line. */
setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

/** Peak live heap (after GC, every 100 ms) and peak heap with garbage (every 5 ms) above the level before `body`. */
const peakDuring = <A, E, R>(body: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    gc()
    const before = process.memoryUsage().heapUsed
    let live = 0
    let heap = 0
    const sample = setInterval(() => (heap = Math.max(heap, process.memoryUsage().heapUsed - before)), 5)
    const collect = setInterval(() => {
      gc()
      live = Math.max(live, process.memoryUsage().heapUsed - before)
    }, 100)
    const t0 = Date.now()
    const result = yield* body.pipe(Effect.ensuring(Effect.sync(() => {
      clearInterval(sample)
      clearInterval(collect)
    })))
    return { result, live, heap, ms: Date.now() - t0 }
  })

const one = (n: number) =>
  Effect.gen(function*() {
    const id = `bench-${n}`
    const t0 = new Date(Date.UTC(2026, 0, 1))
    const started = new Date(t0.getTime() + 1000)
    const t1 = new Date(t0.getTime() + 2000)
    yield* seed(id, n, t0, t1)
    const view = { connectorId: id, platform: "github", snapshotId: "s1", startedAt: started }
    const options = { ...defaultPipelineOptions, batchSize: 500 }
    const measured = yield* peakDuring(diffAndPublish(connector(id), view, options))
    const expected = Math.floor(n / 100)
    const r = measured.result
    if (Math.abs(r.added - expected) > 1 || Math.abs(r.removed - expected) > 1 || Math.abs(r.changed - expected) > 1) {
      return yield* Effect.dieMessage(`grant diff at ${n}: added ${r.added}, removed ${r.removed}, changed ${r.changed}; expected ~${expected} each`)
    }
    return { n, ...measured, changes: r.added + r.removed + r.changed }
  })

export const grantDiff = (small = 10_000, large = 1_000_000) =>
  Effect.gen(function*() {
    const db = yield* testDatabase
    const run = (n: number) => one(n).pipe(Effect.provide(SqlGrantStoreLive.pipe(Layer.provideMerge(sqlLayerFor(db)), Layer.merge(discard), Layer.orDie)))
    const a = yield* run(small)
    const b = yield* run(large)
    const mb = (x: number) => (x / 2 ** 20).toFixed(1)
    const figure: Figure = {
      name: `Grant diff (SQL set diff on ${db.backend}, then every change event and tombstone published in pages of 500): ` +
        `peak live heap (after GC) above the start, 1% each added/removed/changed`,
      ours: `${mb(b.live)} MB live (${mb(b.heap)} MB with garbage) at ${fmt(large)} grants, ${fmt(b.changes)} changes, ${(b.ms / 1000).toFixed(1)} s`,
      baseline: `${mb(a.live)} MB live (${mb(a.heap)} MB with garbage) at ${fmt(small)} grants, ${fmt(a.changes)} changes, ${(a.ms / 1000).toFixed(1)} s`,
      ratio: (b.live / Math.max(a.live, 1)).toFixed(2),
      target: "live heap at 1M <= 16 MB above the start (flat: no whole-org set in memory)",
      met: b.live <= 16 * 2 ** 20
    }
    return [figure]
  }).pipe(Effect.scoped)
