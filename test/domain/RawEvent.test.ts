import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, FastCheck, Schema } from "effect"
import { Checkpoint, CheckpointJson } from "../../src/domain/Checkpoint.js"
import { PermissionSnapshot } from "../../src/domain/PermissionSnapshot.js"
import { RawEvent } from "../../src/domain/RawEvent.js"

// Dates the wire can carry (ISO-8601 has four-digit years)
const sane = <A extends { readonly occurredAt?: Date; readonly snapshotAt?: Date }>(a: A) =>
  [a.occurredAt, a.snapshotAt].every((d) => d === undefined || (d.getUTCFullYear() >= 1970 && d.getUTCFullYear() < 10000))

describe("wire format", () => {
  it("RawEvent.toWire is the Schema encoding, for any event", () => {
    const encode = Schema.encodeSync(RawEvent)
    FastCheck.assert(
      FastCheck.property(Arbitrary.make(RawEvent).filter(sane), (event) => {
        expect(event.toWire()).toEqual(encode(event))
      }),
      { numRuns: 300 }
    )
  })

  it("PermissionSnapshot.toWire is the Schema encoding, for any snapshot", () => {
    const encode = Schema.encodeSync(PermissionSnapshot)
    FastCheck.assert(
      FastCheck.property(Arbitrary.make(PermissionSnapshot).filter(sane), (snapshot) => {
        expect(snapshot.toWire()).toEqual(encode(snapshot))
      }),
      { numRuns: 300 }
    )
  })

  it("a checkpoint round-trips through its versioned JSON", () => {
    const cp = Checkpoint.initial.advance(5000, "a").advance(5000, "b").advance(5000, "a")
    const json = Schema.encodeSync(CheckpointJson)(cp)
    expect(JSON.parse(json)).toEqual({ v: 1, ts: 5000, ids_at_ts: ["a", "b"], count: 3 })
    expect(Schema.decodeUnknownSync(CheckpointJson)(json)).toEqual(cp)
    expect(() => Schema.decodeUnknownSync(CheckpointJson)("{\"v\":2,\"ts\":1}")).toThrow(/Expected 1/)
  })
})
