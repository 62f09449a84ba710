/**
 * A connector's waiting refresh requests (docs/access-over-time.md, "Refresh driven by the audit log").
 * The audit run offers them before it saves the checkpoint that covers their events; whichever runner
 * holds the connector's permissions stream takes them, and removes them only once the refresh's changes
 * are recorded and published. So a request survives a restart and crosses runners (in the state
 * database; the memory one serves a single process). One request per scope: an offer on a waiting scope
 * keeps the later event time and bumps the version, so a refresh that took the older one leaves it.
 */
import { Context, Duration, Effect, Layer, Option } from "effect"
import type { CheckpointError } from "../domain/Errors.js"
import { AccessScope } from "../sdk/Connector.js"

/** An event's scope, and when the platform says the event happened. */
export interface RefreshRequest {
  readonly scope: AccessScope
  readonly occurredAt: number
}

/** A waiting request, as taken: `remove` deletes it only if no offer bumped its version since. */
export interface QueuedRefresh extends RefreshRequest {
  readonly version: number
}

export interface RefreshQueueShape {
  /** Add requests (coalesced per scope); a refresher waiting in this process wakes. */
  readonly offer: (connectorId: string, requests: ReadonlyArray<RefreshRequest>) => Effect.Effect<void, CheckpointError>
  /** Every waiting request of the connector. */
  readonly pending: (connectorId: string) => Effect.Effect<ReadonlyArray<QueuedRefresh>, CheckpointError>
  /** Remove requests as taken (one offered again since stays). */
  readonly remove: (connectorId: string, taken: ReadonlyArray<QueuedRefresh>) => Effect.Effect<void, CheckpointError>
  /**
   * Return when a request may be waiting: at once if one was offered in this process since the last
   * wait, else after `poll` (another runner's offers are seen by looking).
   */
  readonly wait: (connectorId: string, poll: Duration.DurationInput) => Effect.Effect<void>
}

/** A scope as one string: the queue's key (the SQL adapter stores it). */
export const scopeKey = (scope: AccessScope): string =>
  scope._tag === "Asset" ? `a:${scope.asset}` : scope._tag === "Group" ? `g:${scope.group}` : "org"

/** The scope a stored key names; none for a key this version does not know. */
export const scopeOfKey = (key: string): Option.Option<AccessScope> =>
  key === "org"
    ? Option.some(AccessScope.Org())
    : key.startsWith("a:")
    ? Option.some(AccessScope.Asset({ asset: key.slice(2) }))
    : key.startsWith("g:")
    ? Option.some(AccessScope.Group({ group: key.slice(2) }))
    : Option.none()

/** Requests coalesced per scope key, the later event time kept. */
export const coalesce = (requests: ReadonlyArray<RefreshRequest>): Map<string, RefreshRequest> => {
  const out = new Map<string, RefreshRequest>()
  for (const r of requests) {
    const k = scopeKey(r.scope)
    const old = out.get(k)
    if (old === undefined || old.occurredAt < r.occurredAt) out.set(k, r)
  }
  return out
}

/** The in-process doorbells of `wait`: one per connector, rung by `offer`. */
export const makeDoorbells = () => {
  const bells = new Map<string, Effect.Latch>()
  const bell = (connectorId: string) => {
    let b = bells.get(connectorId)
    if (b === undefined) {
      b = Effect.unsafeMakeLatch(false)
      bells.set(connectorId, b)
    }
    return b
  }
  return {
    ring: (connectorId: string) => Effect.suspend(() => bell(connectorId).open),
    wait: (connectorId: string, poll: Duration.DurationInput) =>
      Effect.suspend(() => {
        const b = bell(connectorId)
        // closed before the caller looks, so an offer made while it looks rings again
        return Effect.raceFirst(b.await, Effect.sleep(poll)).pipe(Effect.zipRight(b.close))
      })
  }
}

export class RefreshQueue extends Context.Tag("verity/RefreshQueue")<RefreshQueue, RefreshQueueShape>() {
  /** In memory: a single process (its requests end with it; the next snapshot covers them). */
  static readonly memory: Layer.Layer<RefreshQueue> = Layer.sync(RefreshQueue, () => makeMemory())
}

const makeMemory = (): RefreshQueueShape => {
  const rows = new Map<string, Map<string, QueuedRefresh>>()
  const doorbells = makeDoorbells()
  const of = (connectorId: string) => {
    let m = rows.get(connectorId)
    if (m === undefined) {
      m = new Map()
      rows.set(connectorId, m)
    }
    return m
  }
  return {
    offer: (connectorId, requests) =>
      Effect.suspend(() => {
        if (requests.length === 0) return Effect.void
        const m = of(connectorId)
        for (const [k, r] of coalesce(requests)) {
          const old = m.get(k)
          m.set(k, {
            scope: r.scope,
            occurredAt: Math.max(r.occurredAt, old?.occurredAt ?? r.occurredAt),
            version: (old?.version ?? 0) + 1
          })
        }
        return doorbells.ring(connectorId)
      }),
    pending: (connectorId) => Effect.sync(() => [...of(connectorId).values()]),
    remove: (connectorId, taken) =>
      Effect.sync(() => {
        const m = of(connectorId)
        for (const t of taken) {
          const k = scopeKey(t.scope)
          if (m.get(k)?.version === t.version) m.delete(k)
        }
      }),
    wait: doorbells.wait
  }
}
