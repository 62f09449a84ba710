/**
 * The Kafka producer thread (started by KafkaWorkerSink.ts through kafkaWorker.mjs): the same kafkajs
 * client as the in-thread sink (KafkaClient.ts: bounded producers, our send timeout), fed with packed
 * batches. Each batch is sent as it arrives (several may be in flight) and answered with `Acked` or
 * `Failed`; its log lines go to the program's thread, whose logger prints them. On `Close` it lets the
 * sends in flight settle, disconnects, says `Closed`, and the program's thread ends it.
 */
import { parentPort, workerData } from "node:worker_threads"
import { Deferred, Effect, Exit, HashMap, Logger, LogLevel, Runtime, Schema } from "effect"
import { SinkError } from "../domain/Errors.js"
import { makeKafkaPublisher } from "./KafkaClient.js"
import { KafkaConfig } from "./KafkaConfig.js"
import { kafkajsVersion, loadedKafkajsVersion, pooledEncoderInstalled } from "./KafkajsEncoder.js"
import { type FromWorker, ToWorker, unpackBatch } from "./KafkaWorkerProtocol.js"

const port = parentPort
if (port === null) throw new Error("KafkaWorkerMain runs as a worker thread (see KafkaWorkerSink.ts)")
const post = (message: FromWorker) => port.postMessage(message)
const failure = (e: SinkError) => ({ reason: e.reason, message: e.message })

const text = (message: unknown): string =>
  Array.isArray(message) ? message.map((m) => (typeof m === "string" ? m : JSON.stringify(m))).join(" ") : String(message)

const level = (l: LogLevel.LogLevel): "Debug" | "Info" | "Warning" | "Error" =>
  l._tag === "Fatal" || l._tag === "Error" ? "Error" : l._tag === "Warning" ? "Warning" : l._tag === "Info" ? "Info" : "Debug"

/** Log lines go to the program's thread: its logger decides the format and the minimum level. */
const toParent = Logger.make(({ annotations, logLevel, message }) =>
  post({
    _tag: "Log",
    level: level(logLevel),
    message: text(message),
    annotations: Object.fromEntries(Array.from(HashMap.toEntries(annotations), ([k, v]) => [k, String(v)]))
  })
)

const decodeMessage = Schema.decodeUnknownSync(ToWorker)

const program = Effect.gen(function*() {
  const config = Schema.decodeUnknownSync(KafkaConfig)(workerData?.config)
  const started = yield* Effect.either(makeKafkaPublisher(config))
  if (started._tag === "Left") {
    post({ _tag: "StartFailed", error: failure(started.left) })
    return
  }
  const publisher = started.right
  const runFork = Runtime.runFork(yield* Effect.runtime<never>())
  const closing = yield* Deferred.make<void>()
  const answer = (effect: Effect.Effect<void, SinkError>, ok: () => FromWorker, failed: (e: SinkError) => FromWorker) =>
    runFork(effect.pipe(
      Effect.catchAllDefect((defect) =>
        Effect.fail(new SinkError({ reason: "unavailable", message: `kafka producer thread: ${String(defect)}` }))
      ),
      Effect.match({ onSuccess: () => post(ok()), onFailure: (e) => post(failed(e)) })
    ))
  port.on("message", (raw: unknown) => {
    const message = decodeMessage(raw)
    switch (message._tag) {
      case "Send":
        return answer(
          publisher.send(unpackBatch(message), message.count),
          () => ({ _tag: "Acked", id: message.id }),
          (e) => ({ _tag: "Failed", id: message.id, error: failure(e) })
        )
      case "Check":
        return answer(
          publisher.check,
          () => ({ _tag: "Checked", id: message.id }),
          (e) => ({ _tag: "Checked", id: message.id, error: failure(e) })
        )
      case "Close":
        return Deferred.unsafeDone(closing, Exit.void)
    }
  })
  yield* pooledEncoderInstalled()
    ? Effect.logDebug("kafka producer thread: kafkajs encodes with KafkajsEncoder.ts's encoder")
    : Effect.logWarning(
      `kafka producer thread: kafkajs ${loadedKafkajsVersion()} keeps its own encoder (KafkajsEncoder.ts is written for ${kafkajsVersion}); sends work, with more CPU`
    )
  post({ _tag: "Ready" })
  yield* Deferred.await(closing)
}).pipe(
  // closing the scope waits for the sends in flight, then disconnects the producer (KafkaProducers.ts)
  Effect.scoped,
  Effect.provide(Logger.replace(Logger.defaultLogger, toParent)),
  Logger.withMinimumLogLevel(LogLevel.Debug)
)

void Effect.runPromise(program).then(() => {
  post({ _tag: "Closed" })
  port.close()
})
