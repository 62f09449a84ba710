/**
 * Access over time against real parts: the GitHub simulator over HTTP (changed through its write API),
 * PostgreSQL, the Kafka mock cluster, and an independent consumer reading the topics back.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { ConnectorError } from "../../src/domain/Errors.js"
import { runPermissions } from "../../src/pipeline/Permissions.js"
import { topics } from "../../src/pipeline/Wire.js"
import type { Connector } from "../../src/sdk/Connector.js"
import { startGitHubSimulator } from "../../src/platforms/github/simulator/Server.js"
import { drainTopics } from "../../src/testkit/KafkaDrain.js"
import { startKafkaMock } from "../../src/testkit/KafkaMock.js"
import { testDatabase } from "../../src/testkit/Postgres.js"
import { adminGet, adminRequest, connectorFor, limiterLayer, Members, pipelineOptions, kafkaAndSqlLayer, Teams } from "../support/GitHub.js"
import { changeIds, readChanges, removedKeys, tombstonesOf, truthDiff } from "../support/GrantTruth.js"


/** The connector, failing after its first `n` snapshot records (a run that dies halfway). */
const failingAfter = (connector: Connector, n: number): Connector => ({
  ...connector,
  permissions: connector.permissions.pipe(
    Stream.take(n),
    Stream.concat(Stream.fail(new ConnectorError({ reason: "transport", platform: "github", message: "connection reset (injected)" })))
  )
})

describe("grant changes (GitHub simulator, PostgreSQL, Kafka)", () => {
  it.live("collaborator removed, team member removed, base permission lowered, grants added: exactly the truth's differences, with tombstones; a failed run removes nothing", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 6, members: 12, teams: 3, outsideCollaborators: 2, basePermission: "write", seed: 12 })
      const kafka = yield* startKafkaMock
      const db = yield* testDatabase
      const layers = kafkaAndSqlLayer(kafka.brokers, db)
      const connector = yield* connectorFor(sim)
      const changesTopic = topics.changes("github")
      const snapshotsTopic = topics.snapshots("github")
      const drain = drainTopics(kafka.brokers, [changesTopic, snapshotsTopic, topics.runs("github")]).pipe(Effect.orDie)
      const run = (c: Connector) => runPermissions(c, pipelineOptions).pipe(Effect.provide(layers))

      const truth0 = yield* sim.truthGrants
      const first = yield* run(connector)
      let read = yield* drain
      expect(read.filter((m) => m.topic === changesTopic)).toEqual([])
      expect(read.filter((m) => m.topic === topics.runs("github")).map((m) => JSON.parse(m.value))).toEqual([
        expect.objectContaining({ snapshot_id: first.runId, count: truth0.length, outcome: "complete" })
      ])

      // the org changes through GitHub's write API
      const direct = truth0.find((g) => g.grant_mechanism === "direct" && g.privilege === "PUSH")!
      const [, repo] = direct.asset_ref.split("/")
      yield* adminRequest(sim, "DELETE", `/repos/${sim.org}/${repo}/collaborators/${direct.principal_ref}`)
      const teams = yield* adminGet(sim, `/orgs/${sim.org}/teams`, Teams)
      const team = teams[0]!.slug
      const members = yield* adminGet(sim, `/orgs/${sim.org}/teams/${team}/members`, Members)
      yield* adminRequest(sim, "DELETE", `/orgs/${sim.org}/teams/${team}/memberships/${members[0]!.login}`)
      yield* adminRequest(sim, "PATCH", `/orgs/${sim.org}`, { default_repository_permission: "read" })
      const newcomer = truth0.find((g) => g.grant_mechanism === "role" && g.privilege === "PULL" && g.asset_ref !== direct.asset_ref)!
      yield* adminRequest(sim, "PUT", `/repos/${sim.org}/${repo}/collaborators/${newcomer.principal_ref}`, { permission: "maintain" })
      const truth1 = yield* sim.truthGrants
      const expected1 = truthDiff(truth0, truth1)
      // each write left its mark
      expect(expected1.some((d) => d.includes(`|github:${direct.principal_ref}:${direct.asset_ref}:PUSH|direct->`))).toBe(true)
      expect(expected1.some((d) => d.startsWith("grant_removed|") && d.endsWith("|role->"))).toBe(true) // base write -> read
      expect(expected1.some((d) => d.startsWith("grant_added|") && d.includes(`:${newcomer.principal_ref}:`))).toBe(true)

      const second = yield* run(connector)
      read = yield* drain
      const changes1 = read.filter((m) => m.topic === changesTopic)
      expect(readChanges(changes1, second.runId)).toEqual(expected1)
      expect(changeIds(changes1).size).toBe(expected1.length) // nothing else
      expect(tombstonesOf(read.filter((m) => m.topic === snapshotsTopic), second.runId)).toEqual(removedKeys(expected1))
      expect(read.filter((m) => m.tombstone)).toHaveLength(removedKeys(expected1).length)
      for (const m of changes1) expect(JSON.parse(m.value)).toMatchObject({ before_snapshot_id: first.runId, after_snapshot_id: second.runId })

      // another collaborator goes; the next run dies halfway: nothing is removed
      const other = truth1.find((g) => g.grant_mechanism === "direct" && g.principal_ref !== newcomer.principal_ref)!
      yield* adminRequest(sim, "DELETE", `/repos/${sim.org}/${other.asset_ref.split("/")[1]}/collaborators/${other.principal_ref}`)
      const truth2 = yield* sim.truthGrants
      const failed = yield* Effect.either(run(failingAfter(connector, Math.floor(truth2.length / 2))))
      expect(failed._tag).toBe("Left")
      read = yield* drain
      expect(changeIds(read.filter((m) => m.topic === changesTopic)).size).toBe(expected1.length)
      expect(read.filter((m) => m.tombstone)).toHaveLength(removedKeys(expected1).length)
      expect(read.filter((m) => m.topic === topics.runs("github"))).toHaveLength(2)

      // the next complete run does remove it
      const third = yield* run(connector)
      read = yield* drain
      const expected2 = truthDiff(truth1, truth2)
      expect(expected2.length).toBeGreaterThan(0)
      const changes2 = read.filter((m) => m.topic === changesTopic)
      expect(readChanges(changes2, third.runId)).toEqual(expected2)
      expect(changeIds(changes2).size).toBe(expected1.length + expected2.length)
      expect(tombstonesOf(read.filter((m) => m.topic === snapshotsTopic), third.runId)).toEqual(removedKeys(expected2))
    }).pipe(Effect.scoped, Effect.provide(Layer.merge(NodeHttpClient.layerUndici, limiterLayer()))), 240_000)

  it.live("a direct grant added at the level a team already gives: the next full snapshot (no refresh) reports grant_changed group -> direct", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 6, members: 12, teams: 3, basePermission: "read", seed: 12 })
      const kafka = yield* startKafkaMock
      const db = yield* testDatabase
      const layers = kafkaAndSqlLayer(kafka.brokers, db)
      const connector = yield* connectorFor(sim)
      const changesTopic = topics.changes("github")
      const drain = drainTopics(kafka.brokers, [changesTopic]).pipe(Effect.orDie)
      const run = () => runPermissions(connector, pipelineOptions).pipe(Effect.provide(layers))

      const truth0 = yield* sim.truthGrants
      yield* run()
      expect(yield* drain).toEqual([])

      // a team's strongest grant to a user on a repository where they have no direct grant, given again directly
      const pair = (g: { principal_ref: string; asset_ref: string }) => `${g.principal_ref}|${g.asset_ref}`
      const withDirect = new Set(truth0.filter((g) => g.grant_mechanism === "direct").map(pair))
      const order = ["PULL", "TRIAGE", "PUSH", "MAINTAIN", "ADMIN"]
      const group = truth0.filter((g) => g.grant_mechanism === "group" && !withDirect.has(pair(g)))
        .sort((a, b) => order.indexOf(b.privilege) - order.indexOf(a.privilege))[0]!
      const [, repo] = group.asset_ref.split("/")
      yield* adminRequest(sim, "PUT", `/repos/${sim.org}/${repo}/collaborators/${group.principal_ref}`, { permission: group.privilege.toLowerCase() })
      const truth1 = yield* sim.truthGrants
      const expected = truthDiff(truth0, truth1)
      // the effective permission, and so the full collaborator list, is unchanged: only mechanisms moved
      expect(expected.length).toBeGreaterThan(0)
      expect(expected.every((d) => d.startsWith("grant_changed|") && d.endsWith("|group->direct"))).toBe(true)

      yield* sim.resetStats
      const second = yield* run()
      expect(readChanges(yield* drain, second.runId)).toEqual(expected)
      // GraphQL was asked for that repository alone
      expect((yield* sim.stats).budgetByResource["graphql"]).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(Layer.merge(NodeHttpClient.layerUndici, limiterLayer()))), 120_000)
})
