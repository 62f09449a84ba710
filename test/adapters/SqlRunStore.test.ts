import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { pgliteClientLayer } from "../../src/adapters/Pglite.js"
import { SqlRunStoreLive } from "../../src/adapters/SqlRunStore.js"
import { RunStore } from "../../src/services/RunStore.js"
import { sqlLayerFor, testDatabase } from "../../src/testkit/Postgres.js"

type Backend = "PostgreSQL" | "embedded PGlite"

const withStoreOn = (backend: Backend) => <A, E>(f: Effect.Effect<A, E, RunStore>) =>
  Effect.gen(function*() {
    const sql = backend === "PostgreSQL" ? sqlLayerFor(yield* testDatabase) : Layer.orDie(pgliteClientLayer(undefined))
    return yield* f.pipe(Effect.provide(SqlRunStoreLive.pipe(Layer.provide(sql))))
  }).pipe(Effect.scoped)

describe.each<Backend>(["PostgreSQL", "embedded PGlite"])("SqlRunStore (%s)", (backend) => {
  it.live("records a run when it starts and when it ends; lists newest first, filtered by connector and stream", () =>
    withStoreOn(backend)(Effect.gen(function*() {
      const runs = yield* RunStore
      const first = yield* runs.start({ connectorId: "github-acme", platform: "github", stream: "permissions" }, "host-a:1")
      expect(first).toMatchObject({ outcome: "running", runner: "host-a:1", published: 0 })
      expect(Option.isNone(first.finishedAt)).toBe(true)
      yield* runs.finish(first.runId, { outcome: "complete", published: 120, deadLettered: 2, duplicates: 0 })
      yield* Effect.sleep("5 millis")
      const second = yield* runs.start({ connectorId: "github-acme", platform: "github", stream: "audit" }, "host-b:2")
      yield* runs.finish(second.runId, { outcome: "failed", published: 3, deadLettered: 0, duplicates: 1, error: "SinkError: refused" })
      yield* Effect.sleep("5 millis")
      const other = yield* runs.start({ connectorId: "mockapp-1", platform: "mockapp", stream: "audit" }, "host-a:1")

      const all = yield* runs.list()
      expect(all.map((r) => r.runId)).toEqual([other.runId, second.runId, first.runId])
      const done = all.find((r) => r.runId === first.runId)!
      expect(done).toMatchObject({ outcome: "complete", published: 120, deadLettered: 2, connectorId: "github-acme", stream: "permissions" })
      expect(Option.isSome(done.finishedAt)).toBe(true)
      expect(all.find((r) => r.runId === second.runId)?.error).toEqual(Option.some("SinkError: refused"))
      expect((yield* runs.list({ connectorId: "github-acme" })).map((r) => r.runId)).toEqual([second.runId, first.runId])
      expect((yield* runs.list({ connectorId: "github-acme", stream: "permissions" })).map((r) => r.runId)).toEqual([first.runId])
      expect(yield* runs.list({ limit: 1 })).toHaveLength(1)
    })))
})
