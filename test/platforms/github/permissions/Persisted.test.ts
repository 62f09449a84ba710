import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Stream } from "effect"
import { SqlStateStoresLive } from "../../../../src/adapters/SqlStateStores.js"
import { makeConnectorId } from "../../../../src/domain/Ids.js"
import { permissionsCacheKey } from "../../../../src/platforms/github/permissions/Persisted.js"
import { startGitHubSimulator } from "../../../../src/platforms/github/simulator/Server.js"
import { runPermissions } from "../../../../src/pipeline/Pipeline.js"
import { ConditionalCache } from "../../../../src/sdk/ConditionalCache.js"
import { EventSink, MemorySink } from "../../../../src/services/EventSink.js"
import { sqlLayerFor, type TestDatabase, testDatabase } from "../../../../src/testkit/Postgres.js"
import { adminRequest, connectorFor, limiterLayer, pipelineOptions, publishedDeadLetters, publishedSnapshots, roomyRestPoints, sortedKeys, teamPushGrant } from "../../../support/GitHub.js"

/** HTTP, the rate limiter, a memory sink, and the state stores on this database (what two processes share). */
const onDatabase = (db: TestDatabase) =>
  Layer.mergeAll(NodeHttpClient.layerUndici, limiterLayer(), EventSink.memory, SqlStateStoresLive.pipe(Layer.provide(sqlLayerFor(db)), Layer.orDie))

describe("the GitHub ETag and grant cache in the state database", () => {
  it.live("a new connector instance on the same database pulls an unchanged org for at most 10% of the first pull's budget, with the same grants", () =>
    Effect.gen(function*() {
      const db = yield* testDatabase
      const sim = yield* startGitHubSimulator({
        repos: 40, members: 30, teams: 6, outsideCollaborators: 6, seed: 11, secondaryLimits: { restPointsPerEndpoint: roomyRestPoints }
      })
      const truth = yield* sim.truthGrants
      const program = Effect.gen(function*() {
        const sink = yield* MemorySink

        // first process: a full pull, which leaves its ETags and grants in the database
        const first = yield* connectorFor(sim, { pageSize: 20, restPointsPerMinute: roomyRestPoints })
        yield* runPermissions(first, pipelineOptions)
        const firstGrants = sortedKeys((yield* publishedSnapshots) as never)
        const firstStats = yield* sim.stats
        expect(firstGrants).toEqual(sortedKeys(truth))
        expect(firstStats.budgetSpent).toBeGreaterThan(40)
        const stored = yield* (yield* ConditionalCache).get(makeConnectorId("github-test"), permissionsCacheKey)
        expect(Option.isSome(stored)).toBe(true)

        // "restart": a new connector instance (empty memory) on the same database; the org is unchanged
        yield* sim.resetStats
        yield* sink.clear
        const restarted = yield* connectorFor(sim, { pageSize: 20, restPointsPerMinute: roomyRestPoints })
        expect(restarted.state.repos.size).toBe(0)
        yield* runPermissions(restarted, pipelineOptions)
        const second = yield* sim.stats
        expect(second.notModified).toBeGreaterThan(40)
        expect(second.budgetSpent).toBeLessThanOrEqual(firstStats.budgetSpent * 0.1)
        expect(second.budgetByResource["graphql"] ?? 0).toBe(0)
        expect(sortedKeys((yield* publishedSnapshots) as never)).toEqual(firstGrants)
        expect(yield* publishedDeadLetters).toEqual([])
      })
      yield* program.pipe(Effect.provide(onDatabase(db)))
    }).pipe(Effect.scoped))
  it.live("a process reads the cache's value only when another one saved since: its second pull of its own state reads nothing back", () =>
    Effect.gen(function*() {
      const db = yield* testDatabase
      const sim = yield* startGitHubSimulator({ repos: 8, members: 10, teams: 2, outsideCollaborators: 0, events: 0, seed: 3 })
      let valuesRead = 0
      // the database's cache, counting the answers that carry a value to decode
      const counted = Layer.effect(ConditionalCache, Effect.map(ConditionalCache, (cache) => ({
        ...cache,
        getChanged: (connector: Parameters<typeof cache.getChanged>[0], key: string, known: string | undefined) =>
          cache.getChanged(connector, key, known).pipe(Effect.tap((o) => Effect.sync(() => {
            if (Option.isSome(o)) valuesRead++
          })))
      })))
      const program = Effect.gen(function*() {
        const connector = yield* connectorFor(sim)
        yield* runPermissions(connector, pipelineOptions)
        yield* runPermissions(connector, pipelineOptions)
        expect(valuesRead).toBe(0)
        // another instance (a second runner) saves: the first reads that once, then no more
        yield* runPermissions(yield* connectorFor(sim), pipelineOptions)
        yield* runPermissions(connector, pipelineOptions)
        yield* runPermissions(connector, pipelineOptions)
        expect(valuesRead).toBe(2) // the new instance's first pull, and the first instance's next
        expect(sortedKeys((yield* publishedSnapshots) as never).length).toBeGreaterThan(0)
      })
      yield* program.pipe(Effect.provide(Layer.provideMerge(counted, onDatabase(db))))
    }).pipe(Effect.scoped))
  it.live("a runner that takes the permissions stream over reuses the grants another runner derived last, its refreshes included, not its own older copy", () =>
    Effect.gen(function*() {
      const db = yield* testDatabase
      const sim = yield* startGitHubSimulator({ repos: 6, members: 10, teams: 3, outsideCollaborators: 0, basePermission: "read", events: 0, seed: 5 })
      const program = Effect.gen(function*() {
        const sink = yield* MemorySink
        const lastSnapshot = Effect.gen(function*() {
          const all = yield* publishedSnapshots
          const id = all[all.length - 1]!["snapshot_id"]
          return sortedKeys(all.filter((r) => r["snapshot_id"] === id) as never)
        })
        // two runners' instances of one connector, on one database
        const a = yield* connectorFor(sim)
        const b = yield* connectorFor(sim)
        const g = yield* teamPushGrant(sim)
        const [owner, repo] = g.asset_ref.split("/")
        yield* runPermissions(a, pipelineOptions)
        yield* adminRequest(sim, "PUT", `/repos/${owner}/${repo}/collaborators/${g.principal_ref}`, { permission: "triage" })
        yield* runPermissions(b, pipelineOptions)
        expect(yield* lastSnapshot).toEqual(sortedKeys(yield* sim.truthGrants))

        // raised to the team's level: only the mechanism changes, which the collaborator lists do not show;
        // runner a holds the stream now and re-reads the repository, as its audit log asks
        yield* adminRequest(sim, "PUT", `/repos/${owner}/${repo}/collaborators/${g.principal_ref}`, { permission: "push" })
        const truth = sortedKeys(yield* sim.truthGrants)
        expect(truth).toContain(`${g.principal_ref}|${g.asset_ref}|PUSH|direct`)
        yield* Stream.runDrain(a.refresh!.permissionsOf([g.asset_ref]))

        // the stream back on runner b: its own copy of that repository is older than a's
        yield* sink.clear
        yield* runPermissions(b, pipelineOptions)
        expect(yield* lastSnapshot).toEqual(truth)
        // a new process
        yield* runPermissions(yield* connectorFor(sim), pipelineOptions)
        expect(yield* lastSnapshot).toEqual(truth)
      })
      yield* program.pipe(Effect.provide(onDatabase(db)))
    }).pipe(Effect.scoped))
})
