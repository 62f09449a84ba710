import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { pgliteClientLayer } from "../../src/adapters/Pglite.js"
import { SqlRefreshQueueLive } from "../../src/adapters/SqlRefreshQueue.js"
import { AccessScope } from "../../src/sdk/Connector.js"
import { RefreshQueue } from "../../src/services/RefreshQueue.js"
import { sqlLayerFor, testDatabase } from "../../src/testkit/Postgres.js"

const api = AccessScope.Asset({ asset: "acme/api" })
const team = AccessScope.Group({ group: "core" })
const view = (q: ReadonlyArray<{ readonly scope: AccessScope; readonly occurredAt: number }>) =>
  q.map((r) => [r.scope, r.occurredAt] as const).sort((x, y) => x[1] - y[1])

/** What every implementation must do: one request per connector and scope, the later time kept, a re-offered one surviving its removal. */
const contract = Effect.gen(function*() {
  const queue = yield* RefreshQueue
  yield* queue.offer("c1", [{ scope: api, occurredAt: 5 }, { scope: api, occurredAt: 3 }, { scope: team, occurredAt: 4 }])
  yield* queue.offer("c1", [{ scope: api, occurredAt: 2 }])
  yield* queue.offer("c2", [{ scope: AccessScope.Org(), occurredAt: 1 }])
  const taken = yield* queue.pending("c1")
  expect(view(taken)).toEqual([[team, 4], [api, 5]])
  expect(view(yield* queue.pending("c2"))).toEqual([[AccessScope.Org(), 1]])
  // an event on acme/api while its refresh runs: that request stays, the team's goes
  yield* queue.offer("c1", [{ scope: api, occurredAt: 6 }])
  yield* queue.remove("c1", taken)
  expect(view(yield* queue.pending("c1"))).toEqual([[api, 6]])
  yield* queue.remove("c1", yield* queue.pending("c1"))
  expect(yield* queue.pending("c1")).toEqual([])
  // an offer in this process wakes a waiting refresher long before its poll
  const waiting = yield* Effect.fork(queue.wait("c3", "1 hour"))
  yield* queue.offer("c3", [{ scope: api, occurredAt: 1 }])
  yield* Fiber.join(waiting)
})

describe("RefreshQueue", () => {
  it.live("memory: one request per scope, the later time kept; removal leaves one offered again", () => contract.pipe(Effect.provide(RefreshQueue.memory)))

  it.live("PGlite: the same", () => contract.pipe(Effect.provide(SqlRefreshQueueLive.pipe(Layer.provide(pgliteClientLayer(undefined)), Layer.orDie))))

  it.live("PostgreSQL: the same, and a second program on the database (another runner, or after a restart) finds the requests", () =>
    Effect.gen(function*() {
      const db = yield* testDatabase
      const layer = () => SqlRefreshQueueLive.pipe(Layer.provide(sqlLayerFor(db)), Layer.orDie)
      yield* contract.pipe(Effect.provide(layer()))
      yield* Effect.flatMap(RefreshQueue, (q) => q.offer("c4", [{ scope: team, occurredAt: 9 }])).pipe(Effect.provide(layer()))
      const other = yield* Effect.flatMap(RefreshQueue, (q) => q.pending("c4")).pipe(Effect.provide(layer()))
      expect(view(other)).toEqual([[team, 9]])
    }).pipe(Effect.scoped))
})
