import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Effect, FastCheck, Option, Schema, Stream } from "effect"
import type { Connector } from "../../../src/sdk/Connector.js"
import { decodeAuditEntry, deterministicEventId, isAuditEntry, unsupportedAuditLogWarning } from "../../../src/platforms/github/AuditLog.js"
import { AuditEntry } from "../../../src/platforms/github/Payloads.js"
import { startGitHubSimulator } from "../../../src/platforms/github/simulator/Server.js"
import { type TruthEvent } from "../../../src/platforms/github/simulator/Types.js"
import { mulberry32 } from "../../../src/sdk/simulator/SeededRandom.js"
import { CheckpointStore } from "../../../src/services/CheckpointStore.js"
import { runAudit, runConnectorOnce } from "../../../src/pipeline/Pipeline.js"
import { captureLogs, connectorFor, pipelineOptions, publishedDeadLetters, publishedEvents, runtimeLayer } from "../../support/GitHub.js"

const comparable = (e: Record<string, unknown> | TruthEvent) => ({
  event_id: e["event_id" as keyof typeof e],
  occurred_at: e["occurred_at" as keyof typeof e],
  principal_ref: e["principal_ref" as keyof typeof e],
  asset_ref: e["asset_ref" as keyof typeof e],
  operation: e["operation" as keyof typeof e],
  operation_category: e["operation_category" as keyof typeof e],
  operation_verb: e["operation_verb" as keyof typeof e],
  raw_payload: e["raw_payload" as keyof typeof e]
})

/** The connector of a process that stops (cleanly) right after the event `lastId`. */
const stoppingAfter = (connector: Connector, lastId: string): Connector => ({
  ...connector,
  auditEvents: (from) =>
    connector.auditEvents(from).pipe(
      Stream.takeUntil((r) => r.record._tag === "Valid" && r.record.value.eventId === lastId)
    )
})

const auditKey = { connectorId: "github-test", stream: "audit" as const }
const options = { ...pipelineOptions, batchSize: 7 }

describe("GitHub audit events against the simulator", () => {
  it.live("arrive in order and equal the truth across 3 restarts from the stored checkpoint, one inside a same-millisecond group", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 10, members: 12, teams: 2, events: 320, badEvents: 4, seed: 11 })
      const truth = yield* sim.truthEvents
      const store = yield* CheckpointStore
      // a group of events sharing a millisecond, not at the very start
      const g = truth.findIndex((e, i) => i > 20 && truth[i + 1]?.occurred_at === e.occurred_at)
      expect(g).toBeGreaterThan(20)
      const rng = mulberry32(2024)
      const r2 = g + 2 + Math.floor(rng() * 100)
      const r3 = r2 + 1 + Math.floor(rng() * 100)
      const stops = [truth[g], truth[r2], truth[r3]].map((e) => e?.event_id ?? "")

      // run 1 stops inside the group: the checkpoint holds its first id, the rest are still to come
      yield* runAudit(stoppingAfter(yield* connectorFor(sim, { pageSize: 25 }), stops[0] ?? ""), options)
      const cp1 = Option.getOrThrow(yield* store.load(auditKey))
      expect(cp1.timestamp).toBe(Date.parse(truth[g]?.occurred_at ?? ""))
      expect(cp1.idsAtTimestamp).toContain(truth[g]?.event_id)
      expect(cp1.idsAtTimestamp).not.toContain(truth[g + 1]?.event_id)

      // restarts 1 and 2 at random points, then restart 3 runs to the end: a new process each time
      yield* runAudit(stoppingAfter(yield* connectorFor(sim, { pageSize: 25 }), stops[1] ?? ""), options)
      yield* runAudit(stoppingAfter(yield* connectorFor(sim, { pageSize: 25 }), stops[2] ?? ""), options)
      const last = yield* runAudit(yield* connectorFor(sim, { pageSize: 25 }), options)
      expect(Option.getOrThrow(last.checkpointAfter).timestamp).toBe(Date.parse(truth[truth.length - 1]?.occurred_at ?? ""))

      const events = yield* publishedEvents
      expect(events.map(comparable)).toEqual(truth.map(comparable))

      // the 4 entries with wrong field types were dead-lettered with a reason, and the stream went on
      const dead = yield* publishedDeadLetters
      const deadIds = new Set(dead.map((d) => (d["payload"] as Record<string, unknown>)["_document_id"]))
      expect(deadIds.size).toBe(4)
      expect(dead.every((d) => String(d["reason"]).includes("@timestamp"))).toBe(true)
      expect(truth.some((e) => deadIds.has(e.event_id))).toBe(false)
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())))

  it.live("a resume picks up events added since, and only those", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 5, members: 6, teams: 1, events: 40, seed: 3 })
      yield* runAudit(yield* connectorFor(sim, { pageSize: 10 }), options)
      const before = (yield* publishedEvents).length
      expect(before).toBe(40)
      const added = yield* sim.addAuditEvents(5)
      const second = yield* runAudit(yield* connectorFor(sim, { pageSize: 10 }), options)
      const events = yield* publishedEvents
      const truth = yield* sim.truthEvents
      // the new ones are the newest: the tail of the truth (same-ms events are ordered by id)
      expect(new Set(truth.slice(before).map((e) => e.event_id))).toEqual(new Set(added.map((e) => e.event_id)))
      expect(events.map(comparable)).toEqual(truth.map(comparable))
      expect(second.published).toBe(5)
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())))

  it.live("a first run asks from `since` and says what GitHub's retention has dropped; with default settings it gets exactly the truth", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      // the org's history ended 100 days ago: outside the default 90 days, inside GitHub's 180
      const sim = yield* startGitHubSimulator({ repos: 5, members: 6, teams: 1, events: 80, seed: 21, historyEndsAt: Date.now() - 100 * 86_400_000 })
      // default settings, on their own state stores
      const byDefault = yield* Effect.flatMap(connectorFor(sim, { pageSize: 50 }), (c) => runAudit(c, options)).pipe(Effect.provide(runtimeLayer()))
      expect(byDefault.published).toBe((yield* sim.truthEvents).length)
      expect(byDefault.published).toBe(0)
      const older = yield* runAudit(yield* connectorFor(sim, { pageSize: 50, since: "150d" }), options)
      expect(older.published).toBeGreaterThan(60)
      // Git events' 7 days are GitHub's normal: said, not warned
      const notices = logs.lines.filter((l) => l.includes("the first audit pull asks from"))
      expect(notices.length).toBe(2)
      expect(notices.every((l) => l.includes("Git events before") && l.includes("level=INFO"))).toBe(true)
      // past GitHub's 180 days: a warning
      yield* Effect.flatMap(connectorFor(sim, { pageSize: 50, since: "400d" }), (c) => runAudit(c, options)).pipe(Effect.provide(runtimeLayer()))
      const warning = logs.lines.find((l) => l.includes("GitHub keeps the audit log about 180 days"))
      expect(warning).toContain("level=WARN")
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer()), Effect.provide(logs.layer))
  })

  it.live("an org without an audit log: a clear warning, no events, and permissions are still pulled", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 4, members: 5, teams: 1, events: 10, auditLogEnabled: false })
      const summary = yield* runConnectorOnce(yield* connectorFor(sim), options)
      expect(summary.errors).toEqual([])
      expect(summary.events).toBe(0)
      expect(summary.snapshots).toBe((yield* sim.truthGrants).length)
      expect(summary.snapshots).toBeGreaterThan(0)
      expect(logs.lines.some((l) => l.includes(unsupportedAuditLogWarning) && l.includes("level=WARN"))).toBe(true)
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer()), Effect.provide(logs.layer))
  })
})

describe("an audit log the token may not read", () => {
  it.live("a token of a member who is not an owner: GitHub's 404 becomes an error naming read:audit_log and an owner, never an empty log", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ repos: 3, members: 5, teams: 1, events: 10, tokenOwner: false })
      const error = yield* (yield* connectorFor(sim)).auditEvents(Option.none()).pipe(Stream.runDrain, Effect.flip)
      expect(error.reason).toBe("forbidden")
      expect(error.message).toBe(
        "GitHub answered 404 on the audit log of acme-corp: the token belongs to alice, who is not an owner of acme-corp. " +
          "The audit log needs a token with the read:audit_log scope that belongs to an owner of acme-corp."
      )
      // a token without the scope: GitHub's 403 names it, with the same advice
      const unscoped = yield* startGitHubSimulator({ repos: 3, members: 5, teams: 1, events: 10, tokenScopes: ["read:org", "repo"] })
      const refused = yield* (yield* connectorFor(unscoped)).auditEvents(Option.none()).pipe(Stream.runDrain, Effect.flip)
      expect(refused.reason).toBe("forbidden")
      expect(refused.message).toContain("read:audit_log")
      expect(refused.message).toContain("belongs to an owner of acme-corp")
    }).pipe(Effect.scoped, Effect.provide(runtimeLayer())))
})

describe("GitHub audit-log mapping", () => {
  it("an audit entry maps to a RawEvent; a missing _document_id gets a stable id; wrong types are Invalid", () => {
    const entry = { "@timestamp": 1719820800123, action: "org.add_member", actor: "Bob", org: ["acme-corp"] }
    const a = decodeAuditEntry(entry)
    const b = decodeAuditEntry({ ...entry })
    expect(a._tag).toBe("Valid")
    if (a._tag !== "Valid" || b._tag !== "Valid") return
    expect(a.value.eventId).toBe(b.value.eventId)
    expect(a.value.eventId).toBe(deterministicEventId(entry))
    expect(a.value.eventId).not.toBe(deterministicEventId({ ...entry, actor: "Carol" }))
    expect(a.value.assetRef).toBe("acme-corp")
    expect(a.value.principalRef).toBe("Bob")
    expect(a.value.rawPayload).toEqual(entry)
    const bad = decodeAuditEntry({ ...entry, "@timestamp": "yesterday" })
    expect(bad._tag).toBe("Invalid")
    if (bad._tag === "Invalid") expect(bad.reason).toContain("@timestamp")
  })
})

describe("isAuditEntry (the decoder's hand-written fast path)", () => {
  it("gives Schema.is(AuditEntry)'s answer for entries, near-misses and anything else", () => {
    const schemaIs = Schema.is(AuditEntry)
    const { array, constant, double, integer, oneof, record, string } = FastCheck
    // each field right, wrong in type, empty, negative or fractional; any field may be missing
    const nearMiss = record({
      "@timestamp": oneof(integer({ min: 0 }), integer({ max: -1 }), double(), string(), constant(Number.MAX_SAFE_INTEGER + 2)),
      _document_id: oneof(string(), constant(""), integer(), constant(undefined)),
      action: oneof(string(), constant(""), constant(null)),
      actor: oneof(string(), constant(undefined), integer()),
      repo: oneof(string(), constant(null)),
      org: oneof(string(), array(string()), array(oneof(string(), integer())), integer()),
      created_at: oneof(double(), string(), constant(undefined))
    }, { requiredKeys: [] })
    FastCheck.assert(
      FastCheck.property(oneof(Arbitrary.make(AuditEntry), nearMiss, FastCheck.anything()), (u) => isAuditEntry(u) === schemaIs(u)),
      { numRuns: 3000 }
    )
  })

  it("an entry the fast path accepts decodes as the Schema would; one it refuses still says why", () => {
    const ok = decodeAuditEntry({ "@timestamp": 1_700_000_000_000, _document_id: "d1", action: "repo.create", actor: "", org: ["acme"], extra: 1 })
    expect(ok._tag).toBe("Valid")
    if (ok._tag === "Valid") {
      expect(ok.value).toMatchObject({ eventId: "d1", principalRef: "unknown", assetRef: "acme", operation: "repo.create" })
      expect(ok.value.occurredAt.toISOString()).toBe("2023-11-14T22:13:20.000Z")
    }
    // shape right, but no repo and an empty org: the RawEvent constructor's check refuses it
    const noAsset = decodeAuditEntry({ "@timestamp": 1000, action: "org.update", org: "" })
    expect(noAsset._tag).toBe("Invalid")
    const wrong = decodeAuditEntry({ "@timestamp": -5, action: "repo.create" })
    expect(wrong._tag === "Invalid" && wrong.reason).toMatch(/@timestamp/)
  })
})
