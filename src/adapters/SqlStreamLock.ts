/**
 * `StreamLock` on SQL: table `stream_locks(connector_id, stream, runner, epoch, claimed_at)`. A claim
 * bumps the stream's epoch and names the runner; the epochs this process holds are kept in the
 * `StreamFence` it shares with the SQL checkpoint store, whose save then only writes while the stored
 * epoch is still this process's (and locks the lock row while it writes, so a claim waits for a save in
 * progress: the new holder always loads the last saved checkpoint).
 */
import { SqlClient } from "@effect/sql"
import type { Connection } from "@effect/sql/SqlConnection"
import type { SqlError } from "@effect/sql/SqlError"
import { Context, Duration, Effect, ExecutionStrategy, Exit, Layer, Schema, Scope } from "effect"
import { CheckpointStream } from "../domain/Checkpoint.js"
import { CheckpointError } from "../domain/Errors.js"
import type { CheckpointKey } from "../services/CheckpointStore.js"
import { type StreamHolder, StreamHolds, StreamLock } from "../services/StreamLock.js"
import { migrateStateStores } from "./SqlMigrations.js"

/** The epochs this process holds, by stream: what the checkpoint store's save is fenced with. */
export class StreamFence extends Context.Tag("verity/adapters/StreamFence")<StreamFence, {
  readonly held: (key: CheckpointKey) => number | undefined
  readonly set: (key: CheckpointKey, epoch: number | undefined) => void
}>() {
  static readonly layer: Layer.Layer<StreamFence> = Layer.sync(StreamFence, () => {
    const held = new Map<string, number>()
    const keyOf = (key: CheckpointKey) => `${key.connectorId}\u0000${key.stream}`
    return {
      held: (key) => held.get(keyOf(key)),
      set: (key, epoch) => void (epoch === undefined ? held.delete(keyOf(key)) : held.set(keyOf(key), epoch))
    }
  })
}

const queryError = (what: string) => (cause: SqlError) =>
  new CheckpointError({ reason: "query", message: `stream lock: ${what} failed: ${cause.message}`, cause })

interface Row {
  readonly connector_id: string
  readonly stream: string
  readonly runner: string
  readonly epoch: number | string
  readonly claimed_at: Date | string
}

const isStream = Schema.is(CheckpointStream)

export const makeSqlStreamLock = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const fence = yield* StreamFence
  yield* migrateStateStores("stream lock")
  return StreamLock.of({
    claim: (key, runner) =>
      sql<{ readonly epoch: number | string }>`
        INSERT INTO stream_locks (connector_id, stream, runner, epoch, claimed_at)
        VALUES (${key.connectorId}, ${key.stream}, ${runner}, 1, now())
        ON CONFLICT (connector_id, stream) DO UPDATE
          SET runner = EXCLUDED.runner, epoch = stream_locks.epoch + 1, claimed_at = now()
        RETURNING epoch`.pipe(
        Effect.mapError(queryError("claim")),
        Effect.map((rows) => Number(rows[0]?.epoch ?? 0)),
        Effect.tap((epoch) => Effect.sync(() => fence.set(key, epoch))),
        Effect.withSpan("SqlStreamLock.claim", { attributes: { connector: key.connectorId, stream: key.stream } })
      ),
    verify: (key) =>
      Effect.suspend(() => {
        const epoch = fence.held(key)
        if (epoch === undefined) return Effect.void
        return sql<{ readonly runner: string; readonly epoch: number | string }>`
          SELECT runner, epoch FROM stream_locks WHERE connector_id = ${key.connectorId} AND stream = ${key.stream}`.pipe(
          Effect.mapError(queryError("verify")),
          Effect.flatMap((rows) => {
            const last = rows[0]
            return last === undefined || Number(last.epoch) === epoch
              ? Effect.void
              : Effect.fail(
                new CheckpointError({
                  reason: "superseded",
                  message: `connector "${key.connectorId}" stream "${key.stream}" was taken over by runner ${last.runner} ` +
                    `(claim ${last.epoch}; this runner's was ${epoch})`
                })
              )
          })
        )
      }).pipe(Effect.withSpan("SqlStreamLock.verify", { attributes: { connector: key.connectorId, stream: key.stream } })),
    release: (key) => Effect.sync(() => fence.set(key, undefined)),
    holders: sql<Row>`SELECT connector_id, stream, runner, epoch, claimed_at FROM stream_locks ORDER BY connector_id, stream`.pipe(
      Effect.mapError(queryError("list")),
      Effect.map((rows) =>
        rows.filter((r) => isStream(r.stream)).map((r): StreamHolder => ({
          connectorId: r.connector_id,
          stream: isStream(r.stream) ? r.stream : "audit",
          runner: r.runner,
          epoch: Number(r.epoch),
          claimedAt: r.claimed_at instanceof Date ? r.claimed_at : new Date(r.claimed_at)
        }))
      ),
      Effect.withSpan("SqlStreamLock.holders")
    )
  })
})

/** `StreamLock` over the provided `SqlClient`, sharing its `StreamFence` with the SQL checkpoint store. */
export const SqlStreamLockLive: Layer.Layer<StreamLock, CheckpointError, SqlClient.SqlClient | StreamFence> = Layer.effect(
  StreamLock,
  makeSqlStreamLock
)

export interface SqlStreamHoldsOptions {
  /** how often the hold session is touched: well below the session's idle timeout (see below) */
  readonly heartbeat: Duration.DurationInput
  /** how often a waiting claim asks again */
  readonly pollEvery?: Duration.DurationInput
}

interface HoldSession {
  readonly conn: Connection
  readonly scope: Scope.CloseableScope
  /** the streams whose advisory lock this session holds */
  readonly locked: Set<string>
}

/** An error and what caused it (a SqlError's own message says only "Failed to execute statement"). */
const describe = (e: { readonly message: string; readonly cause?: unknown }) =>
  e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message

const holdName = (key: CheckpointKey) => `${key.connectorId}/${key.stream}`
// two-key advisory locks (class, stream): a key space apart from the cluster's one-key shard locks
const tryLockSql = "SELECT pg_try_advisory_lock(hashtext('verity.stream'), hashtext($1))"
const unlockSql = "SELECT pg_advisory_unlock(hashtext('verity.stream'), hashtext($1))"

/**
 * `StreamHolds` as PostgreSQL session-level advisory locks, all on one reserved connection of the
 * provided client (`SELECT 1` on it every `heartbeat`). Provide the cluster's client: its sessions end
 * when idle for 2/3 of the lock expiration (`clusterDsn`), so the holds of a frozen runner free
 * themselves as its shard locks do, and a killed runner's free as its connection closes. A runner that
 * stops a job releases the hold after the job's last save; a waiting claim polls until it gets it.
 * Within this process a hold also waits for another job of this process on the same stream (a session
 * may take its own advisory lock twice).
 */
export const makeSqlStreamHolds = (options: SqlStreamHoldsOptions) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const layerScope = yield* Effect.scope
    const pollEvery = Duration.decode(options.pollEvery ?? "250 millis")
    const heartbeat = Duration.decode(options.heartbeat)
    const opening = yield* Effect.makeSemaphore(1)
    const inProcess = new Set<string>()
    let session: HoldSession | undefined

    const open = opening.withPermits(1)(Effect.suspend(() =>
      session !== undefined ? Effect.succeed(session) : Effect.gen(function*() {
        const scope = yield* Scope.fork(layerScope, ExecutionStrategy.sequential)
        const conn = yield* sql.reserve.pipe(
          Scope.extend(scope),
          Effect.tapError(() => Scope.close(scope, Exit.void)),
          Effect.mapError(queryError("hold session"))
        )
        const opened: HoldSession = { conn, scope, locked: new Set() }
        // a connection that goes back to the pool holds nothing
        yield* Scope.addFinalizer(scope, conn.executeRaw("SELECT pg_advisory_unlock_all()", []).pipe(
          Effect.timeoutOption(heartbeat),
          Effect.interruptible,
          Effect.ignore
        ))
        session = opened
        return opened
      })
    ))

    /** The session failed or went quiet: its holds are gone (the server frees them with it). */
    const drop = (s: HoldSession, why: string) =>
      Effect.suspend(() => {
        if (session !== s) return Effect.void
        session = undefined
        return Effect.logWarning(`stream hold session lost, its ${s.locked.size} hold(s) are gone: ${why}`).pipe(
          Effect.zipRight(Scope.close(s.scope, Exit.void))
        )
      })

    yield* Effect.forkScoped(Effect.forever(Effect.sleep(heartbeat).pipe(
      Effect.zipRight(Effect.suspend(() => {
        const s = session
        if (s === undefined) return Effect.void
        // no timeout of our own: a slow answer on a loaded machine is not a lost session (dropping it would
        // free the holds of jobs still running); a session the server ended fails here with an error
        return s.conn.executeValues("SELECT 1", []).pipe(
          Effect.catchAll((e) => drop(s, describe(e)))
        )
      }))
    )))

    const tryLock = (name: string) =>
      Effect.flatMap(open, (s) =>
        s.conn.executeValues(tryLockSql, [name]).pipe(
          Effect.tapError((e) => drop(s, describe(e))),
          Effect.mapError(queryError("hold")),
          Effect.map((rows) => rows[0]?.[0] === true),
          Effect.tap((got) => Effect.sync(() => got && s.locked.add(name)))
        )).pipe(Effect.uninterruptible)

    const release = (name: string) =>
      Effect.suspend(() => {
        const s = session
        if (s === undefined || !s.locked.delete(name)) return Effect.void
        return s.conn.executeValues(unlockSql, [name]).pipe(
          Effect.catchAll((e) => drop(s, describe(e)))
        )
      }).pipe(Effect.ensuring(Effect.sync(() => inProcess.delete(name))))

    const holderOf = (key: CheckpointKey) =>
      sql<{ readonly runner: string }>`
        SELECT runner FROM stream_locks WHERE connector_id = ${key.connectorId} AND stream = ${key.stream}`.pipe(
        Effect.map((rows) => rows[0]?.runner ?? "unknown"),
        Effect.orElseSucceed(() => "unknown")
      )

    const acquire = (key: CheckpointKey, runner: string) =>
      Effect.gen(function*() {
        const name = holdName(key)
        let logged = false
        const waiting = (who: Effect.Effect<string>) =>
          logged ? Effect.void : who.pipe(
            Effect.flatMap((holder) =>
              Effect.logInfo("waiting for the stream's holder to release it").pipe(Effect.annotateLogs({ runner, holder }))
            ),
            Effect.tap(() => Effect.sync(() => (logged = true)))
          )
        while (inProcess.has(name)) {
          yield* waiting(Effect.succeed(runner))
          yield* Effect.sleep(pollEvery)
        }
        inProcess.add(name)
        yield* Effect.gen(function*() {
          while (!(yield* tryLock(name))) {
            yield* waiting(holderOf(key))
            yield* Effect.sleep(pollEvery)
          }
        }).pipe(Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : release(name)))
        return name
      })

    return StreamHolds.of({
      hold: (key, runner) =>
        Effect.uninterruptibleMask((restore) =>
          restore(acquire(key, runner)).pipe(Effect.tap((name) => Effect.addFinalizer(() => release(name))))
        ).pipe(Effect.asVoid, Effect.withSpan("SqlStreamHolds.hold", { attributes: { connector: key.connectorId, stream: key.stream } }))
    })
  })

/** `StreamHolds` on the provided `SqlClient` (the cluster's: see `makeSqlStreamHolds`). */
export const sqlStreamHoldsLayer = (options: SqlStreamHoldsOptions): Layer.Layer<StreamHolds, never, SqlClient.SqlClient> =>
  Layer.scoped(StreamHolds, makeSqlStreamHolds(options))
