/**
 * Bad input, part 2: API payloads. Crafted audit-log pages (missing fields, wrong types, huge values,
 * unicode) go through the real GitHub connector and the real pipeline: the good entries are published
 * intact, the bad ones are dead-lettered with a reason that names what is wrong and their original
 * payload, and nothing is lost (published + dead-lettered = entries served). Then the same end to end:
 * the simulator's malformed entries through `run --once` into JSON-lines files.
 */
import { existsSync, readFileSync } from "node:fs"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option, Redacted, Scope, Stream } from "effect"
import { makeGitHubConnector } from "../../../src/platforms/github/Connector.js"
import { startGitHubSimulator } from "../../../src/platforms/github/simulator/Server.js"
import type { Connector } from "../../../src/sdk/Connector.js"
import { makeConnectorId } from "../../../src/domain/Ids.js"
import { EventSink, MemorySink } from "../../../src/services/EventSink.js"
import { RateLimiter } from "../../../src/sdk/RateLimiter.js"
import { Dedup } from "../../../src/pipeline/Dedup.js"
import { defaultPipelineOptions } from "../../../src/pipeline/Options.js"
import { runConnectorOnce } from "../../../src/pipeline/Pipeline.js"
import { type ConnectorSummary } from "../../../src/pipeline/Summaries.js"
import { topics } from "../../../src/pipeline/Wire.js"
import { startAuditStub } from "../../support/AuditStub.js"
import { capturingLogger, cliInProcess, leaks, makeWorkDir, secrets } from "../../support/Collected.js"
import { memoryStateStores } from "../../../src/services/StateStores.js"

const org = "acme"
const base = 1_700_000_000_000
const megabyteActor = `mega-${"x".repeat(1024 * 1024)}`

/** Good entries: valid for GitHub's schema, however odd their strings. Each has its own id. */
const good = {
  plain: { "@timestamp": base + 1, _document_id: "good-plain", action: "repo.access", actor: "alice", repo: "acme/api" },
  emoji: { "@timestamp": base + 2, _document_id: "good-emoji", action: "repo.create", actor: "dev-👩‍💻🚀", repo: "acme/🔥-service" },
  rtl: { "@timestamp": base + 3, _document_id: "good-rtl", action: "repo.access", actor: "\u05de\u05e9\u05ea\u05de\u05e9", repo: "acme/\u202e\u0645\u0634\u0631\u0648\u0639" },
  nul: { "@timestamp": base + 4, _document_id: "good-nul", action: "git.clone", actor: "nul\u0000byte", repo: "acme/nul\u0000repo" },
  combining: { "@timestamp": base + 5, _document_id: "good-combining", action: "repo.access", actor: "e\u0301lise-z\u0351\u0352\u0353", repo: "acme/a\u0300\u0301\u0302" },
  huge: { "@timestamp": base + 6, _document_id: "good-huge", action: "repo.access", actor: megabyteActor, repo: "acme/api" },
  orgArray: { "@timestamp": base + 7, _document_id: "good-org-array", action: "org.add_member", actor: "bob", org: ["acme", "acme-eu"] }
} as const

/** Bad entries, each with the text its dead-letter reason must contain. */
const bad: ReadonlyArray<{ readonly name: string; readonly entry: unknown; readonly reason: string }> = [
  { name: "missing action", entry: { "@timestamp": base + 10, _document_id: "bad-1", actor: "alice" }, reason: `["action"]` },
  { name: "missing @timestamp", entry: { _document_id: "bad-2", action: "repo.access", actor: "alice" }, reason: `["@timestamp"]` },
  { name: "@timestamp as a string", entry: { "@timestamp": String(base + 12), _document_id: "bad-3", action: "repo.access" }, reason: "Expected number" },
  { name: "action as a number", entry: { "@timestamp": base + 13, _document_id: "bad-4", action: 42 }, reason: `["action"]` },
  { name: "actor as an object", entry: { "@timestamp": base + 14, _document_id: "bad-5", action: "repo.access", actor: { login: "x" } }, reason: `["actor"]` },
  { name: "@timestamp beyond year 275760", entry: { "@timestamp": 8.64e15 + 1, _document_id: "bad-6", action: "repo.access", actor: "alice" }, reason: "Date" },
  { name: "negative @timestamp", entry: { "@timestamp": -5, _document_id: "bad-7", action: "repo.access" }, reason: `["@timestamp"]` },
  { name: "fractional @timestamp", entry: { "@timestamp": base + 0.5, _document_id: "bad-8", action: "repo.access" }, reason: "integer" },
  { name: "empty _document_id", entry: { "@timestamp": base + 16, _document_id: "", action: "repo.access" }, reason: `["_document_id"]` },
  { name: "whitespace-only actor", entry: { "@timestamp": base + 17, _document_id: "bad-10", action: "repo.access", actor: "   ", repo: "acme/api" }, reason: "principal_ref is empty" },
  { name: "null entry", entry: null, reason: "Expected" },
  { name: "string entry", entry: "repo.access by alice", reason: "Expected" },
  { name: "array entry", entry: [1, 2, 3], reason: "Expected" }
]

// Page 2 is raw text: `1e400` parses to Infinity and `\ud800` to a lone surrogate, neither of which
// JSON.stringify would write.
const rawEntries = [
  { text: `{"@timestamp":1e400,"_document_id":"bad-inf","action":"repo.access"}`, good: false, reason: `["@timestamp"]` },
  { text: `{"@timestamp":${base + 20},"_document_id":"good-surrogate","action":"repo.access","actor":"lone-\\ud800-surrogate","repo":"acme/api"}`, good: true, reason: "" }
]

const page1 = JSON.stringify([...Object.values(good).slice(0, 4), ...bad.slice(0, 7).map((b) => b.entry)])
const page2 = `[${[...Object.values(good).slice(4), ...bad.slice(7).map((b) => b.entry)].map((e) => JSON.stringify(e)).join(",")},${rawEntries.map((r) => r.text).join(",")}]`
const entriesServed = Object.keys(good).length + bad.length + rawEntries.length
const goodCount = Object.keys(good).length + rawEntries.filter((r) => r.good).length
const badCount = bad.length + rawEntries.filter((r) => !r.good).length

const pipelineOptions = { ...defaultPipelineOptions, batchSize: 5, batchWindow: "10 millis" as const }

const fastClient = {
  retry: { times: 2, base: "10 millis", cap: "50 millis" },
  malformedRetries: 1,
  malformedDelay: "10 millis"
} as const

/** The GitHub connector against a stub; permissions are not what these cases are about. */
const auditOnlyConnector = (url: string, token: string) =>
  makeGitHubConnector(makeConnectorId("gh-payloads"), {
    org,
    token: Redacted.make(token),
    apiUrl: url,
    pageSize: 100,
    concurrency: 2,
    // the crafted entries are from November 2023: ask from before them, not the default 90 days back
    since: "2023-11-01"
  }, fastClient).pipe(Effect.map((c): Connector => ({ ...c, permissions: Stream.empty })))

interface Outcome {
  readonly summary: ConnectorSummary
  readonly events: ReadonlyArray<Record<string, unknown>>
  readonly deadLetters: ReadonlyArray<Record<string, unknown>>
}

const runAgainst = (pages: ReadonlyArray<string>, label: string) =>
  Effect.gen(function*() {
    const stub = yield* startAuditStub({ org, token: secrets.githubToken, pages })
    const connector = yield* auditOnlyConnector(stub.url, secrets.githubToken)
    const summary = yield* runConnectorOnce(connector, pipelineOptions, new Dedup(1000))
    const messages = yield* MemorySink.pipe(Effect.flatMap((s) => s.messages))
    const parse = (topic: string) => messages.filter((m) => m.topic === topic).map((m) => JSON.parse(m.value ?? "null") as Record<string, unknown>)
    return { summary, events: parse(topics.events("github")), deadLetters: parse(topics.deadLetters("github")) } satisfies Outcome
  }).pipe(
    Effect.provide(Layer.mergeAll(
      NodeHttpClient.layerUndici,
      RateLimiter.layer({ limit: 1000, interval: "1 second", maxConcurrency: 4 }),
      EventSink.memory,
      memoryStateStores,
      capturingLogger(label).layer
    )),
    Effect.scoped
  )

const work = makeWorkDir("verity-badinput-payloads-")
let scope: Scope.CloseableScope
let mixed: Outcome
let notAnArray: Outcome
let endToEnd: {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly truthEvents: number
  readonly badEvents: number
}

beforeAll(async () => {
  scope = Effect.runSync(Scope.make())
  const program = Effect.gen(function*() {
    const sim = yield* startGitHubSimulator({
      token: secrets.githubToken,
      org: "acme-corp",
      repos: 3,
      members: 4,
      teams: 1,
      outsideCollaborators: 1,
      events: 60,
      badEvents: 7,
      seed: 6
    })
    const config = work.write("bad-events.json", {
      dataDir: work.path("data"),
      connectors: [{ id: "gh", platform: "github", settings: { org: sim.org, token: secrets.githubToken, apiUrl: sim.url } }]
    })
    const [a, b, c, truth] = yield* Effect.all([
      runAgainst([page1, page2], "mixed pages"),
      // a good page, then a page that is an object instead of an array
      runAgainst([JSON.stringify([good.plain, good.emoji]), `{"message":"this is not a list"}`], "not an array"),
      // the same program as main.ts, in this process (a child costs seconds of CPU to start; the
      // process wiring has its own suites: badInput/cli, integration/kafka)
      cliInProcess("run --once with the simulator's malformed entries", ["run", "--once", "--config", config], { cwd: work.dir }),
      sim.truthEvents
    ], { concurrency: "unbounded" })
    mixed = a
    notAnArray = b
    endToEnd = { code: c.code, stdout: c.stdout, stderr: c.stderr, truthEvents: truth.length, badEvents: 7 }
  })
  await Effect.runPromise(Scope.extend(program, scope))
}, 180_000)

afterAll(async () => {
  if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
})

const deadLetterFor = (documentId: string) => mixed.deadLetters.find((d) => (d["payload"] as Record<string, unknown> | null)?.["_document_id"] === documentId)

describe("bad input: API payloads (crafted audit-log pages through the GitHub connector and the pipeline)", () => {
  it("nothing is lost: published + dead-lettered = entries served, and the cycle succeeds", () => {
    expect(mixed.summary.errors).toEqual([])
    expect(mixed.events).toHaveLength(goodCount)
    expect(mixed.deadLetters).toHaveLength(badCount)
    expect(mixed.events.length + mixed.deadLetters.length).toBe(entriesServed)
    expect(mixed.summary.events).toBe(goodCount)
    expect(mixed.summary.deadLettered).toBe(badCount)
    // the checkpoint is the newest good entry (the surrogate one), not a bad entry's time
    expect(Option.map(mixed.summary.checkpointAfter, (c) => c.timestamp)).toEqual(Option.some(base + 20))
  })

  it("missing fields: each is dead-lettered with a reason naming the missing field and its original payload", () => {
    for (const b of bad.filter((x) => x.name.startsWith("missing"))) {
      const id = (b.entry as Record<string, unknown>)["_document_id"] as string
      const letter = deadLetterFor(id)
      expect(letter, b.name).toBeDefined()
      expect(letter?.["reason"], b.name).toContain(b.reason)
      expect(letter?.["reason"], b.name).toContain("is missing")
      expect(letter?.["payload"], b.name).toEqual(b.entry)
      expect(letter?.["stage"]).toBe("decode")
    }
  })

  it("wrong types: a string @timestamp, a numeric action, an object actor, an empty id are dead-lettered with the field named", () => {
    for (const b of bad.slice(2, 9)) {
      if (typeof b.entry !== "object" || b.entry === null || Array.isArray(b.entry)) continue
      const letter = deadLetterFor((b.entry as Record<string, unknown>)["_document_id"] as string)
      expect(letter, b.name).toBeDefined()
      expect(String(letter?.["reason"]), b.name).toContain(b.reason)
      expect(letter?.["payload"], b.name).toEqual(b.entry)
    }
    // entries that are not objects at all
    for (const b of bad.slice(10)) {
      const letter = mixed.deadLetters.find((d) => JSON.stringify(d["payload"]) === JSON.stringify(b.entry))
      expect(letter, b.name).toBeDefined()
      expect(String(letter?.["reason"]), b.name).toContain("Expected")
    }
    // a whitespace-only actor decodes, but cannot be normalised: refused at that stage, with why
    const blank = deadLetterFor("bad-10")
    expect(blank?.["stage"]).toBe("normalise")
    expect(blank?.["reason"]).toBe("principal_ref is empty after trimming")
  })

  it("huge values: a 1 MB actor is published whole; a @timestamp beyond year 275760 or of 1e400 is dead-lettered", () => {
    const huge = mixed.events.find((e) => e["event_id"] === "good-huge")
    expect(huge?.["principal_ref"]).toBe(megabyteActor)
    expect((huge?.["raw_payload"] as Record<string, unknown>)["actor"]).toBe(megabyteActor)
    const farFuture = deadLetterFor("bad-6")
    expect(farFuture?.["reason"]).toMatch(/Date|valid/)
    expect((farFuture?.["payload"] as Record<string, unknown>)["@timestamp"]).toBe(8.64e15 + 1)
    const infinite = deadLetterFor("bad-inf")
    expect(infinite?.["reason"]).toContain(`["@timestamp"]`)
    // no published event carries an invalid time
    for (const e of mixed.events) expect(Number.isNaN(Date.parse(String(e["occurred_at"])))).toBe(false)
  })

  it("unicode: emoji, RTL (with an override mark), NUL, combining marks and a lone surrogate survive byte for byte", () => {
    const byId = (id: string) => mixed.events.find((e) => e["event_id"] === id)
    expect(byId("good-emoji")?.["principal_ref"]).toBe(good.emoji.actor.toLowerCase())
    expect(byId("good-emoji")?.["asset_ref"]).toBe(good.emoji.repo)
    expect(byId("good-rtl")?.["principal_ref"]).toBe(good.rtl.actor)
    expect(byId("good-rtl")?.["asset_ref"]).toBe(good.rtl.repo)
    expect(byId("good-nul")?.["principal_ref"]).toBe("nul\u0000byte")
    expect(byId("good-nul")?.["asset_ref"]).toBe("acme/nul\u0000repo")
    // not NFC-normalised: the platform's exact string is the identity
    expect(byId("good-combining")?.["principal_ref"]).toBe(good.combining.actor)
    expect(byId("good-combining")?.["asset_ref"]).toBe(good.combining.repo)
    expect(byId("good-surrogate")?.["principal_ref"]).toBe("lone-\ud800-surrogate")
    expect(byId("good-org-array")?.["asset_ref"]).toBe("acme")
    expect(byId("good-plain")?.["operation_category"]).toBe("repo")
  })

  it("a page that is not a list: the cycle fails with a readable message, the good page before it is kept and checkpointed", () => {
    expect(notAnArray.events.map((e) => e["event_id"]).sort()).toEqual(["good-emoji", "good-plain"])
    expect(notAnArray.summary.errors).toHaveLength(1)
    expect(notAnArray.summary.errors[0]).toMatch(/audit log/)
    expect(notAnArray.summary.errors[0]).toMatch(/Expected ReadonlyArray|not JSON|malformed/)
    expect(notAnArray.summary.errors[0]).not.toMatch(/\n\s+at /)
    expect(Option.map(notAnArray.summary.checkpointAfter, (c) => c.timestamp)).toEqual(Option.some(base + 2))
  })

  it("end to end (run --once, JSON lines): the simulator's malformed entries are dead-lettered, the rest published, none lost", () => {
    expect(endToEnd.stderr).not.toMatch(/\n\s+at /)
    expect(endToEnd.code, endToEnd.stderr.slice(-3000)).toBe(0)
    const lines = (topic: string) => {
      const path = work.path(`data/out/${topic}.jsonl`)
      return existsSync(path) ? readFileSync(path, "utf8").trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { value: Record<string, unknown> }) : []
    }
    const events = lines(topics.events("github"))
    const dead = lines(topics.deadLetters("github"))
    expect(events).toHaveLength(endToEnd.truthEvents)
    expect(dead).toHaveLength(endToEnd.badEvents)
    expect(events.length + dead.length).toBe(60)
    for (const d of dead) {
      expect(d.value["reason"]).toContain(`["@timestamp"]`)
      expect(typeof (d.value["payload"] as Record<string, unknown>)["@timestamp"]).toBe("string")
    }
    expect(endToEnd.stdout).toContain(`dead letters          ${endToEnd.badEvents}`)
  })

  it("secrets: no token appears in any output or log line of this file's cases", () => {
    expect(leaks()).toEqual([])
  })
})
