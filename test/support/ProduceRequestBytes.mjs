// Encodes kafkajs produce requests (v3, the version kafkajs uses against Kafka 0.11+) in a thread of its
// own, with or without the producer thread's encoder (src/adapters/KafkajsEncoder.ts), and posts the
// bytes back: each thread loads kafkajs afresh, as the producer thread does.
import { createRequire } from "node:module"
import { parentPort, workerData } from "node:worker_threads"
import { tsImport } from "tsx/esm/api"

const require = createRequire(import.meta.url)
const { installPooledEncoder, pooledEncoderInstalled } = await tsImport("../../src/adapters/KafkajsEncoder.ts", import.meta.url)
if (workerData.install) installPooledEncoder()
const ProduceV3 = require("kafkajs/src/protocol/requests/produce/v3/request.js")
const { Types } = require("kafkajs/src/protocol/message/compression/index.js")
const out = []
for (const compression of [Types.None, Types.GZIP]) {
  for (const topicData of workerData.requests) {
    const request = ProduceV3({ acks: -1, timeout: 30000, compression, topicData })
    const encoder = await request.encode()
    out.push(encoder.buffer.toString("base64"))
  }
}
parentPort.postMessage({ installed: pooledEncoderInstalled(), requests: out })
