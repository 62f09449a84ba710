import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Schema, Stream } from "effect"
import { startGitHubSimulator } from "../../../../src/platforms/github/simulator/Server.js"
import type { GitHubSimulator, TruthGrant } from "../../../../src/platforms/github/simulator/Types.js"
import type { GitHubConnector, GitHubConnectorOptions } from "../../../../src/platforms/github/Connector.js"
import { MemorySink } from "../../../../src/services/EventSink.js"
import { runPermissions } from "../../../../src/pipeline/Pipeline.js"
import { adminGet, adminRequest, captureLogs, connectorFor, fastOptions, pipelineOptions, publishedDeadLetters, publishedSnapshots, Members, Repositories, roomyRestPoints, runtimeLayer, sortedKeys, Teams } from "../../../support/GitHub.js"

/**
 * `user|repo` pairs where a direct grant is weaker than a team or org grant of the same user: REST sees
 * only the effective level, so it cannot tell where the direct grant's privileges end.
 */
const hiddenDirect = (truth: ReadonlyArray<TruthGrant>): ReadonlySet<string> => {
  const mechanisms = new Map<string, Set<string>>()
  for (const g of truth) {
    const key = `${g.principal_ref}|${g.asset_ref}`
    mechanisms.set(key, (mechanisms.get(key) ?? new Set()).add(g.grant_mechanism))
  }
  return new Set([...mechanisms].filter(([, m]) => m.has("direct") && m.size > 1).map(([k]) => k))
}

/** An org whose simulator enforces these per-endpoint limits, and a connector paced to them. */
const limitedOrg = (
  org: { readonly repos: number; readonly members: number; readonly teams: number; readonly outsideCollaborators: number; readonly seed: number },
  limits: { readonly restPointsPerEndpoint: number; readonly windowSeconds: number },
  options: GitHubConnectorOptions
) =>
  Effect.gen(function*() {
    const sim = yield* startGitHubSimulator({ ...org, events: 0, secondaryLimits: limits })
    const connector = yield* connectorFor(sim, { restPointsPerMinute: limits.restPointsPerEndpoint }, { ...fastOptions, ...options })
    return { sim, connector }
  })

/** Rate limits raised on both sides (these tests are about batching, not pacing), 10 repositories a query: 30 ask 3. */
const batchingOrg = (org: Parameters<typeof limitedOrg>[0]) =>
  limitedOrg(org, { restPointsPerEndpoint: 20_000, windowSeconds: 60 }, { permissions: { graphqlBatch: 10 } })

/** The repositories as the last pull listed them, in its order. */
const listedRepos = (connector: GitHubConnector) => [...connector.state.repoPages.values()].flatMap((page) => page.value)

/** The next pull, alone: the simulator's log of it, its GraphQL queries, and the snapshots it published. */
const pullAgain = (sim: GitHubSimulator, connector: GitHubConnector) =>
  Effect.gen(function*() {
    yield* sim.resetStats
    yield* (yield* MemorySink).clear
    yield* runPermissions(connector, pipelineOptions)
    const log = yield* sim.requestLog
    return { log, graphqlQueries: log.filter((e) => e.resource === "graphql").length, snapshots: sortedKeys((yield* publishedSnapshots) as never) }
  })

/** The org's teams, and the repositories any of them reaches. */
const reachedByTeams = (sim: GitHubSimulator) =>
  Effect.gen(function*() {
    const teams = yield* adminGet(sim, `/orgs/${sim.org}/teams?per_page=100`, Teams)
    const repos = yield* Effect.forEach(teams, (t) => adminGet(sim, `/orgs/${sim.org}/teams/${t.slug}/repos?per_page=100`, Repositories))
    return { teams, reached: new Set(repos.flat().map((r) => r.name)) }
  })

// each test has a simulator of its own and mostly waits on its rate windows and retries: run them side by side
describe.concurrent("GitHub permissions against the simulator", () => {
  it.live("snapshots equal the simulator's truth; a second pull of the unchanged org is nearly free; a change shows up", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({
        repos: 64, members: 50, teams: 8, outsideCollaborators: 8, seed: 7, secondaryLimits: { restPointsPerEndpoint: roomyRestPoints }
      })
      const truth = yield* sim.truthGrants
      const connector = yield* connectorFor(sim, { pageSize: 30, restPointsPerMinute: roomyRestPoints })

      const first = yield* runPermissions(connector, pipelineOptions)
      const snapshots = yield* publishedSnapshots
      expect(first.deadLettered).toBe(0)
      expect(sortedKeys(snapshots as never)).toEqual(sortedKeys(truth))
      // every mechanism shows up, and logins were lower-cased (GitHub logins are case-insensitive)
      expect(new Set(truth.map((g) => g.grant_mechanism))).toEqual(new Set(["direct", "group", "role"]))
      expect(snapshots.every((s) => s["principal_ref"] === String(s["principal_ref"]).toLowerCase())).toBe(true)
      expect(snapshots.every((s) => typeof s["snapshot_at"] === "string")).toBe(true)
      const firstStats = yield* sim.stats
      expect(firstStats.budgetSpent).toBeGreaterThan(64)
      expect(firstStats.budgetByResource["graphql"]).toBeLessThanOrEqual(2)

      // second pull of the unchanged org: ETags answer 304, nothing is asked of GraphQL
      yield* sim.resetStats
      const sink = yield* MemorySink
      yield* sink.clear
      yield* runPermissions(connector, pipelineOptions)
      const second = yield* sim.stats
      expect(second.notModified).toBeGreaterThan(60)
      expect(second.budgetSpent).toBeLessThanOrEqual(firstStats.budgetSpent * 0.1)
      expect(sortedKeys((yield* publishedSnapshots) as never)).toEqual(sortedKeys(truth))

      // a new direct grant (through the API) is seen by the next pull
      yield* connector.client.write("PUT", `/repos/${sim.org}/backend/collaborators/ext-newcomer`, { permission: "triage" }, "add collaborator")
      // an outside collaborator's access starts when they accept the invitation, as on GitHub
      expect((yield* sim.truthGrants).length).toBe(truth.length)
      for (const invitation of yield* sim.pendingInvitations) yield* sim.acceptInvitation(invitation.id)
      const changedTruth = yield* sim.truthGrants
      expect(changedTruth.length).toBe(truth.length + 2)
      yield* sink.clear
      yield* sim.resetStats
      yield* runPermissions(connector, pipelineOptions)
      const third = yield* publishedSnapshots
      expect(sortedKeys(third as never)).toEqual(sortedKeys(changedTruth))
      expect(third.filter((s) => s["principal_ref"] === "ext-newcomer").map((s) => `${s["privilege"]}:${s["grant_mechanism"]}`).sort())
        .toEqual(["PULL:direct", "TRIAGE:direct"])
      // only the lists that changed and GraphQL (at most 3 before each repository's direct list joined its
      // signature; a changed repository now reads that list too)
      expect((yield* sim.stats).budgetSpent).toBeLessThanOrEqual(5)
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())))

  it.live("a wrong token reads as a scopes message, and the token never reaches a log line or an error", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 3, members: 4, teams: 1, events: 5 })
      const secret = "ghp_wrong_token_SECRET_123"
      const connector = yield* connectorFor(sim, { token: secret })
      const error = yield* runPermissions(connector, pipelineOptions).pipe(Effect.flip)
      expect(error.message).toBe(
        "GitHub rejected the token (HTTP 401 Bad credentials). It needs the scopes read:org, read:audit_log and repo (for private repositories)."
      )
      const auditError = yield* connector.auditEvents(Option.none()).pipe(Stream.runDrain, Effect.flip)
      expect(auditError.message).toContain("401")
      const everything = [...logs.lines, error.message, JSON.stringify(error), auditError.message, JSON.stringify(auditError)].join("\n")
      expect(logs.lines.length).toBeGreaterThan(0)
      expect(everything).not.toContain(secret)
      expect(everything).not.toContain(sim.token)
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer()), Effect.provide(logs.layer))
  })

  it.live("an unknown org is named in the error", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 2, members: 3, teams: 1 })
      const connector = yield* connectorFor(sim, { org: "no-such-org" })
      const error = yield* runPermissions(connector, pipelineOptions).pipe(Effect.flip)
      expect(error.message).toContain(`"no-such-org"`)
      expect(error.message).toContain("not found")
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())))

  it.live("a GraphQL partial error: only the repositories it names are asked again, and the snapshots still equal the truth", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 12, members: 10, teams: 2, seed: 17, graphqlPartialErrors: { repos: ["backend"], times: 2 } })
      yield* runPermissions(yield* connectorFor(sim), pipelineOptions)
      expect(sortedKeys((yield* publishedSnapshots) as never)).toEqual(sortedKeys(yield* sim.truthGrants))
      // one query for the 12, then two for backend alone
      expect((yield* sim.requestLog).filter((e) => e.resource === "graphql").length).toBe(3)
      const retries = logs.lines.filter((l) => l.includes("GraphQL could not answer for"))
      expect(retries.length).toBe(2)
      expect(retries.every((l) => l.includes("could not answer for acme-corp/backend; asking again"))).toBe(true)
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer()), Effect.provide(logs.layer))
  })

  it.live("a repository GraphQL never resolves falls back to REST after the retries, for that repository alone", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 6, members: 12, teams: 3, outsideCollaborators: 3, seed: 17, graphqlPartialErrors: { repos: ["backend"], times: 99 } })
      const truth = yield* sim.truthGrants
      const connector = yield* connectorFor(sim)
      const result = yield* runPermissions(connector, pipelineOptions)
      expect(result.deadLettered).toBe(0)
      const published = (yield* publishedSnapshots) as unknown as ReadonlyArray<TruthGrant>
      // exact wherever REST can tell: on backend, all but a direct grant hidden under a stronger team or org
      // grant, whose privileges are all kept, read as direct (REST cannot see a direct grant's own level)
      const hidden = new Set([...hiddenDirect(truth)].filter((k) => k.endsWith(`|${sim.org}/backend`)))
      expect(hidden.size).toBeGreaterThan(0)
      const exact = (gs: ReadonlyArray<TruthGrant>) => gs.filter((g) => !hidden.has(`${g.principal_ref}|${g.asset_ref}`))
      expect(sortedKeys(exact(published))).toEqual(sortedKeys(exact(truth)))
      const privileges = (gs: ReadonlyArray<TruthGrant>) => gs.filter((g) => hidden.has(`${g.principal_ref}|${g.asset_ref}`)).map((g) => `${g.principal_ref}|${g.asset_ref}|${g.privilege}`).sort()
      expect(privileges(published)).toEqual(privileges(truth))
      expect(published.filter((g) => hidden.has(`${g.principal_ref}|${g.asset_ref}`)).every((g) => g.grant_mechanism === "direct")).toBe(true)
      // backend's grants come by every mechanism, and REST told them apart
      const backend = exact(truth).filter((g) => g.asset_ref === `${sim.org}/backend`)
      expect(new Set(backend.map((g) => g.grant_mechanism))).toEqual(new Set(["direct", "group", "role"]))
      const log = yield* sim.requestLog
      // one query for the six, three more for backend, then REST's direct collaborators of backend only
      // (besides the one conditional read of each repository's direct list, part of its signature)
      expect(log.filter((e) => e.resource === "graphql").length).toBe(4)
      const directReads = (l: ReadonlyArray<{ readonly path: string }>) => {
        const counts = new Map<string, number>()
        for (const e of l) if (e.path.includes("affiliation=direct")) counts.set(e.path.split("/")[3]!, (counts.get(e.path.split("/")[3]!) ?? 0) + 1)
        return counts
      }
      const reads = directReads(log)
      expect(reads.size).toBe(6)
      expect([...reads].filter(([, n]) => n > 1)).toEqual([["backend", 2]])
      expect(logs.lines.filter((l) => l.includes("still could not answer for acme-corp/backend after 3 retries")).length).toBe(1)
      // REST's stand-in is not kept: the next pull of the unchanged org asks GraphQL again, for backend alone
      yield* sim.resetStats
      yield* (yield* MemorySink).clear
      yield* runPermissions(connector, pipelineOptions)
      expect(sortedKeys((yield* publishedSnapshots) as never)).toEqual(sortedKeys(published))
      const again = yield* sim.requestLog
      expect(again.filter((e) => e.resource === "graphql").length).toBe(4)
      expect([...directReads(again)].filter(([, n]) => n > 1)).toEqual([["backend", 2]])
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer()), Effect.provide(logs.layer))
  })

  it.live("a null permissionSources (nullable in GitHub's schema) falls back to REST's sources: team, org and direct grants keep their mechanism", () =>
    Effect.gen(function*() {
      const options = { repos: 10, members: 12, teams: 3, outsideCollaborators: 4, seed: 23 }
      const truth = yield* (yield* startGitHubSimulator(options)).truthGrants
      // logins REST can place exactly: on no repository does a direct grant hide under a stronger team or
      // org grant (REST cannot see a direct grant's own level; README "Exact grant mechanisms")
      const hidden = new Set([...hiddenDirect(truth)].map((k) => k.split("|")[0]))
      const logins = [...new Set(truth.map((g) => g.principal_ref))].filter((l) => !hidden.has(l))
      const theirs = truth.filter((g) => logins.includes(g.principal_ref))
      expect(new Set(theirs.map((g) => g.grant_mechanism))).toEqual(new Set(["direct", "group", "role"]))

      const sim = yield* startGitHubSimulator({ ...options, nullPermissionSources: logins })
      const result = yield* runPermissions(yield* connectorFor(sim), pipelineOptions)
      expect(result.deadLettered).toBe(0)
      expect(yield* publishedDeadLetters).toEqual([])
      expect(sortedKeys((yield* publishedSnapshots) as never)).toEqual(sortedKeys(yield* sim.truthGrants))
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())))

  it.live("collaborator reads slowed by the per-endpoint limit: a pull of 100 repositories still asks GraphQL exactly once", () =>
    Effect.gen(function*() {
      // 40 points per 2 s on each REST endpoint: about 17 collaborator reads a second, so the 200 lists
      // take about 12 s, more than the 10 s a batch used to wait before it left partly full
      const limits = { restPointsPerEndpoint: 40, windowSeconds: 2 }
      const { sim, connector } = yield* limitedOrg({ repos: 100, members: 30, teams: 4, outsideCollaborators: 5, seed: 11 }, limits, {
        pacingWindow: `${limits.windowSeconds} seconds`
      })
      const started = Date.now()
      const result = yield* runPermissions(connector, pipelineOptions)
      const log = yield* sim.requestLog
      expect(result.deadLettered).toBe(0)
      expect(sortedKeys((yield* publishedSnapshots) as never)).toEqual(sortedKeys(yield* sim.truthGrants))
      expect((yield* sim.stats).secondaryLimitedResponses).toBe(0)
      const collaboratorReads = log.filter((e) => /^\/repos\/[^/]+\/[^/]+\/collaborators/.test(e.path)).length
      expect(collaboratorReads).toBe(200)
      // the pacing, not a timer, set the pace: the reads outlasted the old 10 s batch window
      expect(Date.now() - started).toBeGreaterThan(10_000)
      // no list has over 100 collaborators, so no follow-up query: ceil(100 / 100) = 1
      expect(log.filter((e) => e.resource === "graphql").length).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())), 90_000)

  it.live("changed repositories far apart in the listing share one GraphQL query; unchanged ones ask none", () =>
    Effect.gen(function*() {
      const { sim, connector } = yield* batchingOrg({ repos: 30, members: 20, teams: 3, outsideCollaborators: 6, seed: 29 })
      yield* runPermissions(connector, pipelineOptions)
      expect((yield* sim.requestLog).filter((e) => e.resource === "graphql").length).toBe(3)
      // the listing's order, as the pull read it: the first and the last repository, 29 apart
      const names = listedRepos(connector)
      expect(names.length).toBe(30)
      const changed = [names[0]!, names[29]!]
      // an org member (not an owner) made a direct admin of both: no org-wide input moves
      const members = yield* adminGet(sim, `/orgs/${sim.org}/members?per_page=100`, Members)
      const owners = new Set((yield* adminGet(sim, `/orgs/${sim.org}/members?role=admin&per_page=100`, Members)).map((m) => m.login))
      const member = members.map((m) => m.login).find((l) => !owners.has(l))!
      const before = yield* sim.truthGrants
      for (const repo of changed) {
        yield* connector.client.write("PUT", `/repos/${sim.org}/${repo}/collaborators/${member}`, { permission: "admin" }, "add collaborator")
      }
      const truth = yield* sim.truthGrants
      const grantsOf = (gs: ReadonlyArray<TruthGrant>, repo: string) => sortedKeys(gs.filter((g) => g.principal_ref === member.toLowerCase() && g.asset_ref === `${sim.org}/${repo}`))
      for (const repo of changed) expect(grantsOf(truth, repo)).not.toEqual(grantsOf(before, repo))
      const next = yield* pullAgain(sim, connector)
      expect(next.snapshots).toEqual(sortedKeys(truth))
      expect(next.graphqlQueries).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())), 60_000)

  it.live("a new outside collaborator moves the org's answer (its collaborators counter) but not its base permission: only that repository is asked of GraphQL; a new base permission asks for every one", () =>
    Effect.gen(function*() {
      const { sim, connector } = yield* batchingOrg({ repos: 30, members: 20, teams: 3, outsideCollaborators: 6, seed: 31 })
      yield* runPermissions(connector, pipelineOptions)
      const repo = listedRepos(connector)[17]!
      yield* connector.client.write("PUT", `/repos/${sim.org}/${repo}/collaborators/ext-newcomer`, { permission: "push" }, "add collaborator")
      for (const invitation of yield* sim.pendingInvitations) yield* sim.acceptInvitation(invitation.id)
      const truth = yield* sim.truthGrants
      const next = yield* pullAgain(sim, connector)
      // the org's answer did change (GitHub's counters moved), so the read was a 200, not a 304
      expect(next.log.filter((e) => e.path === `/orgs/${sim.org}`).map((e) => e.status)).toEqual([200])
      expect(next.graphqlQueries).toBe(1)
      expect(next.snapshots).toEqual(sortedKeys(truth))

      // the base permission is an org-wide input: every repository is asked again (3 queries of 10)
      yield* adminRequest(sim, "PATCH", `/orgs/${sim.org}`, { default_repository_permission: "write" })
      const rebased = yield* sim.truthGrants
      const after = yield* pullAgain(sim, connector)
      expect(after.graphqlQueries).toBe(3)
      expect(after.snapshots).toEqual(sortedKeys(rebased))
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())), 60_000)

  it.live("a push moves a team's repository list (its pushed_at) but no one's access: the next pull asks GraphQL nothing", () =>
    Effect.gen(function*() {
      const { sim, connector } = yield* batchingOrg({ repos: 30, members: 20, teams: 3, outsideCollaborators: 2, seed: 41 })
      yield* runPermissions(connector, pipelineOptions)
      const { reached } = yield* reachedByTeams(sim)
      expect(reached.size).toBeGreaterThan(0)
      for (const repo of reached) expect(yield* sim.push(repo)).toBe(true)
      const next = yield* pullAgain(sim, connector)
      // the teams' lists did change (GitHub's answer moved), so they were 200s, not 304s
      expect(next.log.filter((e) => /^\/orgs\/[^/]+\/teams\/[^/]+\/repos/.test(e.path)).some((e) => e.status === 200)).toBe(true)
      expect(next.graphqlQueries).toBe(0)
      expect(next.snapshots).toEqual(sortedKeys(yield* sim.truthGrants))
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())), 60_000)

  it.live("a pull cut short after it saw an org-wide change (a takeover, a crash) leaves the next pull owing every repository: a team's mechanism-only grant is not lost", () =>
    Effect.gen(function*() {
      const { sim, connector } = yield* batchingOrg({ repos: 30, members: 20, teams: 3, outsideCollaborators: 0, seed: 37 })
      // every member reads every repository through the base permission (mechanism: role)
      yield* adminRequest(sim, "PATCH", `/orgs/${sim.org}`, { default_repository_permission: "read" })
      yield* runPermissions(connector, pipelineOptions)
      const names = listedRepos(connector)
      // a repository late in the listing that no team reaches yet
      const { reached, teams } = yield* reachedByTeams(sim)
      const repo = names.slice(20).reverse().find((n) => !reached.has(n))
      const slug = teams[0]!.slug
      const lists = (name: string) =>
        Effect.all([`all`, `direct`].map((a) => adminGet(sim, `/repos/${sim.org}/${name}/collaborators?affiliation=${a}&per_page=100`, Schema.Array(Schema.Unknown))))
      const before = yield* lists(repo!)
      const groupOn = (gs: ReadonlyArray<TruthGrant>) => gs.filter((g) => g.asset_ref === `${sim.org}/${repo!}` && g.grant_mechanism === "group")
      expect(groupOn(yield* sim.truthGrants)).toEqual([])
      // the team's read there moves its members' read from the base permission to the team: no list moves
      yield* adminRequest(sim, "PUT", `/orgs/${sim.org}/teams/${slug}/repos/${sim.org}/${repo!}`, { permission: "pull" })
      expect(yield* lists(repo!)).toEqual(before)
      const truth = yield* sim.truthGrants
      expect(groupOn(truth).length).toBeGreaterThan(0)

      // a pull that sees the team's change and stops after its first record, before it reaches the repository
      yield* sim.resetStats
      yield* connector.permissions.pipe(Stream.take(1), Stream.runDrain)
      // it asked GraphQL for the first 10 repositories only
      expect((yield* sim.requestLog).filter((e) => e.resource === "graphql").length).toBe(1)
      expect(names.indexOf(repo!)).toBeGreaterThanOrEqual(20)
      const next = yield* pullAgain(sim, connector)
      // every team list answers 304 now, and still every repository is asked again (3 queries of 10)
      expect(next.graphqlQueries).toBe(3)
      expect(next.snapshots).toEqual(sortedKeys(truth))
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())), 60_000)
})
