/**
 * An independent consumer that stays subscribed and notes when each message arrived: for tests and
 * benchmarks that wait on an event (a change reaching Kafka) instead of sleeping, and measure how long
 * it took. Scoped: the consumer leaves when the scope closes.
 */
import { randomUUID } from "node:crypto"
import { Effect } from "effect"
import { Kafka, logLevel } from "kafkajs"

export interface WatchedMessage {
  readonly topic: string
  readonly key: string
  /** the value as UTF-8 ("" for a tombstone) */
  readonly value: string
  readonly tombstone: boolean
  readonly headers: Readonly<Record<string, string>>
  /** Date.now() when the consumer received it */
  readonly arrivedAt: number
}

export interface KafkaWatch {
  /** everything received so far, in arrival order */
  readonly messages: ReadonlyArray<WatchedMessage>
  /** wait (polling every 20 ms) until `ready` holds of what arrived; fails after `timeoutMs` */
  readonly until: (ready: (all: ReadonlyArray<WatchedMessage>) => boolean, timeoutMs?: number, what?: string) => Effect.Effect<ReadonlyArray<WatchedMessage>, Error>
}

/** Subscribe to `topics` from their beginning (the topics are created first, so the subscription sees them). */
export const watchTopics = (brokers: ReadonlyArray<string>, topics: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const kafka = new Kafka({ clientId: "verity-watch", brokers: [...brokers], logLevel: logLevel.NOTHING })
    const messages: Array<WatchedMessage> = []
    const producer = kafka.producer({ allowAutoTopicCreation: true })
    const consumer = kafka.consumer({ groupId: `verity-watch-${randomUUID()}`, maxWaitTimeInMs: 20 })
    yield* Effect.acquireRelease(
      Effect.promise(async () => {
        // auto-create the topics with a marker the watchers skip
        await producer.connect()
        await producer.sendBatch({ acks: -1, topicMessages: topics.map((topic) => ({ topic, messages: [{ key: "verity-watch", value: "{}", headers: { "verity-watch": "1" } }] })) })
        await producer.disconnect()
        await consumer.connect()
        await consumer.subscribe({ topics: [...topics], fromBeginning: true })
        const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()))
        await consumer.run({
          eachMessage: async ({ message, topic }) => {
            const headers: Record<string, string> = {}
            for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = v.toString()
            if (headers["verity-watch"] === "1") return
            messages.push({
              topic,
              key: message.key?.toString("utf8") ?? "",
              value: message.value?.toString("utf8") ?? "",
              tombstone: message.value === null,
              headers,
              arrivedAt: Date.now()
            })
          }
        })
        await joined
      }),
      () => Effect.promise(() => consumer.disconnect().catch(() => undefined))
    )
    const until = (ready: (all: ReadonlyArray<WatchedMessage>) => boolean, timeoutMs = 60_000, what = "messages") =>
      Effect.gen(function*() {
        const deadline = Date.now() + timeoutMs
        while (!ready(messages)) {
          if (Date.now() > deadline) return yield* Effect.fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${messages.length} arrived)`))
          yield* Effect.sleep("20 millis")
        }
        return messages as ReadonlyArray<WatchedMessage>
      })
    return { messages, until } satisfies KafkaWatch
  })
