import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { startGitHubSimulator } from "../../../../src/platforms/github/simulator/Server.js"
import type { GitHubSimulator, TruthGrant } from "../../../../src/platforms/github/simulator/Types.js"
import { runPermissions } from "../../../../src/pipeline/Pipeline.js"
import { EventSink, MemorySink } from "../../../../src/services/EventSink.js"
import { memoryStateStores } from "../../../../src/services/StateStores.js"
import {
  adminRequest,
  captureLogs,
  connectorFor,
  limiterLayer,
  pipelineOptions,
  publishedDeadLetters,
  publishedSnapshots,
  sortedKeys
} from "../../../support/GitHub.js"
import { type ClientHooks, hookedHttpClient } from "../../../support/GitHubHooks.js"

const levels: Record<string, number> = { ADMIN: 5, MAINTAIN: 4, PUSH: 3, TRIAGE: 2, PULL: 1 }

/**
 * Direct grants of outside collaborators (no team, no org role: only the direct grant gives them access),
 * each with its level: changing one changes what both REST and GraphQL say of that collaborator.
 */
const outsideGrants = (truth: ReadonlyArray<TruthGrant>) => {
  const top = new Map<string, number>()
  for (const g of truth) {
    if (!g.principal_ref.startsWith("ext-") || g.grant_mechanism !== "direct") continue
    const key = `${g.principal_ref}|${g.asset_ref.split("/")[1]}`
    top.set(key, Math.max(top.get(key) ?? 0, levels[g.privilege] ?? 0))
  }
  return [...top].map(([key, level]) => ({ login: key.split("|")[0]!, repo: key.split("|")[1]!, level })).sort((a, b) => (a.repo + a.login).localeCompare(b.repo + b.login))
}

/** A collaborator with no login: a malformed item, on `repo`'s REST collaborator list. */
const malformedOn = (sim: GitHubSimulator, repo: string): ClientHooks["editJson"] => (url) =>
  url.pathname === `/repos/${sim.org}/${repo}/collaborators` && url.searchParams.get("affiliation") === "all"
    ? (body) => Array.isArray(body) ? [...body, { login: "", permissions: { pull: true } }] : body
    : undefined

/** The snapshot records published (a tombstone, for a grant gone since the last pull, has no value). */
const snapshotKeys = Effect.map(publishedSnapshots, (records) => sortedKeys(records.filter((r) => r !== null) as never))

const layerWith = (hooks: ClientHooks) => Layer.mergeAll(hookedHttpClient(hooks), limiterLayer(), EventSink.memory, memoryStateStores)

/**
 * Changes made before the GraphQL requests `changeBefore` names (1-based), so between REST's and GraphQL's
 * reads of the org: before the first, one outside collaborator is removed and another lowered to triage;
 * before any later one, that one is lowered again, to pull.
 */
const changingOrg = (changeBefore: ReadonlySet<number>) =>
  Effect.gen(function*() {
    const logs = captureLogs()
    const sim = yield* startGitHubSimulator({ repos: 6, members: 12, teams: 3, outsideCollaborators: 4, seed: 17 })
    const grants = outsideGrants(yield* sim.truthGrants)
    const removed = grants[0]!
    const lowered = grants.find((g) => g.level >= 3 && g.repo !== removed.repo)!
    expect(lowered).toBeDefined()
    const clean = (yield* sim.truthGrants).map((g) => g.asset_ref.split("/")[1]!).find((r) => r !== removed.repo && r !== lowered.repo)!
    const collaborator = (g: { readonly repo: string; readonly login: string }) => `/repos/${sim.org}/${g.repo}/collaborators/${g.login}`
    const beforeGraphQL = (n: number) =>
      !changeBefore.has(n)
        ? Effect.void
        : n === Math.min(...changeBefore)
        ? Effect.zipRight(adminRequest(sim, "DELETE", collaborator(removed)), adminRequest(sim, "PUT", collaborator(lowered), { permission: "triage" }))
        : adminRequest(sim, "PUT", collaborator(lowered), { permission: "pull" })
    return yield* Effect.gen(function*() {
      const connector = yield* connectorFor(sim)
      const before = yield* sim.truthGrants
      const first = yield* runPermissions(connector, pipelineOptions)
      const truth = yield* sim.truthGrants
      expect(sortedKeys(truth)).not.toEqual(sortedKeys(before))
      const firstSnapshots = yield* snapshotKeys
      const firstDeadLetters = yield* publishedDeadLetters
      // the next pull, of an org that no longer changes
      yield* (yield* MemorySink).clear
      const second = yield* runPermissions(connector, pipelineOptions)
      return {
        sim,
        clean,
        lowered,
        truth: sortedKeys(truth),
        first: { result: first, snapshots: firstSnapshots, deadLetters: firstDeadLetters },
        second: { result: second, snapshots: yield* snapshotKeys, deadLetters: yield* publishedDeadLetters },
        logs: logs.lines
      }
    }).pipe(Effect.provide(layerWith({ beforeGraphQL, editJson: malformedOn(sim, clean) })), Effect.provide(logs.layer))
  })

describe("GitHub permissions while the org changes", () => {
  it.live("access changed between the REST and the GraphQL read: nothing valid is dead-lettered, the repository is read again", () =>
    Effect.gen(function*() {
      const { first, second, truth, logs, clean, sim } = yield* changingOrg(new Set([1]))
      // the malformed collaborator is the only dead letter, on each pull
      for (const pull of [first, second]) {
        expect(pull.result.deadLettered).toBe(1)
        expect(pull.deadLetters.length).toBe(1)
        expect(JSON.stringify(pull.deadLetters[0])).toContain("collaborator")
      }
      // the re-read was consistent: the first pull already equals the truth after the change
      expect(first.snapshots).toEqual(truth)
      expect(second.snapshots).toEqual(truth)
      expect(logs.some((l) => l.includes("access changed while") && l.includes("reading again"))).toBe(true)
      expect(logs.some((l) => l.includes(`${sim.org}/${clean}`) && l.includes("access changed while"))).toBe(false)
    }).pipe(Effect.scoped))

  it.live("access still changing at the re-read: REST's sources stand in, nothing valid is dead-lettered, the next pull converges", () =>
    Effect.gen(function*() {
      const { first, second, truth, logs, lowered, sim } = yield* changingOrg(new Set([1, 2]))
      for (const pull of [first, second]) {
        expect(pull.result.deadLettered).toBe(1)
        expect(JSON.stringify(pull.deadLetters)).toContain("collaborator")
        expect(JSON.stringify(pull.deadLetters)).not.toContain("permission source")
      }
      expect(logs.some((l) => l.includes("access changed while") && l.includes(`${sim.org}/${lowered.repo}`))).toBe(true)
      // the first pull gave the lowered collaborator what REST said at the re-read (triage, directly)...
      const of = (keys: ReadonlyArray<string>) => keys.filter((k) => k.startsWith(`${lowered.login}|${sim.org}/${lowered.repo}|`))
      expect(of(first.snapshots)).toEqual([`${lowered.login}|${sim.org}/${lowered.repo}|PULL|direct`, `${lowered.login}|${sim.org}/${lowered.repo}|TRIAGE|direct`])
      // ...and the next pull, of an org that no longer changes, equals the truth
      expect(of(second.snapshots)).toEqual([`${lowered.login}|${sim.org}/${lowered.repo}|PULL|direct`])
      expect(second.snapshots).toEqual(truth)
    }).pipe(Effect.scoped))
})
