import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import * as Kafkajs from "kafkajs"
import { javaCompatiblePartitioner } from "../../src/adapters/KafkaPartitioner.js"

const metadata = (n: number): Array<Kafkajs.PartitionMetadata> =>
  Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0, offlineReplicas: [] }))

describe("KafkaPartitioner", () => {
  it("puts every key on the partition kafkajs's DefaultPartitioner (Kafka's Java partitioning) picks", () => {
    const ours = javaCompatiblePartitioner()
    const theirs = Kafkajs.Partitioners.DefaultPartitioner()
    const key = FastCheck.oneof(
      FastCheck.string({ unit: "grapheme", maxLength: 120 }),
      FastCheck.string({ maxLength: 300 }),
      FastCheck.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b))
    )
    FastCheck.assert(
      FastCheck.property(key, FastCheck.integer({ min: 1, max: 64 }), (k, n) => {
        const args = { topic: "t", partitionMetadata: metadata(n), message: { key: k, value: "v" } }
        expect(ours(args)).toBe(theirs(args))
      }),
      { numRuns: 5000 }
    )
    // the wire format's keys, as the sinks send them
    for (const k of ["github:evt-1", "github:alice:acme/api:PUSH", "mockapp:login-12345", "é€𝄞"]) {
      const args = { topic: "t", partitionMetadata: metadata(12), message: { key: k, value: "v" } }
      expect(ours(args)).toBe(theirs(args))
    }
  })

  it("leaves a message with a partition, or without a key, to kafkajs", () => {
    const ours = javaCompatiblePartitioner()
    expect(ours({ topic: "t", partitionMetadata: metadata(8), message: { key: "k", value: "v", partition: 5 } })).toBe(5)
    const spread = new Set(Array.from({ length: 40 }, () => ours({ topic: "t", partitionMetadata: metadata(4), message: { value: "v" } })))
    expect(spread.size).toBe(4)
  })
})
