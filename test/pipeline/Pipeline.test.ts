import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Option, Ref, Schedule } from "effect"
import { makeScriptedConnector, type ScriptedEntry } from "../../src/sdk/ScriptedConnector.js"
import { CheckpointError, SinkError } from "../../src/domain/Errors.js"
import { CheckpointStore } from "../../src/services/CheckpointStore.js"
import { EventSink, MemorySink, type WireMessage } from "../../src/services/EventSink.js"
import { Dedup } from "../../src/pipeline/Dedup.js"
import { defaultPipelineOptions, type PipelineOptions } from "../../src/pipeline/Options.js"
import { runAudit, runConnectorOnce } from "../../src/pipeline/Pipeline.js"
import { decodeDeadLetterJson, decodeRawEventJson, topics } from "../../src/pipeline/Wire.js"
import { memoryStateStores } from "../../src/services/StateStores.js"

const options = (overrides: Partial<PipelineOptions> = {}): PipelineOptions => ({
  ...defaultPipelineOptions,
  batchSize: 3,
  batchWindow: "1 hour", // batches close on size; the window never decides in these tests
  publishRetry: { times: 0, base: "1 millis", cap: "1 millis" },
  ...overrides
})

const entry = (id: string, ts: number, actor = "alice"): ScriptedEntry => ({
  id,
  ts,
  actor,
  asset: "acme/backend",
  action: "repo.access"
})

const eventIds = (messages: ReadonlyArray<WireMessage>) =>
  messages.filter((m) => m.topic.startsWith("verity.events.raw.")).map((m) => decodeRawEventJson(m.value).eventId)

const storeLayer = memoryStateStores

describe("pipeline", () => {
  it.effect("publishes a scripted connector's events to the sink in order, in the wire format", () =>
    Effect.gen(function*() {
      const connector = makeScriptedConnector({
        id: "gh",
        platform: "github",
        caseInsensitivePrincipals: true,
        entries: [entry("e1", 1000, "  Alice "), entry("e2", 2000), entry("e3", 3000), entry("e4", 4000)]
      })
      const summary = yield* runAudit(connector, options())
      const sink = yield* MemorySink
      const messages = yield* sink.messages
      expect(eventIds(messages)).toEqual(["e1", "e2", "e3", "e4"])
      const first = messages[0]!
      expect(first.topic).toBe(topics.events("github"))
      expect(first.key).toBe("github:e1")
      expect(JSON.parse(first.value ?? "null")).toMatchObject({
        platform: "github",
        event_id: "e1",
        occurred_at: "1970-01-01T00:00:01.000Z",
        principal_ref: "alice", // trimmed and lower-cased: GitHub logins are case-insensitive
        asset_ref: "acme/backend",
        operation: "repo.access",
        operation_category: "repo",
        operation_verb: "access"
      })
      expect(first.headers).toMatchObject({ "verity-kind": "raw_event", "verity-schema-version": "2", "verity-connector-id": "gh" })
      expect(summary.published).toBe(4)
      expect(Option.map(summary.checkpointAfter, (c) => c.timestamp)).toEqual(Option.some(4000))
    }).pipe(Effect.provide(Layer.merge(EventSink.memory, storeLayer))))

  it.effect("publishes an event repeated with the same (platform, event_id) once", () =>
    Effect.gen(function*() {
      const connector = makeScriptedConnector({
        id: "gh",
        platform: "github",
        // the repeat lands in the same batch once and in a later batch once
        entries: [entry("e1", 1000), entry("e1", 1000), entry("e2", 2000), entry("e3", 3000), entry("e1", 1000)]
      })
      const summary = yield* runAudit(connector, options())
      const messages = yield* (yield* MemorySink).messages
      expect(eventIds(messages)).toEqual(["e1", "e2", "e3"])
      expect(summary.duplicates).toBe(2)
    }).pipe(Effect.provide(Layer.merge(EventSink.memory, storeLayer))))

  it.effect("publishes the same event_id on two platforms twice", () =>
    Effect.gen(function*() {
      const dedup = new Dedup(1000)
      const github = makeScriptedConnector({ id: "gh", platform: "github", entries: [entry("same-id", 1000)] })
      const mockapp = makeScriptedConnector({ id: "ma", platform: "mockapp", entries: [entry("same-id", 1000)] })
      yield* runAudit(github, options(), dedup)
      yield* runAudit(mockapp, options(), dedup)
      const messages = yield* (yield* MemorySink).messages
      expect(messages.map((m) => m.key)).toEqual(["github:same-id", "mockapp:same-id"])
    }).pipe(Effect.provide(Layer.merge(EventSink.memory, storeLayer))))

  it.effect("keeps the checkpoint at the end of batch 1 when batch 2 fails; a rerun publishes batch 2 only", () =>
    Effect.gen(function*() {
      const entries = [1, 2, 3, 4, 5, 6].map((n) => entry(`e${n}`, n * 1000))
      const connector = makeScriptedConnector({ id: "gh", platform: "github", entries })
      const store = yield* CheckpointStore

      const failed = yield* runAudit(connector, options()).pipe(
        Effect.provide(EventSink.memoryFailing((attempt) => attempt === 2)),
        Effect.flip
      )
      expect(failed._tag).toBe("SinkError")
      const stored = yield* store.load({ connectorId: "gh", stream: "audit" })
      expect(Option.map(stored, (c) => [c.timestamp, c.idsAtTimestamp])).toEqual(Option.some([3000, ["e3"]]))

      // a fresh process: new sink, new dedup, the stored checkpoint
      const rerun = yield* Effect.gen(function*() {
        yield* runAudit(connector, options())
        return yield* (yield* MemorySink).messages
      }).pipe(Effect.provide(EventSink.memory))
      expect(eventIds(rerun)).toEqual(["e4", "e5", "e6"])
    }).pipe(Effect.provide(storeLayer)))

  // the retry schedule sleeps on the Clock: run it on the real one (the delays are 1 ms)
  it.live("retries a refused publish and then moves on, publishing each record once", () =>
    Effect.gen(function*() {
      const entries = [1, 2, 3, 4, 5, 6].map((n) => entry(`e${n}`, n * 1000))
      const connector = makeScriptedConnector({ id: "gh", platform: "github", entries })
      yield* runAudit(connector, options({ publishRetry: { times: 3, base: "1 millis", cap: "1 millis" } }))
      const sink = yield* MemorySink
      expect(eventIds(yield* sink.messages)).toEqual(["e1", "e2", "e3", "e4", "e5", "e6"])
      expect(yield* sink.attempts).toBe(3)
    }).pipe(
      Effect.provide(Layer.merge(EventSink.memoryFailing((attempt) => attempt === 2), storeLayer))
    ))

  it.effect("neither loses nor doubles events that share the checkpoint's timestamp across a restart", () =>
    Effect.gen(function*() {
      // five events in one millisecond, cut after the second of them by a failing second batch
      const entries = [entry("a", 1000), entry("b", 5000), entry("c", 5000), entry("d", 5000), entry("e", 5000), entry("f", 5000), entry("g", 9000)]
      const connector = makeScriptedConnector({ id: "gh", platform: "github", entries })
      const store = yield* CheckpointStore
      const first = yield* Effect.gen(function*() {
        yield* runAudit(connector, options()).pipe(Effect.ignore)
        return yield* (yield* MemorySink).messages
      }).pipe(Effect.provide(EventSink.memoryFailing((attempt) => attempt === 2)))
      expect(eventIds(first)).toEqual(["a", "b", "c"])
      const cp = yield* store.load({ connectorId: "gh", stream: "audit" })
      expect(Option.map(cp, (c) => [c.timestamp, c.idsAtTimestamp])).toEqual(Option.some([5000, ["b", "c"]]))

      const second = yield* Effect.gen(function*() {
        const summary = yield* runAudit(connector, options())
        return { summary, messages: yield* (yield* MemorySink).messages }
      }).pipe(Effect.provide(EventSink.memory))
      expect(eventIds(second.messages)).toEqual(["d", "e", "f", "g"])
      expect(second.summary.duplicates).toBe(2) // b and c were re-read at the boundary and dropped
      expect([...eventIds(first), ...eventIds(second.messages)].sort()).toEqual(["a", "b", "c", "d", "e", "f", "g"])
    }).pipe(Effect.provide(storeLayer)))

  it.effect("dead-letters a record that fails its schema, with a readable reason, and publishes the ones after it", () =>
    Effect.gen(function*() {
      const bad = { id: "e2", ts: "yesterday", actor: "bob", asset: "acme/x", action: "repo.access" }
      const blank = entry("e3", 3000, "   ")
      const connector = makeScriptedConnector({
        id: "gh",
        platform: "github",
        entries: [entry("e1", 1000), bad, blank, entry("e4", 4000)]
      })
      const summary = yield* runAudit(connector, options())
      const messages = yield* (yield* MemorySink).messages
      expect(eventIds(messages)).toEqual(["e1", "e4"])
      const letters = messages.filter((m) => m.topic === topics.deadLetters("github")).map((m) => decodeDeadLetterJson(m.value))
      expect(letters).toHaveLength(2)
      expect(letters[0]!.stage).toBe("decode")
      expect(letters[0]!.reason).toContain("ts")
      expect(letters[0]!.reason).toContain("Expected number")
      expect(letters[0]!.payload).toEqual(bad)
      expect(letters[1]!.stage).toBe("normalise")
      expect(letters[1]!.reason).toBe("principal_ref is empty after trimming")
      expect(summary.deadLettered).toBe(2)
    }).pipe(Effect.provide(Layer.merge(EventSink.memory, storeLayer))))

  it.effect("a run returns a summary per connector, with snapshots, events and checkpoints", () =>
    Effect.gen(function*() {
      const connector = makeScriptedConnector({
        id: "gh",
        platform: "github",
        entries: [entry("e1", 1000), entry("e1", 1000), entry("e2", 2000)],
        grants: [
          { principal: "alice", asset: "acme/backend", privilege: "ADMIN", mechanism: "direct" },
          { principal: "bob", asset: "acme/backend", privilege: "PULL", mechanism: "role" },
          { principal: "", asset: "acme/backend", privilege: "PULL", mechanism: "role" }
        ]
      })
      const summary = yield* runConnectorOnce(connector, options())
      expect(summary).toMatchObject({ connectorId: "gh", platform: "github", snapshots: 2, events: 2, duplicates: 1, deadLettered: 1, errors: [] })
      expect(Option.isNone(summary.checkpointBefore)).toBe(true)
      expect(Option.map(summary.checkpointAfter, (c) => c.timestamp)).toEqual(Option.some(2000))
      const messages = yield* (yield* MemorySink).messages
      const snapshots = messages.filter((m) => m.topic === topics.snapshots("github"))
      expect(snapshots.map((m) => m.key)).toEqual(["github:alice:acme/backend:ADMIN", "github:bob:acme/backend:PULL"])
      expect(JSON.parse(snapshots[0]!.value ?? "null")).toMatchObject({ principal_ref: "alice", grant_mechanism: "direct", privilege: "ADMIN" })
    }).pipe(Effect.provide(Layer.merge(EventSink.memory, storeLayer))))

  it.effect("a save the cluster's fence refuses (another runner took the stream over) is not retried: the run stops at that batch", () =>
    Effect.gen(function*() {
      let saves = 0
      const fenced = Layer.succeed(CheckpointStore, CheckpointStore.of({
        load: () => Effect.succeed(Option.none()),
        save: () =>
          Effect.suspend(() => {
            saves++
            return Effect.fail(new CheckpointError({ reason: "superseded", message: "not saved: the stream was taken over by runner b:2" }))
          }),
        list: Effect.succeed([]),
        reset: () => Effect.succeed(0)
      }))
      const connector = makeScriptedConnector({ id: "gh", platform: "github", entries: [entry("e1", 1000), entry("e2", 2000), entry("e3", 3000), entry("e4", 4000)] })
      const error = yield* Effect.flip(
        runAudit(connector, options({ publishRetry: { times: 5, base: "1 millis", cap: "1 millis" } })).pipe(
          Effect.provide(Layer.mergeAll(EventSink.memory, memoryStateStores, fenced))
        )
      )
      expect(error).toMatchObject({ _tag: "CheckpointError", reason: "superseded" })
      expect(saves).toBe(1)
    }))

  describe("several batches in flight", () => {
    const nine = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => entry(`e${n}`, n * 1000))
    const key = { connectorId: "gh", stream: "audit" as const }

    /** A sink that holds (or refuses) the batches `gated` picks until the gate opens; records what it acknowledged. */
    const gatedSink = (gated: (ids: ReadonlyArray<string>) => boolean, gate: Deferred.Deferred<void, SinkError>) =>
      Effect.gen(function*() {
        const acked = yield* Ref.make<ReadonlyArray<ReadonlyArray<string>>>([])
        const sink = EventSink.of({
          describe: "gated",
          publish: (batch) => {
            const ids = eventIds(batch)
            return (gated(ids) ? Deferred.await(gate) : Effect.void).pipe(Effect.zipRight(Ref.update(acked, (a) => [...a, ids])))
          }
        })
        return { sink, acked }
      })

    /** The store, its saved timestamps recorded in order. */
    const recordingStore = Effect.gen(function*() {
      const store = yield* CheckpointStore
      const saves = yield* Ref.make<ReadonlyArray<number | undefined>>([])
      const recording = CheckpointStore.of({
        ...store,
        save: (k, platform, cp) => Ref.update(saves, (s) => [...s, cp.timestamp]).pipe(Effect.zipRight(store.save(k, platform, cp)))
      })
      return { recording, saves, store }
    })

    const untilAcked = <A>(acked: Ref.Ref<ReadonlyArray<A>>, n: number) =>
      Ref.get(acked).pipe(Effect.repeat({ until: (a) => a.length >= n, schedule: Schedule.spaced("1 millis") }))

    it.live("a later batch acknowledged first moves no checkpoint until every earlier batch is acknowledged", () =>
      Effect.gen(function*() {
        const gate = yield* Deferred.make<void, SinkError>()
        const { acked, sink } = yield* gatedSink((ids) => ids.includes("e1"), gate)
        const { recording, saves, store } = yield* recordingStore
        const connector = makeScriptedConnector({ id: "gh", platform: "github", entries: nine })
        const run = yield* runAudit(connector, options({ inFlight: 3 })).pipe(
          Effect.provideService(EventSink, sink),
          Effect.provideService(CheckpointStore, recording),
          Effect.forkDaemon // a failed expectation must not wait on the held batch
        )
        // batches 2 and 3 are acknowledged while batch 1 is still in flight...
        yield* untilAcked(acked, 2)
        expect(yield* Ref.get(acked)).toEqual([["e4", "e5", "e6"], ["e7", "e8", "e9"]])
        yield* Effect.sleep("50 millis")
        // ...and nothing is checkpointed past the unacknowledged batch 1
        expect(yield* Ref.get(saves)).toEqual([])
        expect(Option.isNone(yield* store.load(key))).toBe(true)
        yield* Deferred.succeed(gate, undefined)
        const summary = yield* Fiber.join(run)
        // then all three are committed, in order: the checkpoint lands on batch 3's last record
        const saved = yield* Ref.get(saves)
        expect(saved.at(-1)).toBe(9000)
        expect([...saved].sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(saved)
        expect(Option.map(yield* store.load(key), (c) => c.timestamp)).toEqual(Option.some(9000))
        expect(summary).toMatchObject({ published: 9, batches: 3 })
      }).pipe(Effect.provide(storeLayer)))

    it.live("an earlier batch that fails after later ones were acknowledged keeps the checkpoint before it; a rerun publishes from there", () =>
      Effect.gen(function*() {
        const gate = yield* Deferred.make<void, SinkError>()
        const { acked, sink } = yield* gatedSink((ids) => ids.includes("e4"), gate)
        const connector = makeScriptedConnector({ id: "gh", platform: "github", entries: nine })
        const run = yield* runAudit(connector, options({ inFlight: 3 })).pipe(Effect.provideService(EventSink, sink), Effect.forkDaemon)
        yield* untilAcked(acked, 2)
        expect(yield* Ref.get(acked)).toEqual([["e1", "e2", "e3"], ["e7", "e8", "e9"]])
        yield* Deferred.fail(gate, new SinkError({ reason: "timeout", message: "batch 2 not acknowledged" }))
        const error = yield* Effect.flip(Fiber.join(run))
        expect(error._tag).toBe("SinkError")
        const store = yield* CheckpointStore
        expect(Option.map(yield* store.load(key), (c) => c.timestamp)).toEqual(Option.some(3000))
        // at least once: batch 3 is published again, after batch 2
        const rerun = yield* Effect.gen(function*() {
          yield* runAudit(connector, options({ inFlight: 3 }))
          return yield* (yield* MemorySink).messages
        }).pipe(Effect.provide(EventSink.memory))
        expect(eventIds(rerun).sort()).toEqual(["e4", "e5", "e6", "e7", "e8", "e9"])
      }).pipe(Effect.provide(storeLayer)))
  })
})
