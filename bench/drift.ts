/**
 * Benchmark 8, drift detection latency: from a change made through the GitHub simulator's write API to
 * its change event (`grant_added` / `grant_removed` / `grant_changed`) readable on Kafka, p50 and p99.
 * Two copies of the same org (same seed, the same writes at the same moments), each with its own
 * connector and pipeline in this process, in the same run: ours with the audit-driven refresh (audit log
 * polled every second, debounce 200 ms, snapshots an hour apart: none runs during the measurement), and
 * the baseline without it, waiting for the next snapshot (every 15 s, a short interval so the run stays
 * short: the hourly default would make the baseline's latency minutes). PostgreSQL state, the Kafka mock
 * cluster, an independent consumer. Latencies are of the detected changes; a change a side never
 * reported within two snapshot intervals after the last write is counted apart.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Duration, Effect, Layer, Redacted, Schema } from "effect"
import { KafkaConfig } from "../src/adapters/KafkaConfig.js"
import { kafkaSinkLayer } from "../src/adapters/KafkaSink.js"
import { SqlStateStoresLive } from "../src/adapters/SqlStateStores.js"
import { makeConnectorId } from "../src/domain/Ids.js"
import { defaultPipelineOptions, type PipelineOptions } from "../src/pipeline/Options.js"
import { runScheduled } from "../src/pipeline/Scheduler.js"
import { topics } from "../src/pipeline/Wire.js"
import { makeGitHubConnector } from "../src/platforms/github/Connector.js"
import { startGitHubSimulator } from "../src/platforms/github/simulator/Server.js"
import type { GitHubSimulator, TruthGrant } from "../src/platforms/github/simulator/Types.js"
import { RateLimiter } from "../src/sdk/RateLimiter.js"
import { watchTopics, type WatchedMessage } from "../src/testkit/KafkaWatch.js"
import { startKafkaMock } from "../src/testkit/KafkaMock.js"
import { sqlLayerFor, testDatabase } from "../src/testkit/Postgres.js"
import { type Figure, percentile, prng } from "./lib.js"

const auditEvery = Duration.seconds(1)
const debounce = Duration.millis(200)
const snapshotEvery = Duration.seconds(15)

const keyOf = (g: TruthGrant) => `github:${g.principal_ref}:${g.asset_ref}:${g.privilege}`

/** `kind|grant_key` of each difference between two states of the truth. */
const differences = (before: ReadonlyArray<TruthGrant>, after: ReadonlyArray<TruthGrant>): ReadonlyArray<string> => {
  const a = new Map(before.map((g) => [keyOf(g), g.grant_mechanism]))
  const b = new Map(after.map((g) => [keyOf(g), g.grant_mechanism]))
  const out: Array<string> = []
  for (const [k, m] of a) {
    const now = b.get(k)
    if (now === undefined) out.push(`grant_removed|${k}`)
    else if (now !== m) out.push(`grant_changed|${k}`)
  }
  for (const k of b.keys()) if (!a.has(k)) out.push(`grant_added|${k}`)
  return out
}

const write = (sim: GitHubSimulator, method: string, path: string, body?: unknown) =>
  Effect.promise(async () => {
    const response = await fetch(`${sim.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${sim.token}`, "user-agent": "verity-bench", accept: "application/vnd.github+json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    await response.text()
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status}`)
  })

export const driftLatency = (changes = 16) =>
  Effect.gen(function*() {
    const kafka = yield* startKafkaMock
    const db = yield* testDatabase
    const org = { repos: 20, members: 30, teams: 4, outsideCollaborators: 4, basePermission: "read" as const, events: 0, seed: 21 }
    const sims = { refresh: yield* startGitHubSimulator(org), snapshot: yield* startGitHubSimulator(org) }
    const config = Schema.decodeUnknownSync(KafkaConfig)({ brokers: kafka.brokers, clientId: "verity-bench-drift", logLevel: "nothing" })
    const services = yield* Layer.build(
      Layer.mergeAll(
        kafkaSinkLayer(config),
        SqlStateStoresLive.pipe(Layer.provide(sqlLayerFor(db))),
        NodeHttpClient.layerUndici,
        RateLimiter.layer()
      )
    )
    const connectorOf = (id: string, sim: GitHubSimulator) =>
      makeGitHubConnector(makeConnectorId(id), { org: sim.org, token: Redacted.make(sim.token), apiUrl: sim.url, pageSize: 100, concurrency: 4 }).pipe(
        Effect.provide(services)
      )
    const ours = yield* connectorOf("drift-refresh", sims.refresh)
    const base = yield* connectorOf("drift-snapshot", sims.snapshot)
    const options: PipelineOptions = { ...defaultPipelineOptions, batchWindow: "50 millis", progressEvery: "1 hour" }
    const watch = yield* watchTopics(kafka.brokers, [topics.changes("github"), topics.runs("github")])
    const markersOf = (id: string) => watch.messages.filter((m) => m.topic === topics.runs("github") && m.headers["verity-connector-id"] === id).length
    yield* runScheduled([{ connector: ours, schedule: { permissions: "1 hour", audit: auditEvery } }], { ...options, refresh: { enabled: true, debounce } }).pipe(
      Effect.provide(services),
      Effect.forkScoped
    )
    yield* runScheduled([{ connector: base, schedule: { permissions: snapshotEvery, audit: auditEvery } }], { ...options, refresh: { enabled: false, debounce } }).pipe(
      Effect.provide(services),
      Effect.forkScoped
    )
    // both baselines recorded
    yield* watch.until(() => markersOf(ours.id) >= 1 && markersOf(base.id) >= 1, 120_000, "the first snapshots")

    // the same writes to both orgs at the same moments: a direct grant removed, or a member given a repository
    const random = prng(5)
    const samples: Array<{ at: number; expected: Record<"refresh" | "snapshot", ReadonlyArray<string>> }> = []
    const touched = new Set<string>()
    for (let i = 0; i < changes; i++) {
      yield* Effect.sleep(Duration.millis(2000 + Math.floor(random() * 3000)))
      const truth = yield* sims.refresh.truthGrants
      const repos = [...new Set(truth.map((g) => g.asset_ref.split("/")[1]!))]
      // each (user, repository) is changed once: two changes of one grant within a snapshot interval
      // cancel out for the snapshot, and the samples would not be comparable
      const fresh = (login: string, repo: string) => !touched.has(`${login}|${repo}`)
      const direct = truth.filter((g) => g.grant_mechanism === "direct" && fresh(g.principal_ref, g.asset_ref.split("/")[1]!))
      const members = [...new Set(truth.filter((g) => g.grant_mechanism === "role").map((g) => g.principal_ref))]
      let login: string
      let repo: string
      let request: { method: string; body?: unknown }
      if (i % 2 === 0 && direct.length > 0) {
        const g = direct[Math.floor(random() * direct.length)]!
        login = g.principal_ref
        repo = g.asset_ref.split("/")[1]!
        request = { method: "DELETE" }
      } else {
        do {
          login = members[Math.floor(random() * members.length)]!
          repo = repos[Math.floor(random() * repos.length)]!
        } while (!fresh(login, repo))
        request = { method: "PUT", body: { permission: "maintain" } }
      }
      touched.add(`${login}|${repo}`)
      const path = `/repos/${sims.refresh.org}/${repo}/collaborators/${login}`
      const before = { refresh: truth, snapshot: yield* sims.snapshot.truthGrants }
      const at = Date.now()
      yield* Effect.all([write(sims.refresh, request.method, path, request.body), write(sims.snapshot, request.method, path, request.body)], { concurrency: 2 })
      const expected = {
        refresh: differences(before.refresh, yield* sims.refresh.truthGrants),
        snapshot: differences(before.snapshot, yield* sims.snapshot.truthGrants)
      }
      if (expected.refresh.length > 0) samples.push({ at, expected })
    }

    /** When every expected change of a sample reached Kafka for `connectorId` (first arrival after the write). */
    const arrivalOf = (all: ReadonlyArray<WatchedMessage>, connectorId: string, at: number, expected: ReadonlyArray<string>) => {
      let last = 0
      for (const e of expected) {
        const hit = all.find((m) => {
          if (m.topic !== topics.changes("github") || m.arrivedAt < at || m.headers["verity-connector-id"] !== connectorId) return false
          const c = JSON.parse(m.value) as { kind: string; grant_key: string }
          return `${c.kind}|${c.grant_key}` === e
        })
        if (hit === undefined) return undefined
        last = Math.max(last, hit.arrivedAt)
      }
      return last - at
    }
    const done = () => samples.every((s) => arrivalOf(watch.messages, ours.id, s.at, s.expected.refresh) !== undefined && arrivalOf(watch.messages, base.id, s.at, s.expected.snapshot) !== undefined)
    yield* watch.until(done, 2 * Duration.toMillis(snapshotEvery) + 30_000, "every change").pipe(Effect.ignore)
    const latencies = (id: string, which: "refresh" | "snapshot") =>
      samples.flatMap((s) => {
        const l = arrivalOf(watch.messages, id, s.at, s.expected[which])
        return l === undefined ? [] : [l]
      })
    const refreshed = latencies(ours.id, "refresh")
    const waited = latencies(base.id, "snapshot")
    const missing = { refresh: samples.length - refreshed.length, snapshot: samples.length - waited.length }
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
    const p50 = percentile(refreshed, 50)
    const baseP50 = percentile(waited, 50)
    const figure: Figure = {
      name: `Drift detection latency: a change through the simulator's write API -> its change event on Kafka (${samples.length} changes, 20 repositories)`,
      ours: `audit-driven refresh (audit log every ${Duration.format(auditEvery)}, debounce ${Duration.format(debounce)}): p50 ${s(p50)}, p99 ${s(percentile(refreshed, 99))}${missing.refresh ? `, ${missing.refresh} MISSING` : ", every change detected"}`,
      baseline: `next snapshot (every ${Duration.format(snapshotEvery)}, no refresh): p50 ${s(baseP50)}, p99 ${s(percentile(waited, 99))}${
        missing.snapshot ? `; ${missing.snapshot} not detected within two snapshot intervals` : ""
      }`,
      ratio: `${(p50 / baseP50).toFixed(2)} of the snapshot's p50`,
      target: "report p50 and p99; every change detected by the refresh, its p50 below the snapshot's",
      met: missing.refresh === 0 && p50 < baseP50
    }
    return [figure]
  }).pipe(Effect.scoped)
