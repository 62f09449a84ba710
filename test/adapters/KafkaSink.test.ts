import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { Schema } from "effect"
import { KafkaConfig } from "../../src/adapters/KafkaConfig.js"
import { EventSink, type WireMessage } from "../../src/services/EventSink.js"
import { kafkaSinkLayer } from "../../src/adapters/KafkaSink.js"
import { startKafkaMock } from "../../src/testkit/KafkaMock.js"
import { readTopics } from "../../src/testkit/KafkaRead.js"

const config = (brokers: ReadonlyArray<string>, overrides: Record<string, unknown> = {}) =>
  Schema.decodeUnknownSync(KafkaConfig)({ brokers, clientId: "verity-test", logLevel: "nothing", ...overrides })

const message = (topic: string, i: number): WireMessage => ({
  topic,
  key: `github:evt-${i}`,
  value: JSON.stringify({ platform: "github", event_id: `evt-${i}` }),
  headers: { "verity-kind": "raw_event", "verity-schema-version": "2", "verity-connector-id": "gh" }
})

describe("KafkaSink (librdkafka mock cluster)", () => {
  // the producer in its worker thread and in the program's thread (the default)
  it.live.each(["worker", "main"] as const)("publishes a batch across topics; a consumer reads back the same keys, values and headers (producer thread: %s)", (producerThread) =>
    Effect.gen(function*() {
      const kafka = yield* startKafkaMock
      const batch = [
        ...Array.from({ length: 20 }, (_, i) => message("verity.events.raw.github", i)),
        ...Array.from({ length: 5 }, (_, i) => message("verity.permissions.snapshots.github", 100 + i))
      ]
      yield* Effect.gen(function*() {
        const sink = yield* EventSink
        expect(sink.describe).toContain("kafka ")
        yield* sink.publish(batch.slice(0, 10))
        yield* sink.publish(batch.slice(10))
      }).pipe(Effect.provide(kafkaSinkLayer(config(kafka.brokers, { producerThread }))))
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
})
