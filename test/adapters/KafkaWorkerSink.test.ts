import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { KafkaConfig } from "../../src/adapters/KafkaConfig.js"
import { makeWorkerSink } from "../../src/adapters/KafkaWorkerSink.js"
import type { WireMessage } from "../../src/services/EventSink.js"

// the stand-in threads never connect: the brokers are not dialled
const config = Schema.decodeUnknownSync(KafkaConfig)({ brokers: ["127.0.0.1:1"], logLevel: "nothing", sendTimeoutMs: 20_000 })

const message = (i: number): WireMessage => ({
  topic: "verity.events.raw.github",
  key: `github:evt-${i}`,
  value: JSON.stringify({ event_id: `evt-${i}` }),
  headers: { "verity-kind": "raw_event" }
})

describe("KafkaWorkerSink: the producer thread fails", () => {
  it.live("a thread that dies mid-batch fails that publish with SinkError unavailable at once (not at the send timeout), and the next one too", () =>
    Effect.gen(function*() {
      const sink = yield* makeWorkerSink(config, { entry: new URL("../support/CrashingKafkaWorker.mjs", import.meta.url) })
      const started = Date.now()
      const first = yield* Effect.flip(sink.publish([message(1), message(2)]))
      expect(Date.now() - started).toBeLessThan(10_000)
      expect(first._tag).toBe("SinkError")
      expect(first.reason).toBe("unavailable")
      expect(first.message).toMatch(/kafka producer thread failed: simulated crash in the producer thread/)
      // the next publish starts a new thread (this stand-in dies again): still a typed error, no hang
      const second = yield* Effect.flip(sink.publish([message(3)]))
      expect(second.reason).toBe("unavailable")
    }).pipe(Effect.scoped), 30_000)

  it.live("a thread that exits before it is ready fails the sink's start with SinkError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(makeWorkerSink(config, { entry: new URL("../support/SilentKafkaWorker.mjs", import.meta.url) }))
      expect(error).toMatchObject({ _tag: "SinkError", reason: "unavailable" })
      expect(error.message).toMatch(/kafka producer thread stopped \(exit code 7\)/)
    }).pipe(Effect.scoped), 30_000)
})
