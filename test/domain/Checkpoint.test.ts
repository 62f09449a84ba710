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
})
