/**
 * What the program's thread and the Kafka producer thread say to each other (KafkaWorkerSink.ts and
 * KafkaWorkerMain.ts), and how a batch crosses between them.
 *
 * A batch crosses as ONE ArrayBuffer, transferred (not copied): each message's key, value and header
 * values as UTF-8 bytes with their lengths, its topic and header names as indexes into two small lists.
 * The producer thread hands kafkajs views of those bytes (Buffers), so neither thread parses anything
 * and the structured clone carries only the two lists. (Posting the messages as objects costs the
 * program's thread a structured clone of every string, and the producer thread their copies.)
 *
 * Layout of one message (little endian): u16 topic index, i32 key length, key, i32 value length (-1:
 * a tombstone), value, u16 header count, then per header u16 name index, i32 length, value.
 */
import { Schema } from "effect"
import type { WireMessage } from "../services/EventSink.js"
import type { TopicMessages } from "./KafkaClient.js"

const Reason = Schema.Literal("rejected", "timeout", "unavailable", "encode", "superseded")

export const Send = Schema.TaggedStruct("Send", {
  id: Schema.Number,
  topics: Schema.Array(Schema.String),
  names: Schema.Array(Schema.String),
  count: Schema.Number,
  data: Schema.instanceOf(ArrayBuffer)
})
export type Send = typeof Send.Type

/** The program's thread to the producer thread. */
export const ToWorker = Schema.Union(
  Send,
  Schema.TaggedStruct("Check", { id: Schema.Number }),
  Schema.TaggedStruct("Close", {})
)
export type ToWorker = typeof ToWorker.Type

const Failure = Schema.Struct({ reason: Reason, message: Schema.String })

/** The producer thread to the program's thread. */
export const FromWorker = Schema.Union(
  Schema.TaggedStruct("Ready", {}),
  Schema.TaggedStruct("StartFailed", { error: Failure }),
  Schema.TaggedStruct("Acked", { id: Schema.Number }),
  Schema.TaggedStruct("Failed", { id: Schema.Number, error: Failure }),
  Schema.TaggedStruct("Checked", { id: Schema.Number, error: Schema.optional(Failure) }),
  Schema.TaggedStruct("Log", {
    level: Schema.Literal("Debug", "Info", "Warning", "Error"),
    message: Schema.String,
    annotations: Schema.Record({ key: Schema.String, value: Schema.String })
  }),
  Schema.TaggedStruct("Closed", {})
)
export type FromWorker = typeof FromWorker.Type

/** Pack a batch into one buffer the producer thread can take over (sizes first, so it is allocated once). */
export const packBatch = (id: number, batch: ReadonlyArray<WireMessage>): Send => {
  const topics: Array<string> = []
  const topicIndex = new Map<string, number>()
  const names: Array<string> = []
  const nameIndex = new Map<string, number>()
  const index = (s: string, list: Array<string>, map: Map<string, number>) => {
    let i = map.get(s)
    if (i === undefined) {
      i = list.length
      list.push(s)
      map.set(s, i)
    }
    return i
  }
  let size = 0
  for (const m of batch) {
    index(m.topic, topics, topicIndex)
    size += 2 + 4 + Buffer.byteLength(m.key) + 4 + (m.value === null ? 0 : Buffer.byteLength(m.value)) + 2
    for (const name in m.headers) {
      index(name, names, nameIndex)
      size += 2 + 4 + Buffer.byteLength(m.headers[name]!)
    }
  }
  // not from Node's shared pool: the whole ArrayBuffer is this batch's, so it can be transferred
  const buf = Buffer.allocUnsafeSlow(size)
  let o = 0
  const text = (s: string) => {
    const n = buf.write(s, o + 4)
    buf.writeInt32LE(n, o)
    o += 4 + n
  }
  for (const m of batch) {
    o = buf.writeUInt16LE(topicIndex.get(m.topic)!, o)
    text(m.key)
    if (m.value === null) o = buf.writeInt32LE(-1, o)
    else text(m.value)
    const headerNames = Object.keys(m.headers)
    o = buf.writeUInt16LE(headerNames.length, o)
    for (const name of headerNames) {
      o = buf.writeUInt16LE(nameIndex.get(name)!, o)
      text(m.headers[name]!)
    }
  }
  return { _tag: "Send", id, topics, names, count: batch.length, data: buf.buffer as ArrayBuffer }
}

/** The producer thread's side: kafkajs messages whose keys, values and header values are views of the buffer. */
export const unpackBatch = (send: Send): Array<TopicMessages> => {
  const buf = Buffer.from(send.data)
  const byTopic: Array<TopicMessages> = send.topics.map((topic) => ({ topic, messages: [] }))
  let o = 0
  const bytes = () => {
    const n = buf.readInt32LE(o)
    o += 4
    if (n < 0) return null
    const view = buf.subarray(o, o + n)
    o += n
    return view
  }
  for (let i = 0; i < send.count; i++) {
    const topic = byTopic[buf.readUInt16LE(o)]!
    o += 2
    const key = bytes()
    const value = bytes()
    const count = buf.readUInt16LE(o)
    o += 2
    const headers: Record<string, Buffer> = {}
    for (let h = 0; h < count; h++) {
      const name = send.names[buf.readUInt16LE(o)]!
      o += 2
      headers[name] = bytes() ?? Buffer.alloc(0)
    }
    topic.messages.push({ key, value, headers })
  }
  return byTopic.filter((t) => t.messages.length > 0)
}
