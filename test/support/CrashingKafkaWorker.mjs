// A stand-in for the Kafka producer thread (src/adapters/kafkaWorker.mjs): it says it is ready, then
// dies of an uncaught error on the first batch it is sent, as a thread with a bug or out of memory would.
import { parentPort } from "node:worker_threads"

parentPort.on("message", (message) => {
  if (message._tag === "Send") throw new Error("simulated crash in the producer thread")
})
parentPort.postMessage({ _tag: "Ready" })
