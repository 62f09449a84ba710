/** Read a topic back from the start with a kafkajs consumer (what a downstream consumer would see). */
import { randomUUID } from "node:crypto"
import { Effect } from "effect"
import { Kafka, logLevel } from "kafkajs"

export interface ReadMessage {
  readonly topic: string
  readonly key: string
  /** the value as UTF-8 ("" for a tombstone) */
  readonly value: string
  /** a null value: the key's slot in a compacted topic is deleted */
  readonly tombstone: boolean
  readonly headers: Readonly<Record<string, string>>
}

/**
 * Consume `topics` from the beginning until `expected` messages arrived or nothing new came for
 * `quietMs` after at least `minWaitMs`. Returns what arrived.
 */
export const readTopics = (
  brokers: ReadonlyArray<string>,
  topics: ReadonlyArray<string>,
  options: { readonly expected?: number; readonly quietMs?: number; readonly timeoutMs?: number } = {}
) =>
  Effect.promise(async () => {
    const kafka = new Kafka({ clientId: "verity-test-reader", brokers: [...brokers], logLevel: logLevel.NOTHING })
    // a short fetch wait: kafkajs's default (5 s) is how long `disconnect` waits for the last, empty fetch
    const consumer = kafka.consumer({ groupId: `verity-test-${randomUUID()}`, maxWaitTimeInMs: 100 })
    const out: Array<ReadMessage> = []
    await consumer.connect()
    try {
      for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true })
      let last = Date.now()
      await consumer.run({
        eachMessage: async ({ message, topic }) => {
          const headers: Record<string, string> = {}
          for (const [k, v] of Object.entries(message.headers ?? {})) {
            if (v !== undefined) headers[k] = Array.isArray(v) ? v.map(String).join(",") : String(v)
          }
          out.push({ topic, key: message.key?.toString("utf8") ?? "", value: message.value?.toString("utf8") ?? "", tombstone: message.value === null, headers })
          last = Date.now()
        }
      })
      const started = Date.now()
      const quiet = options.quietMs ?? 3000
      const timeout = options.timeoutMs ?? 90_000
      while (Date.now() - started < timeout) {
        await new Promise((r) => setTimeout(r, 200))
        if (options.expected !== undefined && out.length >= options.expected && Date.now() - last > 500) break
        if (options.expected === undefined && out.length > 0 && Date.now() - last > quiet) break
        if (out.length === 0 && Date.now() - started > quiet * 3 && options.expected === undefined) break
      }
    } finally {
      await consumer.disconnect()
    }
    return out
  })
