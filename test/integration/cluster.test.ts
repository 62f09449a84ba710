/**
 * Several runners (issue 14): three `run` processes share six connectors (three GitHub orgs in the
 * simulator's live mode: audit events and access changes keep coming; three MockApp connectors) through
 * one PostgreSQL and the Kafka mock cluster. One runner is SIGKILLed mid-run, later a second; then a new
 * one joins and takes a share; then one is frozen (SIGSTOP) until its streams run elsewhere, and thawed
 * (SIGCONT): it must publish and save nothing more of what it lost, and rejoin. Then the live changes
 * stop (the quiesce point) and the rest stop with SIGTERM.
 *
 * Checked: every connector reaches its truth at the quiesce point (every event on Kafka, read by an
 * independent consumer per connector header; each org's last permission snapshot equals its grants),
 * duplicates per stream at most one batch per kill or freeze of the runner holding it (none for a stream
 * no kill or freeze touched), the fence refused nothing but the thawed runner, the run records of one
 * stream never overlap, and takeover (kill or freeze -> the stream claimed by a living runner) stays
 * within the stated bound (BOUND_MS).
 */
import { writeFileSync } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { startGitHubSimulator } from "../../src/platforms/github/simulator/Server.js"
import { startMockAppSimulator } from "../../src/platforms/mockapp/simulator/Server.js"
import { headerNames, topics } from "../../src/pipeline/Wire.js"
import { drainTopics } from "../../src/testkit/KafkaDrain.js"
import { startKafkaMock } from "../../src/testkit/KafkaMock.js"
import { testDatabase } from "../../src/testkit/Postgres.js"
import { duplicatesOf, parseValue, type RunningProgram, startProgram, tempDir, waitUntil, writeConfig } from "../support/Program.js"

const BATCH = 200
const LOCK_EXPIRATION_S = 9
// the stated bound (ARCHITECTURE.md): lock expiration + 3 s for a runner killed or frozen
const BOUND_MS = (LOCK_EXPIRATION_S + 3) * 1000
const ORGS = ["org-a", "org-b", "org-c"] as const
const MOCKAPPS = ["mock-1", "mock-2", "mock-3"] as const
const STREAMS = ["audit", "permissions"] as const

interface Lock {
  readonly connector_id: string
  readonly stream: string
  readonly runner: string
  readonly claimed_at: Date
}

interface Run {
  readonly connector_id: string
  readonly stream: string
  readonly runner: string
  readonly started_at: Date
  readonly finished_at: Date | null
  readonly error: string | null
}

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)]!
}

describe("cluster: several runners", () => {
  it.live("3 runners, 6 connectors: two SIGKILLs and a joiner; nothing lost, duplicates bounded, no stream on two runners, takeover within the bound", () =>
    Effect.gen(function*() {
      const [kafka, db, mockapp, ...orgs] = yield* Effect.all([
        startKafkaMock,
        testDatabase,
        startMockAppSimulator({ seed: 14, users: 30 }),
        ...ORGS.map((org, i) =>
          startGitHubSimulator({
            org,
            seed: 1400 + i,
            events: 2000,
            repos: 4,
            members: 6,
            teams: 1,
            outsideCollaborators: 1,
            latencyMs: 2,
            live: { eventsPerSec: 16, changesPerMin: 40 }
          })
        )
      ], { concurrency: "unbounded" })
      const dir = tempDir("cluster")
      const config = writeConfig(dir, "cluster.json", {
        kafka: { brokers: kafka.brokers, sendTimeoutMs: 10_000, logLevel: "nothing" },
        postgres: { dsn: Redacted.value(db.dsn) },
        cluster: { lockExpiration: `${LOCK_EXPIRATION_S} seconds` },
        pipeline: { batchSize: BATCH, batchWindow: "100 millis", progressEvery: "30 seconds" },
        connectors: [
          ...orgs.map((sim, i) => ({
            id: `gh-${ORGS[i]}`,
            platform: "github",
            settings: { org: sim.org, token: sim.token, apiUrl: sim.url, pageSize: 100 },
            schedule: { audit: "1 second", permissions: "2 seconds" }
          })),
          ...MOCKAPPS.map((id) => ({
            id,
            platform: "mockapp",
            settings: { api_url: mockapp.url, token: mockapp.token },
            schedule: { audit: "1 second", permissions: "2 seconds" }
          }))
        ]
      })
      const connectorIds = [...orgs.map((_, i) => `gh-${ORGS[i]}`), ...MOCKAPPS]

      const runners: Array<RunningProgram> = []
      // every kill and freeze: who, when, which streams it held then
      const disruptions: Array<{ readonly kind: "SIGKILL" | "SIGSTOP"; readonly runner: string; readonly at: number; readonly held: ReadonlyArray<Lock> }> = []
      // the runner's name as its run records and claims give it (host:pid of the process that runs, which
      // may be a child the program re-launched with heap limits), from its "running" line
      const nameOf = (p: RunningProgram) => /message=running .*?runner=(\S+)/.exec(p.output().stderr)?.[1] ?? `${hostname()}:${p.pid}?`
      // each runner's log stays in the temporary directory for a post-mortem; phases are timed
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => runners.forEach((p, i) => writeFileSync(join(dir, `runner-${i + 1}-${nameOf(p).replace(/\W/g, "_")}.log`), p.output().stderr)))
      )
      const t0 = Date.now()
      const phase = (what: string) => Effect.sync(() => console.log(`+${((Date.now() - t0) / 1000).toFixed(1)} s ${what}`))
      const start = Effect.gen(function*() {
        const p = yield* startProgram(["run", "--config", config], { cwd: dir })
        runners.push(p)
        return p
      })
      const locks = db.query<Lock>("SELECT connector_id, stream, runner, claimed_at FROM stream_locks").pipe(
        Effect.catchAllDefect(() => Effect.succeed([] as ReadonlyArray<Lock>))
      )
      // a frozen runner's process is there, but it does nothing: not living
      const frozen = new Set<string>()
      const living = () => new Set(runners.filter((p) => p.isRunning() && !frozen.has(nameOf(p))).map(nameOf))
      const allHeldByLiving = locks.pipe(
        Effect.map((rows) => rows.length === connectorIds.length * 2 && rows.every((r) => living().has(r.runner)))
      )

      const first = yield* Effect.all([start, start, start])
      const balanced = Effect.all([allHeldByLiving, locks]).pipe(
        Effect.map(([held, rows]) => held && first.every((p) => rows.some((r) => r.runner === nameOf(p))))
      )
      yield* waitUntil("every stream is held, and each of the three runners holds a share", balanced, "120 seconds", "200 millis").pipe(
        Effect.tapDefect(() =>
          locks.pipe(Effect.map((rows) =>
            console.log(`claims: ${JSON.stringify(rows.map((r) => [r.connector_id, r.stream, r.runner]))}\n${first.map((p) => `--- ${nameOf(p)} running=${p.isRunning()}\n${p.output().stderr.split("\n").filter((l) => !l.includes("cycle done")).slice(-12).join("\n")}`).join("\n")}`)
          ))
        )
      )
      yield* phase(`balanced; logs in ${dir}`)
      // mid-run: every org's backlog is being worked through
      yield* Effect.sleep("1 second")

      const takeovers: Record<"SIGKILL" | "SIGSTOP", Array<number>> = { SIGKILL: [], SIGSTOP: [] }
      // SIGKILL or SIGSTOP `victim`; wait until its streams are claimed by living runners; the takeover times
      const disrupt = (victim: RunningProgram, kind: "SIGKILL" | "SIGSTOP") =>
        Effect.gen(function*() {
          const name = nameOf(victim)
          const held = (yield* locks).filter((r) => r.runner === name)
          const at = Date.now()
          disruptions.push({ kind, runner: name, at, held })
          if (kind === "SIGKILL") yield* victim.kill("SIGKILL")
          else {
            frozen.add(name)
            victim.child.kill("SIGSTOP")
          }
          yield* waitUntil(`the streams of ${name} (${kind}) are claimed by living runners`, allHeldByLiving, "60 seconds", "100 millis")
          const now = yield* locks
          const times = held.map((h) => new Date(now.find((r) => r.connector_id === h.connector_id && r.stream === h.stream)!.claimed_at).getTime() - at)
          takeovers[kind].push(...times)
          console.log(`${kind} ${name} holding ${held.length} stream(s); taken over in ${times.join(", ")} ms`)
          return held.length
        })
      const busiest = (ps: ReadonlyArray<RunningProgram>) =>
        locks.pipe(Effect.map((rows) => [...ps].sort((a, b) => rows.filter((r) => r.runner === nameOf(b)).length - rows.filter((r) => r.runner === nameOf(a)).length)[0]!))
      const holdsAShare = (p: RunningProgram) => locks.pipe(Effect.map((rows) => rows.some((r) => r.runner === nameOf(p))))

      const movedFirst = yield* disrupt(yield* busiest(first), "SIGKILL")
      yield* Effect.sleep("1 second")
      const secondVictim = yield* busiest(first.filter((p) => p.isRunning()))
      // the joiner is launched as the second runner dies (a process takes seconds to start)
      const joiner = yield* start
      const movedSecond = yield* disrupt(secondVictim, "SIGKILL")
      expect(movedFirst + movedSecond).toBeGreaterThan(0)
      yield* phase("two kills taken over")

      // the joiner takes a share
      yield* waitUntil("the new runner holds a share of the streams", holdsAShare(joiner), "60 seconds", "200 millis")
      yield* waitUntil("every stream is held by a living runner", allHeldByLiving, "30 seconds", "200 millis")

      // a frozen runner's streams move too; thawed, it gives up what it lost (publishing and saving none
      // of it) and rejoins: it takes a share again
      yield* phase("the joiner holds a share")
      const iced = yield* busiest(runners.filter((p) => p.isRunning()))
      const icedName = nameOf(iced)
      const movedFrozen = yield* disrupt(iced, "SIGSTOP")
      expect(movedFrozen).toBeGreaterThan(0)
      const thawedAt = Date.now()
      iced.child.kill("SIGCONT")
      frozen.delete(icedName)
      yield* waitUntil("the thawed runner holds a share again", holdsAShare(iced), "30 seconds", "200 millis")
      yield* waitUntil("every stream is held by a living runner", allHeldByLiving, "30 seconds", "200 millis")

      yield* phase("the thawed runner rejoined")
      // the quiesce point: live changes stop; every connector then reaches the truth as it stands
      yield* Effect.forEach(orgs, (sim) => sim.stopLive, { discard: true })
      const quiescedAt = Date.now()
      const ghTruth = yield* Effect.forEach(orgs, (sim) => sim.truthEvents)
      const ghGrants = yield* Effect.forEach(orgs, (sim) => sim.truthGrants)
      const loginTruth = (yield* mockapp.state).logins
      const target = new Map<string, number>([
        ...ghTruth.map((t, i) => [`gh-${ORGS[i]}`, Date.parse(t[t.length - 1]!.occurred_at)] as const),
        ...MOCKAPPS.map((id) => [id, Date.parse(loginTruth[loginTruth.length - 1]!.at)] as const)
      ])
      const reached = db.query<{ connector_id: string; ts: string }>(
        "SELECT connector_id, (checkpoint->>'ts') AS ts FROM connector_checkpoints WHERE stream = 'audit'"
      ).pipe(Effect.map((rows) => connectorIds.every((id) => Number(rows.find((r) => r.connector_id === id)?.ts ?? -1) >= target.get(id)!)))
      yield* waitUntil("every connector checkpointed its whole audit log", reached, "60 seconds", "250 millis")
      const snapshotsAfterQuiesce = db.query<{ connector_id: string; run_id: string }>(
        "SELECT DISTINCT ON (connector_id) connector_id, run_id FROM connector_runs WHERE stream = 'permissions' AND outcome = 'complete' AND started_at > to_timestamp($1 / 1000.0) ORDER BY connector_id, started_at DESC",
        [quiescedAt]
      )
      yield* waitUntil(
        "every connector completed a permission snapshot after the quiesce point",
        snapshotsAfterQuiesce.pipe(Effect.map((rows) => rows.length === connectorIds.length)),
        "30 seconds",
        "250 millis"
      )
      yield* phase("every connector reached its truth")
      const lastSnapshot = new Map((yield* snapshotsAfterQuiesce).map((r) => [r.connector_id, r.run_id] as const))

      // the survivors hand over and stop cleanly
      const survivors = runners.filter((p) => p.isRunning())
      const stopped = yield* Effect.forEach(survivors, (p) => p.kill("SIGTERM").pipe(Effect.timeout("30 seconds"), Effect.orDie), { concurrency: "unbounded" })
      for (const r of stopped) expect(r.code).toBe(0)
      yield* phase("stopped")
      const stderr = runners.map((p) => p.output().stderr).join("\n")
      expect(stderr).toContain("holding job")
      expect(stderr).toContain("released job")

      // the guards: no save ever went backwards; the fence (a run, a publish or a save by a runner that had
      // lost its stream: each ends that cycle) refused nothing except on the thawed runner, which lost its
      // streams while frozen
      const fenced = (p: RunningProgram) => p.output().stderr.split("\n").filter((l) => l.includes("cycle failed") && l.includes("taken over by runner"))
      const backwards = (stderr.match(/before the stored position/g) ?? []).length
      const thawedRefusals = fenced(iced)
      const otherRefusals = runners.filter((p) => p !== iced).flatMap(fenced)
      const refusedRuns = yield* db.query<{ runner: string; n: string }>(
        "SELECT runner, count(*) AS n FROM connector_runs WHERE error LIKE '%not saved%' OR error LIKE '%not published%' GROUP BY runner"
      )
      console.log(
        `guard refusals: ${backwards} backwards saves; fence: ${otherRefusals.length} on the other runners, ${thawedRefusals.length} on the thawed runner ` +
          `(${thawedRefusals.filter((l) => l.includes("not published")).length} publishes, ${thawedRefusals.filter((l) => l.includes("not saved")).length} saves, ` +
          `${thawedRefusals.filter((l) => !l.includes("not published") && !l.includes("not saved")).length} run starts); ` +
          `run records refused by runner: ${JSON.stringify(refusedRuns)}`
      )
      expect(backwards).toBe(0)
      expect(otherRefusals).toEqual([])
      expect(refusedRuns.filter((r) => r.runner !== icedName)).toEqual([])
      // the thawed runner refused at most once per stream it lost (its run stops there)
      expect(thawedRefusals.length).toBeLessThanOrEqual(movedFrozen)
      // after the thaw it published nothing of a lost stream until it held it again ("holding job")
      const lostJobs = new Set(disruptions.find((d) => d.kind === "SIGSTOP")!.held.map((h) => `job=verity/${h.connector_id}/${h.stream}`))
      const thawedPublished: Array<string> = []
      const holdingAgain = new Set<string>()
      for (const line of iced.output().stderr.split("\n")) {
        const at = Date.parse(/timestamp=(\S+)/.exec(line)?.[1] ?? "")
        const job = /job=\S+/.exec(line)?.[0]
        if (!(at >= thawedAt) || job === undefined || !lostJobs.has(job)) continue
        if (line.includes("message=\"holding job\"") || line.includes("message=holding job")) holdingAgain.add(job)
        else if (!holdingAgain.has(job) && /message="cycle done"/.test(line) && !/published=0(\s|$)/.test(line)) thawedPublished.push(line)
      }
      expect(thawedPublished).toEqual([])

      // run records of one stream never overlap: a killed runner's open run ends at its kill, and the frozen
      // runner's run that spans the freeze ends at the freeze (thawed, it could neither publish nor save)
      const runs = yield* db.query<Run>("SELECT connector_id, stream, runner, started_at, finished_at, error FROM connector_runs ORDER BY started_at")
      const killedAt = new Map(disruptions.filter((d) => d.kind === "SIGKILL").map((d) => [d.runner, d.at] as const))
      const freeze = disruptions.find((d) => d.kind === "SIGSTOP")!
      const overlaps: Array<string> = []
      // a runner whose lock refresh times out under load counts its shard locks unhealthy, and the library
      // then releases them at once, while its jobs are still being interrupted: the next holder may start
      // before the last run's record is closed. Such a wind-down (at most WIND_DOWN_MS after a logged
      // forced release, the fence refusing that runner everything from the new claim on) is counted apart.
      const WIND_DOWN_MS = 2_000
      const forcedReleases = new Map(runners.map((p) => [
        nameOf(p),
        p.output().stderr.split("\n").filter((l) => l.includes("Shard lock storage is unhealthy")).map((l) => Date.parse(/timestamp=(\S+)/.exec(l)?.[1] ?? ""))
      ] as const))
      const windDowns: Array<number> = []
      for (const id of connectorIds) {
        for (const stream of STREAMS) {
          const mine = runs.filter((r) => r.connector_id === id && r.stream === stream)
          expect(mine.length).toBeGreaterThan(0)
          for (let i = 1; i < mine.length; i++) {
            const prev = mine[i - 1]!
            const started = new Date(prev.started_at).getTime()
            const finished = prev.finished_at !== null ? new Date(prev.finished_at).getTime() : undefined
            const end = prev.runner === freeze.runner && started < freeze.at && (finished ?? Infinity) >= thawedAt
              ? freeze.at
              : finished ?? killedAt.get(prev.runner)
            if (end === undefined) {
              const log = runners.find((p) => nameOf(p) === prev.runner)?.output().stderr ?? ""
              const related = log.split("\n").filter((l) => l.includes(`job=verity/${id}/${stream}`) && !l.includes("cycle done") || /level=(WARN|ERROR)/.test(l))
              overlaps.push(`${id}/${stream}: a run by ${prev.runner} since ${new Date(prev.started_at).toISOString()} never ended, and that runner was not killed:\n${related.slice(-15).join("\n")}`)
            }
            else if (end > new Date(mine[i]!.started_at).getTime()) {
              const next = new Date(mine[i]!.started_at).getTime()
              const forced = (forcedReleases.get(prev.runner) ?? []).some((t) => t <= next && next - t <= 10_000)
              if (forced && end - next <= WIND_DOWN_MS) {
                windDowns.push(end - next)
                continue
              }
              overlaps.push(`${id}/${stream}: ${prev.runner} until ${new Date(end).toISOString()}, ${mine[i]!.runner} from ${new Date(mine[i]!.started_at).toISOString()}`)
            }
          }
        }
      }
      console.log(`run records: ${windDowns.length} wind-down(s) after a forced release (${windDowns.join(", ")} ms), ${overlaps.length} overlap(s)`)
      expect(overlaps).toEqual([])

      // an independent consumer: every truth event of every connector; duplicates per stream at most one
      // batch per kill or freeze of the runner that held the stream then (none where no kill or freeze hit)
      const read = yield* drainTopics(kafka.brokers, [
        topics.events("github"),
        topics.events("mockapp"),
        topics.deadLetters("github"),
        topics.deadLetters("mockapp"),
        topics.snapshots("github")
      ])
      // no event is dead-lettered; a snapshot read while live changes land may see one change half made (a
      // collaborator listed before GraphQL lists their grant) and dead-letters that grant, never after the quiesce point
      const deadLetters = read.filter((m) => m.topic.startsWith("verity.events.deadletter")).map((m) => parseValue(m.value))
      expect(deadLetters.filter((d) => d["kind"] !== "snapshot" || Date.parse(String(d["failed_at"])) >= quiescedAt)).toEqual([])
      const lines: Array<string> = []
      const excess: Array<string> = []
      for (const [i, id] of connectorIds.entries()) {
        const ids = read.filter((m) => m.topic.startsWith("verity.events.") && m.headers[headerNames.connectorId] === id).map((m) => String(parseValue(m.value)["event_id"]))
        const truth = i < ORGS.length ? ghTruth[i]!.map((e) => e.event_id) : loginTruth.map((l) => l.id)
        const present = new Set(ids)
        expect(truth.filter((e) => !present.has(e))).toEqual([])
        const duplicated = [...duplicatesOf(ids).values()].reduce((s, n) => s + n, 0)
        const hits = disruptions.filter((d) => d.held.some((h) => h.connector_id === id && h.stream === "audit"))
        lines.push(`${id}: ${truth.length} events, ${duplicated} duplicate(s), hit by ${hits.map((d) => d.kind).join("+") || "nothing"}`)
        if (duplicated > hits.length * BATCH) {
          // which copies, sent when: to tell a replayed batch from a repeated page
          const copies = read.filter((m) => m.topic.startsWith("verity.events.") && m.headers[headerNames.connectorId] === id)
          const dup = new Set(duplicatesOf(ids).keys())
          const sends = [...new Set(copies.filter((m) => dup.has(String(parseValue(m.value)["event_id"]))).map((m) => new Date(m.timestamp).toISOString()))].sort()
          excess.push(`${id}: ${duplicated} duplicates > ${hits.length} x ${BATCH}; copies sent at ${sends.slice(0, 20).join(", ")}`)
        }
      }
      // each org's last permission snapshot (after the quiesce point) is its grants at the quiesce point
      const grantKey = (g: Record<string, unknown>) => [g["principal_ref"], g["asset_ref"], g["privilege"], g["grant_mechanism"]].map(String).join("|")
      for (const [i, org] of ORGS.entries()) {
        const runId = lastSnapshot.get(`gh-${org}`)
        const snapshot = read.filter((m) => m.topic === topics.snapshots("github") && !m.tombstone && m.headers[headerNames.snapshotId] === runId)
        expect(snapshot.map((m) => grantKey(parseValue(m.value))).sort()).toEqual(ghGrants[i]!.map((g) => grantKey(g as unknown as Record<string, unknown>)).sort())
      }
      const summary = (xs: ReadonlyArray<number>) => `p50 ${median(xs)} ms, max ${Math.max(...xs)} ms over ${xs.length}`
      console.log(
        `cluster suite: ${deadLetters.length} snapshot record(s) dead-lettered mid-change; ${lines.join("; ")}\ntakeover after SIGKILL: ${summary(takeovers.SIGKILL)}; after SIGSTOP: ${summary(takeovers.SIGSTOP)} (bound ${BOUND_MS} ms)`
      )
      expect(excess).toEqual([])
      expect(takeovers.SIGKILL.length).toBeGreaterThan(0)
      expect(Math.max(...takeovers.SIGKILL, ...takeovers.SIGSTOP)).toBeLessThanOrEqual(BOUND_MS)
    }).pipe(Effect.scoped), 240_000)
})
