/**
 * `EventSink` on Kafka with kafkajs 2.2.4 (KafkaClient.ts says how a send is made and bounded).
 *
 * By default the producer runs in the program's thread; `kafka.producerThread: "worker"` moves it to a
 * worker thread (KafkaWorkerSink.ts), so that kafkajs's encoding and compression can use a second core
 * (KafkaConfig.ts says when that pays). Both behave the same to the pipeline: a publish succeeds once every message is acknowledged, and fails with
 * a `SinkError` (`timeout`, `rejected`, `unavailable`) otherwise.
 */
import { Effect, Layer } from "effect"
import type { SinkError } from "../domain/Errors.js"
import { EventSink } from "../services/EventSink.js"
import { makeKafkaPublisher, type TopicMessages } from "./KafkaClient.js"
import type { KafkaConfig } from "./KafkaConfig.js"
import { makeWorkerSink } from "./KafkaWorkerSink.js"
import { shardedSink } from "./ShardedSink.js"

/** The producer in the program's own thread. */
const inThread = (config: KafkaConfig) =>
  Effect.gen(function*() {
    const publisher = yield* makeKafkaPublisher(config)
    const { brokers } = publisher
    return EventSink.of({
      describe: `kafka ${brokers}`,
      check: publisher.check,
      publish: (batch) => {
        if (batch.length === 0) return Effect.void
        const byTopic = new Map<string, TopicMessages>()
        for (const m of batch) {
          let topic = byTopic.get(m.topic)
          if (topic === undefined) {
            topic = { topic: m.topic, messages: [] }
            byTopic.set(m.topic, topic)
          }
          // kafkajs only reads the headers: the message's own (often shared) object needs no copy
          topic.messages.push({ key: m.key, value: m.value, headers: m.headers })
        }
        const topicMessages = Array.from(byTopic.values())
        return publisher.send(topicMessages, batch.length).pipe(
          Effect.withSpan("KafkaSink.publish", { attributes: { brokers, messages: batch.length, topics: topicMessages.length } })
        )
      }
    })
  })

export const kafkaSinkLayer = (config: KafkaConfig): Layer.Layer<EventSink, SinkError> =>
  Layer.scoped(
    EventSink,
    config.producerThread === "main"
      ? inThread(config)
      : Effect.map(Effect.all(Array.from({ length: config.producerThreads }, () => makeWorkerSink(config)), { concurrency: "unbounded" }), shardedSink)
  )
