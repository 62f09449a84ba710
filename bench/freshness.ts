/**
 * Benchmark 4, freshness: the time from the GitHub simulator recording an audit event to that event
 * being readable on Kafka, with the audit stream polled every second (the program's audit schedule,
 * run here as `runAudit` repeated on `Schedule.spaced`). Events are recorded at random moments, so a
 * poller's ideal p50 is half the interval plus the transport. The baseline, measured in the same run,
 * is that transport floor: a bare kafkajs produce -> consume through the same broker.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Duration, Effect, Fiber, Layer, Redacted, Schedule, Schema } from "effect"
import { Kafka, logLevel } from "kafkajs"
import { randomUUID } from "node:crypto"
import { makeGitHubConnector } from "../src/platforms/github/Connector.js"
import { startGitHubSimulator } from "../src/platforms/github/simulator/Server.js"
import { makeConnectorId } from "../src/domain/Ids.js"
import { KafkaConfig } from "../src/adapters/KafkaConfig.js"
import { kafkaSinkLayer } from "../src/adapters/KafkaSink.js"
import { RateLimiter } from "../src/sdk/RateLimiter.js"
import { SqlStateStoresLive } from "../src/adapters/SqlStateStores.js"
import { Dedup } from "../src/pipeline/Dedup.js"
import { defaultPipelineOptions } from "../src/pipeline/Options.js"
import { runAudit } from "../src/pipeline/Pipeline.js"
import { topics } from "../src/pipeline/Wire.js"
import { startKafkaMock } from "../src/testkit/KafkaMock.js"
import { sqlLayerFor, testDatabase } from "../src/testkit/Postgres.js"
import { type Figure, percentile, prng } from "./lib.js"

const pollInterval = Duration.seconds(1)

export const freshness = (events = 60) =>
  Effect.gen(function*() {
    const kafka = yield* startKafkaMock
    const db = yield* testDatabase
    const sim = yield* startGitHubSimulator({ repos: 2, members: 3, teams: 1, events: 0, seed: 9 })
    const floorTopic = "bench.freshness.floor"
    const eventsTopic = topics.events("github")

    // one consumer reads both topics and notes when each message arrived
    const arrivals = new Map<string, number>()
    const client = new Kafka({ clientId: "bench-freshness", brokers: [...kafka.brokers], logLevel: logLevel.NOTHING })
    const producer = client.producer({ allowAutoTopicCreation: true })
    yield* Effect.acquireRelease(Effect.promise(() => producer.connect()), () => Effect.promise(() => producer.disconnect()))
    // the topics must exist before the consumer subscribes
    yield* Effect.promise(() =>
      producer.sendBatch({ acks: -1, topicMessages: [floorTopic, eventsTopic].map((topic) => ({ topic, messages: [{ key: "warm-up", value: "{}" }] })) })
    )
    const consumer = client.consumer({ groupId: `bench-freshness-${randomUUID()}`, maxWaitTimeInMs: 20 })
    yield* Effect.acquireRelease(Effect.promise(() => consumer.connect()), () => Effect.promise(() => consumer.disconnect()))
    yield* Effect.promise(async () => {
      await consumer.subscribe({ topics: [floorTopic, eventsTopic], fromBeginning: false })
      const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()))
      await consumer.run({
        eachMessage: async ({ message, topic }) => {
          const now = Date.now()
          const value = message.value?.toString("utf8") ?? "{}"
          if (topic === floorTopic) arrivals.set(`floor:${message.key?.toString("utf8")}`, now)
          else {
            const id = (JSON.parse(value) as { event_id?: string }).event_id
            if (id) arrivals.set(id, now)
          }
        }
      })
      await joined
    })
    yield* Effect.sleep("2 seconds") // let the first fetch settle at the log end

    // the transport floor
    const floor: Array<number> = []
    for (let i = 0; i < 40; i++) {
      const key = `${i}`
      const sent = Date.now()
      yield* Effect.promise(() => producer.send({ topic: floorTopic, acks: -1, messages: [{ key, value: "{}" }] }))
      while (!arrivals.has(`floor:${key}`)) yield* Effect.sleep("2 millis")
      floor.push(arrivals.get(`floor:${key}`)! - sent)
    }

    // the pipeline, polling the audit log every second, to Kafka, checkpointing in PostgreSQL
    const config = Schema.decodeUnknownSync(KafkaConfig)({ brokers: kafka.brokers, clientId: "verity-bench-freshness", logLevel: "nothing" })
    const services = yield* Layer.build(
      Layer.mergeAll(
        kafkaSinkLayer(config),
        SqlStateStoresLive.pipe(Layer.provide(sqlLayerFor(db))),
        NodeHttpClient.layerUndici,
        RateLimiter.layer()
      )
    )
    const connector = yield* makeGitHubConnector(makeConnectorId("bench-fresh"), {
      org: sim.org,
      token: Redacted.make(sim.token),
      apiUrl: sim.url,
      pageSize: 100,
      concurrency: 4
    }).pipe(Effect.provide(services))
    const dedup = new Dedup()
    const poller = yield* runAudit(connector, { ...defaultPipelineOptions, batchWindow: "50 millis", progressEvery: "1 hour" }, dedup).pipe(
      Effect.repeat(Schedule.spaced(pollInterval)),
      Effect.provide(services),
      Effect.fork
    )

    // record events at random moments over about 40 s
    const random = prng(3)
    const recorded = new Map<string, number>()
    while (recorded.size < events) {
      yield* Effect.sleep(Duration.millis(100 + Math.floor(random() * 1100)))
      for (const e of yield* sim.addAuditEvents(1 + Math.floor(random() * 2))) recorded.set(e.event_id, Date.parse(e.occurred_at))
    }
    const deadline = Date.now() + 30_000
    while ([...recorded.keys()].some((id) => !arrivals.has(id)) && Date.now() < deadline) yield* Effect.sleep("50 millis")
    yield* Fiber.interrupt(poller)
    const latencies = [...recorded].flatMap(([id, at]) => (arrivals.has(id) ? [arrivals.get(id)! - at] : []))
    const missing = recorded.size - latencies.length
    const p50 = percentile(latencies, 50)
    const p99 = percentile(latencies, 99)
    const floorP50 = percentile(floor, 50)
    const idealP50 = Duration.toMillis(pollInterval) / 2 + floorP50
    return {
      name: `Freshness: simulator records an audit event -> readable on Kafka (audit poll every ${Duration.format(pollInterval)}, ${latencies.length} events)`,
      ours: `p50 ${p50} ms, p99 ${p99} ms${missing ? `, ${missing} MISSING` : ""}`,
      baseline: `transport floor p50 ${floorP50} ms, p99 ${percentile(floor, 99)} ms (kafkajs produce -> consume); an ideal 1 s poller: p50 ≈ ${idealP50} ms`,
      ratio: `${(p50 / idealP50).toFixed(2)} of the ideal poller's p50`,
      target: "report p50 and p99",
      met: missing === 0 ? "n/a" : false
    } satisfies Figure
  }).pipe(Effect.scoped)
