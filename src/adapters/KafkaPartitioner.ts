/**
 * kafkajs's `DefaultPartitioner` (Kafka's Java partitioning: murmur2 of the key, positive, modulo the
 * partition count), with the hash in 32-bit integer math. kafkajs computes it with a 64-bit `Long` per
 * step and filters the partition list for every message, which was a tenth of the producer thread's
 * time; only the low 32 bits of that arithmetic reach the result, so `Math.imul` gives the same
 * partition (test/adapters/KafkaPartitioner.test.ts holds the two equal). Messages without a key, or
 * with a partition already set, go to kafkajs's own partitioner.
 */
// kafkajs is CommonJS whose named exports Node's ESM loader cannot see: take them off the default export
import Kafkajs from "kafkajs"
import type { ICustomPartitioner } from "kafkajs"

const M = 0x5bd1e995
const SEED = 0x9747b28c

/** Kafka's `Utils.murmur2` of these bytes, as a signed 32-bit integer. */
export const murmur2 = (data: Uint8Array, length: number = data.length): number => {
  let h = SEED ^ length
  const whole = length & ~3
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  const rest = length & 3
  if (rest === 3) h ^= data[whole + 2]! << 16
  if (rest >= 2) h ^= data[whole + 1]! << 8
  if (rest >= 1) h = Math.imul(h ^ data[whole]!, M)
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

export const javaCompatiblePartitioner: ICustomPartitioner = () => {
  const fallback = Kafkajs.Partitioners.DefaultPartitioner()
  // a key's UTF-8 bytes, written into one reused buffer
  let scratch = Buffer.allocUnsafe(256)
  return (args) => {
    const { message, partitionMetadata } = args
    const key = message.key
    if ((message.partition !== undefined && message.partition !== null) || key === undefined || key === null) return fallback(args)
    let hash: number
    if (typeof key === "string") {
      if (key.length * 3 > scratch.length) scratch = Buffer.allocUnsafe(key.length * 3)
      hash = murmur2(scratch, scratch.write(key, 0))
    } else {
      hash = murmur2(key)
    }
    return (hash & 0x7fffffff) % partitionMetadata.length
  }
}
