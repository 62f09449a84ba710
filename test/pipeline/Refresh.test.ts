/**
 * Refresh driven by the audit log. The ordering and outbox rules on a scripted connector and memory
 * stores; then against real parts: the GitHub simulator over HTTP (changed through its write API),
 * PostgreSQL, the Kafka mock cluster, and an independent consumer, with snapshots an hour apart, so
 * every change there reaches Kafka through the audit log alone.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Option, Schedule, Stream } from "effect"
import { makePromMetrics } from "../../src/adapters/PromMetrics.js"
import { AccessScope, type Connector } from "../../src/sdk/Connector.js"
import { makeScriptedConnector } from "../../src/sdk/ScriptedConnector.js"
import { CheckpointStore } from "../../src/services/CheckpointStore.js"
import { EventSink, MemorySink } from "../../src/services/EventSink.js"
import { Metrics } from "../../src/services/Metrics.js"
import { RunTriggers } from "../../src/services/RunTriggers.js"
import { memoryStateStores } from "../../src/services/StateStores.js"
import type { PipelineOptions } from "../../src/pipeline/Options.js"
import { refreshAssets, refreshBeforeSnapshot, refresher } from "../../src/pipeline/Refresh.js"
import { runAudit } from "../../src/pipeline/Pipeline.js"
import { RefreshQueue } from "../../src/services/RefreshQueue.js"
import { runPermissions } from "../../src/pipeline/Permissions.js"
import { runScheduled } from "../../src/pipeline/Scheduler.js"
import { topics } from "../../src/pipeline/Wire.js"
import { startGitHubSimulator } from "../../src/platforms/github/simulator/Server.js"
import type { RequestLogEntry } from "../../src/platforms/github/simulator/Types.js"
import { watchTopics, type WatchedMessage } from "../../src/testkit/KafkaWatch.js"
import { startKafkaMock } from "../../src/testkit/KafkaMock.js"
import { testDatabase } from "../../src/testkit/Postgres.js"
import { adminGet, adminRequest, connectorFor, limiterLayer, pipelineOptions, kafkaAndSqlLayer, publishedSnapshots, sortedKeys, teamPushGrant, Teams, Members, Repositories } from "../support/GitHub.js"
import { readChanges, removedKeys, truthDiff } from "../support/GrantTruth.js"


/** What the connector read (the writes above and the audit log's polling aside): method and path without the query. */
const reads = (log: ReadonlyArray<RequestLogEntry>) =>
  log.filter((e) => e.resource !== "audit_log" && (e.method === "GET" || e.path === "/graphql")).map((e) => {
    const affiliation = /affiliation=(\w+)/.exec(e.path)?.[1]
    return `${e.method} ${e.path.split("?")[0]}${affiliation === undefined ? "" : `?affiliation=${affiliation}`}`
  })

/** A repository's signature: its collaborators, all and direct (README "Budget"). */
const collaboratorReads = (org: string, repo: string) =>
  ["all", "direct"].map((a) => `GET /repos/${org}/${repo}/collaborators?affiliation=${a}`)

describe("audit-driven refresh", () => {
  it.effect("many events on one repository wait as one request; an org-wide one is kept beside it; one offered again after it was taken stays", () =>
    Effect.gen(function*() {
      const queue = yield* RefreshQueue
      yield* queue.offer("c", [1, 2, 3].map((i) => ({ scope: AccessScope.Asset({ asset: "acme/api" }), occurredAt: i })))
      yield* queue.offer("c", [{ scope: AccessScope.Org(), occurredAt: 4 }])
      const taken = yield* queue.pending("c")
      expect(taken.map((r) => [r.scope._tag, r.occurredAt])).toEqual([["Asset", 3], ["Org", 4]])
      yield* queue.offer("c", [{ scope: AccessScope.Asset({ asset: "acme/api" }), occurredAt: 2 }])
      yield* queue.remove("c", taken)
      expect((yield* queue.pending("c")).map((r) => [r.scope._tag, r.occurredAt])).toEqual([["Asset", 3]])
    }).pipe(Effect.provide(RefreshQueue.memory)))

  it.live("a request the audit run queued survives a restart before its refresh: the next process's refresher re-reads and publishes the removal", () =>
    Effect.gen(function*() {
      let present = true
      let entries: ReadonlyArray<unknown> = []
      const grants = [{ principal: "alice", asset: "acme/api", privilege: "PUSH", mechanism: "direct" }]
      const base = makeScriptedConnector({ id: "durable", platform: "mockapp", entries: [], grants })
      const connector: Connector = {
        ...base,
        auditEvents: (from) => makeScriptedConnector({ id: "durable", platform: "mockapp", entries }).auditEvents(from),
        refresh: {
          actions: new Map([["repo.remove_member", "Asset"]]),
          scopeOf: (e) => e.operation === "repo.remove_member" ? Option.some(AccessScope.Asset({ asset: e.assetRef })) : Option.none(),
          assetsOf: (scopes) => Effect.succeed(scopes.flatMap((s) => s._tag === "Asset" ? [s.asset] : [])),
          permissionsOf: () => present ? base.permissions : Stream.empty
        }
      }
      const checkpoints = yield* CheckpointStore
      const queue = yield* RefreshQueue
      const sink = yield* MemorySink
      // process 1: the baseline, then the audit event; its refresher debounces for an hour, then it dies
      const first = yield* runScheduled([{ connector, schedule: { permissions: "1 hour", audit: "50 millis" } }], {
        ...pipelineOptions,
        refresh: { enabled: true, debounce: "1 hour" }
      }).pipe(Effect.forkScoped)
      yield* Effect.repeat(checkpoints.load({ connectorId: connector.id, stream: "permissions" }), { until: Option.isSome, schedule: Schedule.spaced("20 millis") })
      yield* Effect.sleep("5 millis")
      present = false
      entries = [{ id: "e1", ts: Date.now(), actor: "admin", asset: "acme/api", action: "repo.remove_member" }]
      yield* Effect.repeat(checkpoints.load({ connectorId: connector.id, stream: "audit" }), { until: Option.isSome, schedule: Schedule.spaced("20 millis") })
      yield* Fiber.interrupt(first)
      expect((yield* queue.pending(connector.id)).map((r) => r.scope)).toEqual([AccessScope.Asset({ asset: "acme/api" })])
      expect((yield* sink.messages).filter((m) => m.topic === topics.changes("mockapp"))).toEqual([])
      // process 2: its audit run finds nothing new (the checkpoint is past the event); its refresher finds the request
      const options: PipelineOptions = { ...pipelineOptions, refresh: { enabled: true, debounce: "10 millis", poll: "50 millis" } }
      expect((yield* runAudit(connector, options, undefined, queue)).published).toBe(0)
      yield* refresher(connector, queue, Effect.unsafeMakeSemaphore(1), options).pipe(Effect.forkScoped)
      yield* Effect.repeat(sink.messages, {
        until: (all) => all.some((m) => m.topic === topics.changes("mockapp")),
        schedule: Schedule.spaced("20 millis").pipe(Schedule.upTo("10 seconds"))
      })
      const after = yield* sink.messages
      expect(after.filter((m) => m.topic === topics.changes("mockapp")).map((m) => JSON.parse(m.value!).kind)).toEqual(["grant_removed"])
      expect(after.filter((m) => m.value === null).map((m) => m.key)).toEqual(["mockapp:alice:acme/api:PUSH"])
      // done: the request leaves the queue once its changes are published
      yield* Effect.repeat(queue.pending(connector.id), { until: (p) => p.length === 0, schedule: Schedule.spaced("20 millis").pipe(Schedule.upTo("5 seconds")) })
      expect(yield* queue.pending(connector.id)).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(Layer.merge(EventSink.memory, memoryStateStores))), 30_000)

  it.live("a refresh never runs beside a snapshot: an access event that arrives during one is re-read after it ends", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      let snapshots = 0
      let entries: ReadonlyArray<unknown> = []
      const grants = [{ principal: "alice", asset: "acme/api", privilege: "PUSH", mechanism: "direct" }]
      const base = makeScriptedConnector({ id: "gate", platform: "mockapp", entries: [], grants })
      const connector: Connector = {
        ...base,
        permissions: Stream.unwrap(Effect.gen(function*() {
          const n = ++snapshots
          log.push(`snapshot ${n} start`)
          // the second snapshot is slow: the access event arrives while it runs
          if (n === 2) yield* Effect.sleep("1200 millis")
          return base.permissions.pipe(Stream.onEnd(Effect.sync(() => log.push(`snapshot ${n} end`))))
        })),
        auditEvents: (from) => makeScriptedConnector({ id: "gate", platform: "mockapp", entries }).auditEvents(from),
        refresh: {
          actions: new Map([["repo.remove_member", "Asset"]]),
          scopeOf: (e) => e.operation === "repo.remove_member" ? Option.some(AccessScope.Asset({ asset: e.assetRef })) : Option.none(),
          assetsOf: (scopes) => Effect.succeed(scopes.flatMap((s) => s._tag === "Asset" ? [s.asset] : [])),
          // alice is gone from acme/api
          permissionsOf: () => Stream.fromEffect(Effect.sync(() => log.push("refresh start"))).pipe(Stream.drain)
        }
      }
      const options: PipelineOptions = { ...pipelineOptions, refresh: { enabled: true, debounce: "50 millis" } }
      const metrics = yield* makePromMetrics
      yield* runScheduled([{ connector, schedule: { permissions: "1 hour", audit: "50 millis" } }], options).pipe(
        Effect.provideService(Metrics, metrics),
        Effect.forkScoped
      )
      const checkpoints = yield* CheckpointStore
      const until = (ready: () => boolean) => Effect.repeat(Effect.sync(ready), { until: (ok) => ok, schedule: Schedule.spaced("20 millis") })
      yield* until(() => log.includes("snapshot 1 end"))
      yield* Effect.repeat(checkpoints.load({ connectorId: connector.id, stream: "permissions" }), { until: Option.isSome, schedule: Schedule.spaced("20 millis") })
      yield* Effect.flatMap(RunTriggers, (t) => t.runNow(connector.id, "permissions"))
      yield* until(() => log.includes("snapshot 2 start"))
      entries = [{ id: "e1", ts: Date.now(), actor: "admin", asset: "acme/api", action: "repo.remove_member" }]
      yield* until(() => log.includes("refresh start"))
      expect(log).toEqual(["snapshot 1 start", "snapshot 1 end", "snapshot 2 start", "snapshot 2 end", "refresh start"])
      const sink = yield* MemorySink
      yield* Effect.repeat(sink.messages, {
        until: (all) => all.some((m) => m.topic === topics.changes("mockapp")),
        schedule: Schedule.spaced("20 millis")
      })
      const after = yield* sink.messages
      expect(after.filter((m) => m.topic === topics.changes("mockapp")).map((m) => JSON.parse(m.value!).kind)).toEqual(["grant_removed"])
      expect(after.filter((m) => m.value === null).map((m) => m.key)).toEqual(["mockapp:alice:acme/api:PUSH"])
      // operators see it on /metrics
      yield* Effect.repeat(metrics.exposition, {
        until: (e) => e.text.includes(`verity_refreshes_total{connector="gate",platform="mockapp",outcome="complete"} 1`),
        schedule: Schedule.spaced("20 millis").pipe(Schedule.upTo("5 seconds"))
      })
      expect((yield* metrics.exposition).text).toContain(`verity_refreshes_total{connector="gate",platform="mockapp",outcome="complete"} 1`)
    }).pipe(Effect.scoped, Effect.provide(Layer.merge(EventSink.memory, memoryStateStores))), 30_000)

  it.live("a refresh whose changes were recorded but not acknowledged publishes them, with the same change_id, before anything else next time", () =>
    Effect.gen(function*() {
      let present = true
      const grants = [{ principal: "alice", asset: "acme/api", privilege: "PUSH", mechanism: "direct" }]
      const base = makeScriptedConnector({ id: "outbox", platform: "mockapp", entries: [], grants })
      const connector: Connector = {
        ...base,
        refresh: {
          actions: new Map(),
          scopeOf: () => Option.none(),
          assetsOf: () => Effect.succeed([]),
          permissionsOf: () => present ? base.permissions : Stream.empty
        }
      }
      const options: PipelineOptions = { ...pipelineOptions, publishRetry: { times: 0, base: "1 millis", cap: "1 millis" } }
      // attempts 1 and 2: the baseline's records and its marker; attempt 3: the refresh's changes, refused
      yield* runPermissions(connector, options)
      present = false
      yield* Effect.sleep("5 millis") // the refresh starts after the baseline saw alice
      const first = yield* Effect.either(refreshAssets(connector, ["acme/api"], options))
      expect(first._tag).toBe("Left")
      const sink = yield* MemorySink
      expect((yield* sink.messages).filter((m) => m.topic === topics.changes("mockapp"))).toEqual([])
      // the next refresh sends the recorded change first (and finds nothing new itself)
      const second = yield* refreshAssets(connector, ["acme/api"], options)
      expect(second.diff).toMatchObject({ added: 0, removed: 0, changed: 0 })
      const out = (yield* sink.messages).filter((m) => m.topic !== topics.snapshots("mockapp") || m.value === null).slice(-2)
      expect(out.map((m) => m.value === null ? `tombstone ${m.key}` : `${JSON.parse(m.value).kind} ${m.key}`)).toEqual([
        "tombstone mockapp:alice:acme/api:PUSH",
        "grant_removed mockapp:alice:acme/api:PUSH"
      ])
      const change = JSON.parse(out[1]!.value!) as { change_id: string; after_snapshot_id: string }
      expect(change.after_snapshot_id).not.toBe(second.refreshId) // the first refresh's, kept across the failure
      expect(change.change_id).toBe(`outbox:${change.after_snapshot_id}:mockapp:alice:acme/api:PUSH`)
    }).pipe(Effect.provide(Layer.merge(EventSink.memoryFailing((attempt) => attempt === 3), memoryStateStores))))

  it.live("GitHub: a direct grant raised under an equal team grant changes only its mechanism, which REST cannot see; the next snapshot re-reads what the audit log queued before it, so it publishes the new mechanism, not the cached one", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 6, members: 10, teams: 3, outsideCollaborators: 0, basePermission: "read", events: 0, seed: 5 })
      const connector = yield* connectorFor(sim)
      const queue = yield* RefreshQueue
      const options: PipelineOptions = { ...pipelineOptions, refresh: { enabled: true, debounce: "10 millis" } }
      // the scheduler's permissions cycle where the connector can refresh
      const cycle = refreshBeforeSnapshot(connector, queue, options).pipe(Effect.zipRight(runPermissions(connector, options)))
      const lastSnapshot = Effect.map(publishedSnapshots, (all) => {
        const id = all[all.length - 1]!["snapshot_id"]
        return sortedKeys(all.filter((r) => r["snapshot_id"] === id).map((r) => ({
          principal_ref: r["principal_ref"],
          asset_ref: r["asset_ref"],
          privilege: r["privilege"],
          grant_mechanism: r["grant_mechanism"]
        })))
      })
      const g = yield* teamPushGrant(sim)
      const repo = g.asset_ref.split("/")[1]!
      yield* adminRequest(sim, "PUT", `/repos/${sim.org}/${repo}/collaborators/${g.principal_ref}`, { permission: "triage" })
      yield* runAudit(connector, options, undefined, queue)
      yield* cycle
      expect(yield* lastSnapshot).toEqual(sortedKeys(yield* sim.truthGrants))

      // raised to the team's level: REST's lists (effective permissions, all and direct) stay as they were
      yield* sim.resetStats
      yield* adminRequest(sim, "PUT", `/repos/${sim.org}/${repo}/collaborators/${g.principal_ref}`, { permission: "push" })
      const truth1 = yield* sim.truthGrants
      expect(truth1.filter((h) => h.principal_ref === g.principal_ref && h.asset_ref === g.asset_ref && h.privilege === "PUSH").map((h) => h.grant_mechanism)).toEqual(["direct"])
      yield* runAudit(connector, options, undefined, queue)
      expect((yield* queue.pending(connector.id)).map((r) => r.scope)).toEqual([AccessScope.Asset({ asset: g.asset_ref })])
      yield* cycle
      const log = yield* sim.requestLog
      expect(log.filter((e) => e.path.startsWith(`/repos/${sim.org}/${repo}/collaborators?`)).map((e) => e.status)).toEqual([304, 304, 304, 304])
      expect(yield* lastSnapshot).toEqual(sortedKeys(truth1))
      expect(yield* queue.pending(connector.id)).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(EventSink.memory, memoryStateStores, NodeHttpClient.layerUndici, limiterLayer()))), 60_000)

  it.live("GitHub, PostgreSQL, Kafka: a collaborator removed, a team member removed, the base permission lowered: exactly their changes and tombstones, without waiting for the snapshot; a refresh reads only the touched repositories", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 8, members: 12, teams: 3, outsideCollaborators: 2, basePermission: "read", events: 0, seed: 12 })
      const kafka = yield* startKafkaMock
      const db = yield* testDatabase
      const layers = kafkaAndSqlLayer(kafka.brokers, db)
      const connector = yield* connectorFor(sim)
      const changesTopic = topics.changes("github")
      const snapshotsTopic = topics.snapshots("github")
      const runsTopic = topics.runs("github")
      const watch = yield* watchTopics(kafka.brokers, [changesTopic, snapshotsTopic, runsTopic])
      const markers = (all: ReadonlyArray<WatchedMessage>) => all.filter((m) => m.topic === runsTopic)
      const changes = (all: ReadonlyArray<WatchedMessage>) => all.filter((m) => m.topic === changesTopic)
      const tombstones = (all: ReadonlyArray<WatchedMessage>) => all.filter((m) => m.tombstone).map((m) => m.key).sort()
      const options: PipelineOptions = { ...pipelineOptions, refresh: { enabled: true, debounce: "200 millis" } }
      yield* runScheduled([{ connector, schedule: { permissions: "1 hour", audit: "200 millis" } }], options).pipe(
        Effect.provide(layers),
        Effect.forkScoped
      )
      // the first snapshot is the baseline
      yield* watch.until((all) => markers(all).length === 1, 60_000, "the first snapshot")
      const truth0 = yield* sim.truthGrants

      // 1. a direct collaborator removed
      yield* sim.resetStats
      // an outside collaborator: all their access is direct, so it goes
      const direct = truth0.find((g) => g.grant_mechanism === "direct" && truth0.every((h) => h.principal_ref !== g.principal_ref || h.grant_mechanism === "direct"))!
      const repo = direct.asset_ref.split("/")[1]!
      const t0 = Date.now()
      yield* adminRequest(sim, "DELETE", `/repos/${sim.org}/${repo}/collaborators/${direct.principal_ref}`)
      const truth1 = yield* sim.truthGrants
      const expected1 = truthDiff(truth0, truth1)
      expect(removedKeys(expected1).length).toBeGreaterThan(0)
      let all = yield* watch.until((m) => changes(m).length >= expected1.length && tombstones(m).length >= removedKeys(expected1).length, 60_000, "the removal")
      const latency = Math.max(...changes(all).map((m) => m.arrivedAt)) - t0
      expect(readChanges(changes(all))).toEqual(expected1)
      expect(tombstones(all)).toEqual(removedKeys(expected1))
      expect(latency).toBeLessThan(30_000) // the next snapshot is an hour away
      expect(markers(all)).toHaveLength(1) // no snapshot ran
      // the refresh's budget: that repository's collaborators and one GraphQL query
      expect(reads(yield* sim.requestLog).sort()).toEqual([...collaboratorReads(sim.org, repo), "POST /graphql"].sort())

      // 2. a member taken off a team: the team's repositories are re-read, and only they
      const teams = yield* adminGet(sim, `/orgs/${sim.org}/teams`, Teams)
      let picked: { slug: string; login: string; repos: ReadonlyArray<string> } | undefined
      for (const { slug } of teams) {
        const repos = (yield* adminGet(sim, `/orgs/${sim.org}/teams/${slug}/repos`, Repositories)).map((r) => r.name)
        const members = yield* adminGet(sim, `/orgs/${sim.org}/teams/${slug}/members`, Members)
        const login = members.find((m) =>
          truth1.some((g) => g.principal_ref === m.login.toLowerCase() && g.grant_mechanism === "group" && repos.includes(g.asset_ref.split("/")[1]!))
        )?.login
        if (login !== undefined) {
          picked = { slug, login, repos }
          break
        }
      }
      expect(picked).toBeDefined()
      const before = changes(watch.messages).length
      const tombstonesBefore = tombstones(watch.messages).length
      yield* sim.resetStats
      yield* adminRequest(sim, "DELETE", `/orgs/${sim.org}/teams/${picked!.slug}/memberships/${picked!.login}`)
      const truth2 = yield* sim.truthGrants
      const expected2 = truthDiff(truth1, truth2)
      expect(expected2.length).toBeGreaterThan(0)
      all = yield* watch.until((m) => changes(m).length >= before + expected2.length && tombstones(m).length >= tombstonesBefore + removedKeys(expected2).length, 60_000, "the team change")
      expect(readChanges(changes(all).slice(before))).toEqual(expected2)
      expect(tombstones(all).length).toBe(tombstonesBefore + removedKeys(expected2).length)
      expect(markers(all)).toHaveLength(1)
      const teamReads = reads(yield* sim.requestLog)
      expect(teamReads.filter((r) => r === "POST /graphql")).toHaveLength(1)
      expect(teamReads.filter((r) => r !== "POST /graphql").sort()).toEqual([
        `GET /orgs/${sim.org}/teams/${picked!.slug}/repos`,
        ...picked!.repos.flatMap((name) => collaboratorReads(sim.org, name))
      ].sort())

      // 3. the base permission lowered: org-wide, so a full snapshot runs now
      const before3 = changes(watch.messages).length
      yield* adminRequest(sim, "PATCH", `/orgs/${sim.org}`, { default_repository_permission: "none" })
      const truth3 = yield* sim.truthGrants
      const expected3 = truthDiff(truth2, truth3)
      expect(expected3.length).toBeGreaterThan(0)
      all = yield* watch.until((m) => markers(m).length === 2 && changes(m).length >= before3 + expected3.length, 60_000, "the snapshot an org-wide change asks for")
      expect(readChanges(changes(all).slice(before3))).toEqual(expected3)
    }).pipe(Effect.scoped, Effect.provide(Layer.merge(NodeHttpClient.layerUndici, limiterLayer()))), 180_000)
})
