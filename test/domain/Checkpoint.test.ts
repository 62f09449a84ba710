import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { Checkpoint, CheckpointJson } from "../../src/domain/Checkpoint.js"

describe("wire format", () => {
  it("a checkpoint round-trips through its versioned JSON", () => {
    const cp = Checkpoint.initial.advance(5000, "a").advance(5000, "b").advance(5000, "a")
    const json = Schema.encodeSync(CheckpointJson)(cp)
    expect(JSON.parse(json)).toEqual({ v: 1, ts: 5000, ids_at_ts: ["a", "b"], count: 3 })
    expect(Schema.decodeUnknownSync(CheckpointJson)(json)).toEqual(cp)
    expect(() => Schema.decodeUnknownSync(CheckpointJson)("{\"v\":2,\"ts\":1}")).toThrow(/Expected 1/)
  })

  it("advance builds the checkpoint the constructor would", () => {
    const cp = Checkpoint.initial.advance(5000, "a", "cur").advance(5000, "b")
    const made = new Checkpoint({ version: 1, timestamp: 5000, cursor: "cur", idsAtTimestamp: ["a", "b"], count: 2 })
    expect(cp).toBeInstanceOf(Checkpoint)
    expect(Object.entries(cp)).toEqual(Object.entries(made))
    expect(cp).toEqual(made)
    expect(cp.describe()).toBe(made.describe())
    expect(Schema.encodeSync(CheckpointJson)(cp)).toBe(Schema.encodeSync(CheckpointJson)(made))
  })
})
