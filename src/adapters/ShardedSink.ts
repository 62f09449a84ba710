/**
 * One `EventSink` over several (the Kafka producer threads): each message goes to the sink its key hashes
 * to, so a key's messages always take one producer and stay in order as they would on a single one; a
 * batch's parts are published at once, and the batch is acknowledged when every part is. A part that
 * fails fails the batch, which the pipeline sends again whole (at-least-once: the parts that landed
 * are the one extra copy it allows).
 */
import { Effect } from "effect"
import type { EventSink, WireMessage } from "../services/EventSink.js"

/** FNV-1a of the key's UTF-16 code units: cheap, stable, and spread enough for a handful of shards. */
export const shardOf = (key: string, shards: number): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  return (h >>> 0) % shards
}

export const shardedSink = (sinks: ReadonlyArray<EventSink["Type"]>): EventSink["Type"] => {
  const n = sinks.length
  // one sink is itself: no split, no second fiber per batch
  if (n === 1) return sinks[0]!
  return {
    describe: `${sinks[0]?.describe ?? "nothing"} (${n} producer threads)`,
    check: Effect.forEach(sinks, (s) => s.check ?? Effect.void, { concurrency: "unbounded", discard: true }),
    publish: (batch) => {
      const parts: Array<Array<WireMessage>> = sinks.map(() => [])
      for (const m of batch) parts[shardOf(m.key, n)]!.push(m)
      return Effect.forEach(
        parts.flatMap((part, i) => (part.length === 0 ? [] : [{ part, sink: sinks[i]! }])),
        ({ part, sink }) => sink.publish(part),
        { concurrency: "unbounded", discard: true }
      )
    }
  }
}
