import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { SinkError } from "../../src/domain/Errors.js"
import { shardedSink, shardOf } from "../../src/adapters/ShardedSink.js"
import type { EventSink, WireMessage } from "../../src/services/EventSink.js"

const message = (key: string, value: string): WireMessage => ({ topic: "t", key, value, headers: {} })

/** A sink that records what it acknowledged, refusing batches while `refuse` says so. */
const recording = (name: string, refuse: () => boolean = () => false) => {
  const got: Array<WireMessage> = []
  const sink: EventSink["Type"] = {
    describe: `kafka ${name}`,
    publish: (batch) =>
      refuse()
        ? Effect.fail(new SinkError({ reason: "unavailable", message: `${name} refused` }))
        : Effect.sync(() => void got.push(...batch))
  }
  return { sink, got }
}

describe("ShardedSink", () => {
  it.effect("each key takes one sink, in the order it was published; every message lands once; the batch waits for every part", () =>
    Effect.gen(function*() {
      const sinks = [recording("a"), recording("b"), recording("c")]
      const sharded = shardedSink(sinks.map((s) => s.sink))
      const keys = Array.from({ length: 60 }, (_, i) => `github:alice:acme/repo-${i}:PUSH`)
      yield* sharded.publish(keys.map((k) => message(k, "1")))
      yield* sharded.publish(keys.map((k) => message(k, "2")))
      const all = sinks.flatMap((s) => s.got)
      expect(all.length).toBe(120)
      for (const k of keys) {
        const holders = sinks.filter((s) => s.got.some((m) => m.key === k))
        expect(holders).toHaveLength(1)
        expect(holders[0]!.got.filter((m) => m.key === k).map((m) => m.value)).toEqual(["1", "2"])
        expect(sinks.indexOf(holders[0]!)).toBe(shardOf(k, 3))
      }
      // spread: every sink got some
      expect(sinks.every((s) => s.got.length > 0)).toBe(true)
      expect(sharded.describe).toBe("kafka a (3 producer threads)")
    }))

  it.effect("a part refused fails the whole batch with that sink's error", () =>
    Effect.gen(function*() {
      let down = true
      const sinks = [recording("a"), recording("b", () => down)]
      const sharded = shardedSink(sinks.map((s) => s.sink))
      const batch = Array.from({ length: 40 }, (_, i) => message(`k-${i}`, "v"))
      const exit = yield* Effect.exit(sharded.publish(batch))
      expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain("b refused")
      down = false
      yield* sharded.publish(batch)
      expect(sinks[1]!.got.length).toBe(batch.filter((m) => shardOf(m.key, 2) === 1).length)
    }))
})
