import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer, Option } from "effect"
import { Schema } from "effect"
import { KafkaConfig } from "../../src/adapters/KafkaConfig.js"
import { SqlStateStoresLive } from "../../src/adapters/SqlStateStores.js"
import { defaultPipelineOptions, type PipelineOptions } from "../../src/pipeline/Options.js"
import { runAudit } from "../../src/pipeline/Pipeline.js"
import { topics } from "../../src/pipeline/Wire.js"
import { makeScriptedConnector } from "../../src/sdk/ScriptedConnector.js"
import { CheckpointStore } from "../../src/services/CheckpointStore.js"
import { EventSink, type WireMessage } from "../../src/services/EventSink.js"
import { kafkaSinkLayer } from "../../src/adapters/KafkaSink.js"
import { drainTopics } from "../../src/testkit/KafkaDrain.js"
import { startKafkaMock } from "../../src/testkit/KafkaMock.js"
import { readTopics } from "../../src/testkit/KafkaRead.js"
import { sqlLayerFor, testDatabase } from "../../src/testkit/Postgres.js"
import { duplicatesOf } from "../support/Program.js"

const config = (brokers: ReadonlyArray<string>, overrides: Record<string, unknown> = {}) =>
  Schema.decodeUnknownSync(KafkaConfig)({ brokers, clientId: "verity-test", logLevel: "nothing", ...overrides })

const message = (topic: string, i: number): WireMessage => ({
  topic,
  key: `github:evt-${i}`,
  value: JSON.stringify({ platform: "github", event_id: `evt-${i}` }),
  headers: { "verity-kind": "raw_event", "verity-schema-version": "2", "verity-connector-id": "gh" }
})

// each test starts a broker of its own and mostly waits on it (acks, a freeze, a drain): run them side by side
describe.concurrent("KafkaSink (librdkafka mock cluster)", () => {
  // the producer in its worker thread and in the program's thread (the default)
  it.live.each([
    { producerThread: "worker", producerThreads: 1 },
    { producerThread: "main", producerThreads: 1 },
    { producerThread: "worker", producerThreads: 2 }
  ] as const)("publishes a batch across topics; a consumer reads back the same keys, values and headers (producer thread: $producerThread, threads: $producerThreads)", ({ producerThread, producerThreads }) =>
    Effect.gen(function*() {
      const kafka = yield* startKafkaMock
      const batch = [
        ...Array.from({ length: 20 }, (_, i) => message("verity.events.raw.github", i)),
        ...Array.from({ length: 5 }, (_, i) => message("verity.permissions.snapshots.github", 100 + i))
      ]
      yield* Effect.gen(function*() {
        const sink = yield* EventSink
        expect(sink.describe).toContain("kafka ")
        if (producerThreads > 1) expect(sink.describe).toContain(`(${producerThreads} producer threads)`)
        yield* sink.publish(batch.slice(0, 10))
        yield* sink.publish(batch.slice(10))
      }).pipe(Effect.provide(kafkaSinkLayer(config(kafka.brokers, { producerThread, producerThreads }))))
      const read = yield* readTopics(kafka.brokers, ["verity.events.raw.github", "verity.permissions.snapshots.github"], {
        expected: batch.length
      })
      const byKey = (ms: ReadonlyArray<{ topic: string; key: string; value: string | null }>) =>
        ms.map((m) => `${m.topic}|${m.key}|${m.value}`).sort()
      expect(byKey(read)).toEqual(byKey(batch))
      expect(read.every((m) => m.headers["verity-connector-id"] === "gh" && m.headers["verity-schema-version"] === "2")).toBe(true)
    }).pipe(Effect.scoped), 60_000)

  it.live("a frozen broker gives SinkError timeout within sendTimeoutMs, even when the publish runs uninterruptibly; readiness says so", () =>
    Effect.gen(function*() {
      const kafka = yield* startKafkaMock
      const layer = kafkaSinkLayer(config(kafka.brokers, { sendTimeoutMs: 1500 }))
      const exit = yield* Effect.gen(function*() {
        const sink = yield* EventSink
        yield* sink.publish([message("verity.events.raw.github", 1)])
        // readiness (/readyz): the cluster answers its metadata
        const check = sink.check ?? Effect.die("the Kafka sink has a readiness check")
        yield* check
        yield* kafka.freeze
        const started = Date.now()
        // the pipeline runs publish + checkpoint uninterruptibly: our timeout must still fire
        const result = yield* Effect.exit(Effect.uninterruptible(sink.publish([message("verity.events.raw.github", 2)])))
        const elapsed = Date.now() - started
        const frozenCheck = yield* Effect.flip(check)
        yield* kafka.thaw
        return { result, elapsed, frozenCheck }
      }).pipe(Effect.provide(Layer.fresh(layer)))
      expect(exit.elapsed).toBeLessThan(6000)
      expect(exit.frozenCheck._tag).toBe("SinkError")
      expect(Exit.isFailure(exit.result)).toBe(true)
      if (Exit.isFailure(exit.result)) {
        const error = exit.result.cause._tag === "Fail" ? exit.result.cause.error : undefined
        expect(error?.reason).toBe("timeout")
        expect(error?.message).toMatch(/not acknowledged within 1500 ms/)
      }
    }).pipe(Effect.scoped), 60_000)

  it.live("an unavailable broker fails the layer with a SinkError, not a hang", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.scoped(Layer.build(kafkaSinkLayer(config(["127.0.0.1:1"], { sendTimeoutMs: 2000 }))))
      )
      expect(error._tag).toBe("SinkError")
      expect(["unavailable", "timeout"]).toContain(error.reason)
    }), 30_000)

  it.live("a compression without a registered codec is refused at start-up with a clear message", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.scoped(Layer.build(kafkaSinkLayer(config(["127.0.0.1:1"], { compression: "zstd" })))))
      expect(error.message).toMatch(/compression "zstd" needs a codec/)
    }))

  // a cluster job stopped on a handover (or SIGTERM) is interrupted from outside while a batch is in flight
  it.live.each(["worker", "main"] as const)("an outside interrupt during a slow send: the batch is acknowledged AND checkpointed, and a restart publishes no duplicate (producer thread: %s)", (producerThread) =>
    Effect.gen(function*() {
      const [kafka, db] = yield* Effect.all([startKafkaMock, testDatabase], { concurrency: 2 })
      const connector = makeScriptedConnector({
        id: "gh-handover",
        platform: "github",
        entries: Array.from({ length: 200 }, (_, i) => ({ id: `e${i + 1}`, ts: 1000 * (i + 1), actor: "alice", asset: "acme/api", action: "repo.access" }))
      })
      const options: PipelineOptions = { ...defaultPipelineOptions, batchSize: 50, batchWindow: "1 hour", inFlight: 1 }
      const key = { connectorId: "gh-handover", stream: "audit" } as const
      const stores = SqlStateStoresLive.pipe(Layer.provide(sqlLayerFor(db)), Layer.orDie)
      const sink = kafkaSinkLayer(config(kafka.brokers, { producerThread, sendTimeoutMs: 15_000 })).pipe(Layer.orDie)

      // the third batch goes out to a broker that stopped answering (frozen): its ack comes once it is thawed
      const inFlight = yield* Deferred.make<void>()
      let publishes = 0
      const slowThird = Layer.effect(
        EventSink,
        Effect.map(EventSink, (inner) =>
          EventSink.of({
            ...inner,
            publish: (batch) =>
              Effect.suspend(() => {
                publishes++
                if (publishes !== 3) return inner.publish(batch)
                return kafka.freeze.pipe(Effect.zipRight(Deferred.succeed(inFlight, undefined)), Effect.zipRight(inner.publish(batch)))
              })
          }))
      ).pipe(Layer.provide(sink))

      const stopped = yield* Effect.gen(function*() {
        const run = yield* Effect.fork(runAudit(connector, options))
        yield* Deferred.await(inFlight)
        yield* Effect.sleep("300 millis")
        const thaw = yield* Effect.fork(Effect.sleep("1500 millis").pipe(Effect.zipRight(kafka.thaw)))
        const exit = yield* Fiber.interrupt(run)
        yield* Fiber.join(thaw)
        return { exit, saved: yield* (yield* CheckpointStore).load(key) }
      }).pipe(Effect.provide(Layer.merge(slowThird, stores)))
      expect(Exit.isInterrupted(stopped.exit)).toBe(true)
      // the interrupted job waited for the in-flight batch's ack and saved its checkpoint
      expect(Option.map(stopped.saved, (c) => c.timestamp)).toEqual(Option.some(150_000))

      // the next holder resumes from there: the stream's end, and nothing published twice
      const resumed = yield* runAudit(connector, options).pipe(Effect.provide(Layer.merge(sink, stores)))
      expect(Option.map(resumed.checkpointAfter, (c) => c.timestamp)).toEqual(Option.some(200_000))
      const read = yield* drainTopics(kafka.brokers, [topics.events("github")])
      const ids = read.map((m) => m.key)
      expect(new Set(ids).size).toBe(200)
      expect([...duplicatesOf(ids)]).toEqual([])
    }).pipe(Effect.scoped), 120_000)
})
