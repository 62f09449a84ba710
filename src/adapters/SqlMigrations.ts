/**
 * The schema of the state database (PostgreSQL, or the embedded PGlite): one ordered list of migrations
 * for every SQL adapter, run by each of them at start-up (idempotent: the second run applies nothing).
 * A new table is a new entry with the next id; ids are never reused or reordered.
 */
import { Migrator, SqlClient } from "@effect/sql"
import { Effect, Schedule } from "effect"
import { CheckpointError } from "../domain/Errors.js"

/** Migration 10 (idempotent): the connectors' conditional caches (`SqlConditionalCache`). */
export const createConditionalCache = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE IF NOT EXISTS conditional_cache (
      connector_id TEXT NOT NULL,
      cache_key TEXT NOT NULL,
      value JSONB NOT NULL,
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      PRIMARY KEY (connector_id, cache_key)
    )`
})

/**
 * Migration 60 (idempotent): the refresh requests waiting for a connector's refresher
 * (`SqlRefreshQueue`), one per scope; `occurred_at` is the event's time in epoch ms.
 */
export const createRefreshRequests = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE IF NOT EXISTS refresh_requests (
      connector_id TEXT NOT NULL,
      scope_key TEXT NOT NULL,
      occurred_at BIGINT NOT NULL,
      version BIGINT NOT NULL,
      requested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      PRIMARY KEY (connector_id, scope_key)
    )`
})

export const migrationsTable = "verity_migrations"

/** Migrations, by id. Each one is idempotent on its own too (`IF NOT EXISTS`). */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "1_connector_checkpoints": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`
      CREATE TABLE IF NOT EXISTS connector_checkpoints (
        connector_id TEXT NOT NULL,
        stream TEXT NOT NULL CHECK (stream IN ('audit', 'permissions')),
        platform TEXT NOT NULL,
        checkpoint JSONB NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (connector_id, stream)
      )`
    yield* sql`CREATE INDEX IF NOT EXISTS connector_checkpoints_platform ON connector_checkpoints (platform)`
  }),
  "2_connector_runs": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`
      CREATE TABLE IF NOT EXISTS connector_runs (
        run_id TEXT PRIMARY KEY,
        connector_id TEXT NOT NULL,
        platform TEXT NOT NULL,
        stream TEXT NOT NULL CHECK (stream IN ('audit', 'permissions')),
        runner TEXT NOT NULL,
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ,
        outcome TEXT NOT NULL CHECK (outcome IN ('running', 'complete', 'failed')),
        published BIGINT NOT NULL DEFAULT 0,
        dead_lettered BIGINT NOT NULL DEFAULT 0,
        duplicates BIGINT NOT NULL DEFAULT 0,
        error TEXT
      )`
    yield* sql`CREATE INDEX IF NOT EXISTS connector_runs_by_stream ON connector_runs (connector_id, stream, started_at DESC)`
  }),
  /**
   * Access over time (issue 12). `grant_state`: each connector's grants as last seen, beside what the last
   * complete view reported (`base_*`, null for a grant no complete view has reported yet). `grant_views`:
   * every diffed view (a full snapshot or a refresh), so a retried diff records nothing twice.
   * `grant_changes`: the differences, kept as history and as the outbox (`published_at` null until the
   * sink acknowledged the change event and its tombstone).
   */
  "10_conditional_cache": createConditionalCache,
  "20_grant_state": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`
      CREATE TABLE IF NOT EXISTS grant_state (
        connector_id TEXT NOT NULL,
        grant_key TEXT NOT NULL,
        platform TEXT NOT NULL,
        principal TEXT NOT NULL,
        asset TEXT NOT NULL,
        privilege TEXT NOT NULL,
        mechanism TEXT NOT NULL,
        first_seen_at TIMESTAMPTZ NOT NULL,
        last_seen_at TIMESTAMPTZ NOT NULL,
        snapshot_id TEXT NOT NULL,
        base_mechanism TEXT,
        base_seen_at TIMESTAMPTZ,
        base_snapshot_id TEXT,
        PRIMARY KEY (connector_id, grant_key)
      )`
    yield* sql`CREATE INDEX IF NOT EXISTS grant_state_by_asset ON grant_state (connector_id, asset)`
    yield* sql`CREATE INDEX IF NOT EXISTS grant_state_by_platform ON grant_state (platform, connector_id, grant_key)`
    yield* sql`CREATE INDEX IF NOT EXISTS grant_state_by_principal ON grant_state (platform, principal)`
    yield* sql`
      CREATE TABLE IF NOT EXISTS grant_views (
        connector_id TEXT NOT NULL,
        snapshot_id TEXT NOT NULL,
        full_view BOOLEAN NOT NULL,
        started_at TIMESTAMPTZ NOT NULL,
        diffed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (connector_id, snapshot_id)
      )`
    yield* sql`
      CREATE TABLE IF NOT EXISTS grant_changes (
        seq BIGSERIAL PRIMARY KEY,
        change_id TEXT NOT NULL UNIQUE,
        connector_id TEXT NOT NULL,
        platform TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('grant_added', 'grant_removed', 'grant_changed')),
        grant_key TEXT NOT NULL,
        principal TEXT NOT NULL,
        asset TEXT NOT NULL,
        privilege TEXT NOT NULL,
        first_seen_at TIMESTAMPTZ NOT NULL,
        before_mechanism TEXT,
        before_seen_at TIMESTAMPTZ,
        before_snapshot_id TEXT,
        after_mechanism TEXT,
        after_seen_at TIMESTAMPTZ,
        after_record_snapshot_id TEXT,
        after_snapshot_id TEXT NOT NULL,
        detected_at TIMESTAMPTZ NOT NULL,
        published_at TIMESTAMPTZ
      )`
    yield* sql`CREATE INDEX IF NOT EXISTS grant_changes_pending ON grant_changes (connector_id, seq) WHERE published_at IS NULL`
    yield* sql`CREATE INDEX IF NOT EXISTS grant_changes_by_time ON grant_changes (platform, detected_at)`
  }),
  "40_stream_locks": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`
      CREATE TABLE IF NOT EXISTS stream_locks (
        connector_id TEXT NOT NULL,
        stream TEXT NOT NULL CHECK (stream IN ('audit', 'permissions')),
        runner TEXT NOT NULL,
        epoch BIGINT NOT NULL,
        claimed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (connector_id, stream)
      )`
  }),
  "60_refresh_requests": createRefreshRequests
}

/** Run the migrations (idempotent: a second run applies nothing). Returns the ones applied now. */
export const migrate = Migrator.make({})({ loader: Migrator.fromRecord(migrations), table: migrationsTable })

/**
 * Programs starting side by side on a fresh database race to create the migrations table (the
 * Migrator checks for it, then creates it): the loser's CREATE fails with "already exists" (42P07),
 * its row type "already exists" (42710) or a duplicate catalog row (23505). Once the table exists the
 * Migrator serialises by itself (it locks the table), so the loser only has to try again.
 */
const lostCreateRace = (e: unknown): boolean => {
  const code = typeof e === "object" && e !== null && "cause" in e && typeof e.cause === "object" && e.cause !== null && "code" in e.cause
    ? e.cause.code
    : undefined
  return code === "42P07" || code === "42710" || code === "23505"
}

/** The migrations, as a store's start-up runs them: the create race retried, a failure a `CheckpointError` naming `store`. */
export const migrateStateStores = (store: string) =>
  migrate.pipe(
    Effect.retry({ times: 10, while: lostCreateRace, schedule: Schedule.spaced("100 millis") }),
    Effect.mapError((e) => new CheckpointError({ reason: "unavailable", message: `${store}: migrations failed: ${e.message}`, cause: e })),
    Effect.asVoid
  )
