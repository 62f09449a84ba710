/**
 * The audit-driven refresh across runners: the connector's audit stream on one runner, its permissions
 * stream on another (each with its own state-store and sink Layers, as two `run` processes on one
 * PostgreSQL), against the GitHub simulator over HTTP and the Kafka mock cluster. The refresh request
 * crosses through the state database; snapshots are an hour apart, so the change arrives by it alone.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schedule, Schema } from "effect"
import { KafkaConfig } from "../../src/adapters/KafkaConfig.js"
import { kafkaSinkLayer } from "../../src/adapters/KafkaSink.js"
import { SqlStateStoresLive } from "../../src/adapters/SqlStateStores.js"
import type { PipelineOptions } from "../../src/pipeline/Options.js"
import { scheduledStreams } from "../../src/pipeline/Scheduler.js"
import { topics } from "../../src/pipeline/Wire.js"
import { startGitHubSimulator } from "../../src/platforms/github/simulator/Server.js"
import { RefreshQueue } from "../../src/services/RefreshQueue.js"
import { watchTopics } from "../../src/testkit/KafkaWatch.js"
import { startKafkaMock } from "../../src/testkit/KafkaMock.js"
import { sqlLayerFor, testDatabase } from "../../src/testkit/Postgres.js"
import { connectorFor, limiterLayer, pipelineOptions } from "../support/GitHub.js"
import { readChanges, removedKeys, truthDiff } from "../support/GrantTruth.js"

describe("audit-driven refresh across runners (GitHub simulator, PostgreSQL, Kafka)", () => {
  it.live("the audit stream on one runner, the permissions stream on another: a collaborator's removal reaches Kafka through the refresh, long before the next snapshot, and leaves no request behind", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 4, members: 6, teams: 2, outsideCollaborators: 2, basePermission: "read", events: 0, seed: 7 })
      const kafka = yield* startKafkaMock
      const db = yield* testDatabase
      // one runner's Layers: its own SQL pool and stores, its own producer
      const runner = () =>
        Layer.mergeAll(
          kafkaSinkLayer(Schema.decodeUnknownSync(KafkaConfig)({ brokers: kafka.brokers, clientId: "verity-test", logLevel: "nothing" })),
          SqlStateStoresLive.pipe(Layer.provide(sqlLayerFor(db)))
        ).pipe(Layer.orDie)
      const connector = yield* connectorFor(sim)
      const options: PipelineOptions = { ...pipelineOptions, refresh: { enabled: true, debounce: "200 millis", poll: "300 millis" } }
      // each runner builds its own streams, as each `run` process does, and runs one of them
      const streamOf = (stream: "audit" | "permissions") =>
        scheduledStreams([{ connector, schedule: { permissions: "1 hour", audit: "200 millis" } }], options).find((s) => s.stream === stream)!.run
      const changesTopic = topics.changes("github")
      const runsTopic = topics.runs("github")
      const watch = yield* watchTopics(kafka.brokers, [changesTopic, topics.snapshots("github"), runsTopic])
      yield* streamOf("permissions").pipe(Effect.provide(runner()), Effect.forkScoped)
      yield* streamOf("audit").pipe(Effect.provide(runner()), Effect.forkScoped)
      yield* watch.until((all) => all.some((m) => m.topic === runsTopic), 30_000, "the first snapshot")
      const truth0 = yield* sim.truthGrants

      // an outside collaborator's direct access to one repository, removed through GitHub's write API
      const direct = truth0.find((g) => g.grant_mechanism === "direct" && truth0.every((h) => h.principal_ref !== g.principal_ref || h.grant_mechanism === "direct"))!
      const t0 = Date.now()
      const response = yield* Effect.promise(() =>
        fetch(`${sim.url}/repos/${direct.asset_ref}/collaborators/${direct.principal_ref}`, {
          method: "DELETE",
          headers: { authorization: `Bearer ${sim.token}`, "user-agent": "verity-test" }
        })
      )
      expect(response.status).toBe(204)
      const expected = truthDiff(truth0, yield* sim.truthGrants)
      expect(removedKeys(expected).length).toBeGreaterThan(0)
      const all = yield* watch.until(
        (m) => m.filter((x) => x.topic === changesTopic).length >= expected.length && m.filter((x) => x.tombstone).length >= removedKeys(expected).length,
        20_000,
        "the removal"
      )
      const changes = all.filter((m) => m.topic === changesTopic)
      expect(readChanges(changes)).toEqual(expected)
      expect(all.filter((m) => m.tombstone).map((m) => m.key).sort()).toEqual(removedKeys(expected))
      expect(Math.max(...changes.map((m) => m.arrivedAt)) - t0).toBeLessThan(15_000) // the next snapshot is an hour away
      expect(all.filter((m) => m.topic === runsTopic)).toHaveLength(1) // no snapshot ran
      // the request left the queue once the changes were published
      const left = yield* Effect.flatMap(RefreshQueue, (queue) =>
        Effect.repeat(queue.pending(connector.id), { until: (p) => p.length === 0, schedule: Schedule.spaced("100 millis").pipe(Schedule.upTo("5 seconds")) }).pipe(
          Effect.zipRight(queue.pending(connector.id))
        )).pipe(Effect.provide(runner()))
      expect(left).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(Layer.merge(NodeHttpClient.layerUndici, limiterLayer()))), 60_000)
})
