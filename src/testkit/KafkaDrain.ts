/**
 * Read every message of some topics, exactly up to their current end: the high watermark of each
 * partition is fetched first (ListOffsets), then a consumer reads from the beginning until every
 * partition reached it. Unlike "stop when it goes quiet", a slow consumer on a loaded machine cannot
 * stop early and make a loss appear (or hide one). A partition whose log no longer starts at offset 0
 * (the broker's retention dropped its oldest messages) is an error, not a loss.
 */
import { randomUUID } from "node:crypto"
import { Effect } from "effect"
import { Kafka, logLevel } from "kafkajs"

export interface DrainedMessage {
  readonly topic: string
  readonly partition: number
  readonly offset: string
  /** epoch ms the producer stamped it with (when it was sent) */
  readonly timestamp: number
  readonly key: string
  /** the value as UTF-8 ("" for a tombstone) */
  readonly value: string
  /** a null value: the key's slot in a compacted topic is deleted */
  readonly tombstone: boolean
  /** the message's headers, as UTF-8 text */
  readonly headers: Readonly<Record<string, string>>
}

/** How long a fetch waits on the broker for messages (its answer comes at once when there are some). */
const fetchWaitMs = 100

export const drainTopics = (brokers: ReadonlyArray<string>, topics: ReadonlyArray<string>, timeoutMs = 120_000) =>
  Effect.tryPromise({
    try: async () => {
      const kafka = new Kafka({ clientId: "verity-test-drain", brokers: [...brokers], logLevel: logLevel.NOTHING })
      const admin = kafka.admin()
      await admin.connect()
      // partition -> offset one past the last message, per topic (only partitions holding messages)
      const remaining = new Map<string, bigint>()
      try {
        for (const topic of topics) {
          const offsets = await admin.fetchTopicOffsets(topic).catch(() => [])
          for (const p of offsets) {
            // librdkafka's mock cluster keeps at most 5 MB (or 100,000 message sets) per partition and
            // drops the oldest beyond that: a reader could not tell those from lost messages
            if (BigInt(p.low) > 0n) {
              throw new Error(
                `${topic} partition ${p.partition} starts at offset ${p.low}: the broker dropped older messages ` +
                  `(the mock cluster keeps 5 MB per partition; compress, or send less)`
              )
            }
            if (BigInt(p.high) > BigInt(p.low)) remaining.set(`${topic}/${p.partition}`, BigInt(p.high))
          }
        }
      } finally {
        await admin.disconnect()
      }
      const out: Array<DrainedMessage> = []
      if (remaining.size === 0) return out
      // a short fetch wait: kafkajs's default (5 s) is how long `disconnect` waits for the last, empty fetch
      const consumer = kafka.consumer({ groupId: `verity-test-drain-${randomUUID()}`, maxBytes: 50 * 1024 * 1024, maxWaitTimeInMs: fetchWaitMs })
      await consumer.connect()
      try {
        for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true })
        let resolveDone: () => void = () => {}
        const done = new Promise<void>((resolve) => (resolveDone = resolve))
        await consumer.run({
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            const id = `${batch.topic}/${batch.partition}`
            const high = remaining.get(id)
            for (const m of batch.messages) {
              if (high !== undefined && BigInt(m.offset) >= high) break
              out.push({
                topic: batch.topic,
                partition: batch.partition,
                offset: m.offset,
                timestamp: Number(m.timestamp),
                key: m.key?.toString("utf8") ?? "",
                value: m.value?.toString("utf8") ?? "",
                tombstone: m.value === null,
                headers: Object.fromEntries(
                  Object.entries(m.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.map(String).join(",") : String(v ?? "")])
                )
              })
              if (high !== undefined && BigInt(m.offset) + 1n >= high) remaining.delete(id)
            }
            if (remaining.size === 0) resolveDone()
          }
        })
        let timer: NodeJS.Timeout | undefined
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`drained ${out.length} messages; partitions not read to their end within ${timeoutMs} ms: ${[...remaining.keys()].join(", ")}`)),
            timeoutMs
          )
        })
        await Promise.race([done, timeout]).finally(() => clearTimeout(timer))
      } finally {
        await consumer.disconnect()
      }
      return out
    },
    catch: (e) => (e instanceof Error ? e : new Error(String(e)))
  }).pipe(Effect.orDie)
