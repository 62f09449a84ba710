import { Worker } from "node:worker_threads"
import { createRequire } from "node:module"
import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { directRecord, type EncoderClass, pooledEncoder } from "../../src/adapters/KafkajsEncoder.js"

const require = createRequire(import.meta.url)
type Encoded = { readonly buffer: Buffer }
interface Writes extends Encoded {
  writeVarInt(n: number): Writes
  writeUVarInt(n: number): Writes
  writeEncoderArray(encoders: ReadonlyArray<unknown>): Writes
}
const Encoder: (new(initialSize?: number) => Writes) & EncoderClass = require("kafkajs/src/protocol/encoder.js")
const Record = require("kafkajs/src/protocol/recordBatch/record/v0/index.js") as (args: object) => Encoded
const Pooled = pooledEncoder(Encoder)
const direct = directRecord(Pooled, Record) as (args: object) => Encoded

const bytes = FastCheck.oneof(
  FastCheck.string({ unit: "grapheme", maxLength: 700 }),
  FastCheck.string({ maxLength: 2000 }),
  FastCheck.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b))
)
const headerValue = FastCheck.oneof(FastCheck.string({ unit: "grapheme", maxLength: 60 }), FastCheck.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)))
const record = FastCheck.record({
  offsetDelta: FastCheck.integer({ min: 0, max: 100_000 }),
  timestampDelta: FastCheck.oneof(FastCheck.constant(0), FastCheck.integer({ min: -(2 ** 31), max: 2 ** 31 }), FastCheck.integer({ min: 2 ** 40, max: 2 ** 45 })),
  key: FastCheck.option(bytes, { nil: null }),
  value: FastCheck.option(bytes, { nil: null }),
  headers: FastCheck.dictionary(FastCheck.string({ unit: "grapheme", maxLength: 30 }), FastCheck.oneof(headerValue, FastCheck.array(headerValue, { maxLength: 3 })), { maxKeys: 6 })
}, { requiredKeys: [] })

const encodeInThread = (install: boolean, requests: unknown) =>
  new Promise<{ installed: boolean; requests: Array<string> }>((resolve, reject) => {
    const worker = new Worker(new URL("../support/ProduceRequestBytes.mjs", import.meta.url), { workerData: { install, requests } })
    worker.once("message", resolve)
    worker.once("error", reject)
  })

describe("KafkajsEncoder", () => {
  it("encodes every record to the bytes kafkajs's own encoder writes", () => {
    FastCheck.assert(
      FastCheck.property(record, (args) => {
        expect(direct(args).buffer.equals(Record(args).buffer)).toBe(true)
      }),
      { numRuns: 3000 }
    )
  })

  it("writes varints and encoder arrays as kafkajs does, whatever the buffer's growth", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.array(FastCheck.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 200 }), FastCheck.array(record, { maxLength: 20 }), (ints, records) => {
        const ours = new Pooled(1)
        const theirs = new Encoder(1)
        for (const n of ints) {
          ours.writeVarInt(n).writeUVarInt(n >>> 0)
          theirs.writeVarInt(n).writeUVarInt(n >>> 0)
        }
        const encoded = records.map((r) => Record(r))
        ours.writeEncoderArray(encoded)
        theirs.writeEncoderArray(encoded)
        expect(ours.buffer.equals(theirs.buffer)).toBe(true)
      }),
      { numRuns: 500 }
    )
    expect(() => new Pooled().writeEncoderArray([Buffer.from("x")])).toThrow("all values should be an instance of Encoder[]")
  })

  it("gives the producer thread the same produce requests, gzip or not, byte for byte", async () => {
    const t0 = Date.UTC(2026, 10, 22)
    const message = (i: number) => ({
      key: `github:evt-${i}`,
      value: i % 7 === 0 ? Buffer.from(`{"event_id":"${i}","note":"é€𝄞"}`) : `{"platform":"github","event_id":"evt-${i}","payload":"${"x".repeat(i * 13 % 900)}"}`,
      headers: { "verity-kind": "raw_event", "verity-schema-version": "2", "verity-connector-id": i % 3 ? "github-acme" : Buffer.from("github-é") },
      timestamp: String(t0 + i * 37)
    })
    const requests = [
      [{ topic: "verity.events.raw.github", partitions: [{ partition: 0, firstSequence: 0, messages: Array.from({ length: 500 }, (_, i) => message(i)) }] }],
      [
        { topic: "verity.events.raw.github", partitions: [0, 1, 2].map((p) => ({ partition: p, firstSequence: 0, messages: Array.from({ length: 40 }, (_, i) => message(p * 100 + i)) })) },
        { topic: "verity.events.deadletter.github", partitions: [{ partition: 0, firstSequence: 0, messages: [{ key: null, value: null, timestamp: String(t0) }, { key: "k", value: "v", headers: { multi: ["a", "b"] }, timestamp: String(t0 + 1) }] }] }
      ]
    ]
    const [stock, ours] = await Promise.all([encodeInThread(false, requests), encodeInThread(true, requests)])
    expect(ours.installed).toBe(true)
    expect(stock.installed).toBe(false)
    expect(ours.requests).toHaveLength(4)
    expect(ours.requests).toEqual(stock.requests)
  })
})
