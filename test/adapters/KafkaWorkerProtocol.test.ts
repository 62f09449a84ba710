import { describe, expect, it } from "@effect/vitest"
import { packBatch, unpackBatch } from "../../src/adapters/KafkaWorkerProtocol.js"
import type { WireMessage } from "../../src/services/EventSink.js"

describe("KafkaWorkerProtocol: a batch packed for the producer thread", () => {
  it("unpacks to the same topics, keys, values, tombstones and headers, grouped by topic in order", () => {
    const batch: ReadonlyArray<WireMessage> = [
      { topic: "a", key: "k1", value: JSON.stringify({ name: "Zoë 🚀", n: 1 }), headers: { kind: "raw", "schema-version": "2" } },
      { topic: "b", key: "k2", value: null, headers: {} },
      { topic: "a", key: "ключ", value: "", headers: { kind: "é" } }
    ]
    const packed = packBatch(7, batch)
    expect(packed).toMatchObject({ _tag: "Send", id: 7, count: 3, topics: ["a", "b"] })
    const text = (b: Buffer | string | null | undefined) => (b == null ? b : b.toString())
    const unpacked = unpackBatch(packed).map((t) => ({
      topic: t.topic,
      messages: t.messages.map((m) => ({
        key: text(m.key),
        value: text(m.value),
        headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, text(v as Buffer)]))
      }))
    }))
    expect(unpacked).toEqual([
      { topic: "a", messages: [
        { key: "k1", value: batch[0]!.value, headers: { kind: "raw", "schema-version": "2" } },
        { key: "ключ", value: "", headers: { kind: "é" } }
      ] },
      { topic: "b", messages: [{ key: "k2", value: null, headers: {} }] }
    ])
  })
})
