import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Equal, FastCheck, Schema } from "effect"
import { RawEvent } from "../../src/domain/RawEvent.js"

// Dates the wire can carry (ISO-8601 has four-digit years)
const sane = (e: RawEvent) => e.occurredAt.getUTCFullYear() >= 1970 && e.occurredAt.getUTCFullYear() < 10000

const nanPayload = new RawEvent({
  platform: "a" as RawEvent["platform"],
  eventId: " " as RawEvent["eventId"],
  occurredAt: new Date(0),
  principalRef: " ",
  assetRef: " ",
  operation: " ",
  rawPayload: Number.NaN
})

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

  it("RawEvent.fromChecked builds the same event as the constructor, for any event", () => {
    const encode = Schema.encodeSync(RawEvent)
    FastCheck.assert(
      FastCheck.property(Arbitrary.make(RawEvent).filter(sane), (event) => {
        const fields = { ...event }
        const fast = RawEvent.fromChecked(fields)
        const made = new RawEvent(fields)
        expect(fast).toBeInstanceOf(RawEvent)
        expect(Object.entries(fast)).toEqual(Object.entries(made))
        // Equality as the constructor defines it: a NaN payload is unequal even to its own copy
        expect(Equal.equals(fast, made)).toBe(Equal.equals(new RawEvent(fields), made))
        expect(fast.key).toBe(made.key)
        expect(encode(fast)).toEqual(encode(made))
      }),
      { numRuns: 200, examples: [[nanPayload]] }
    )
  })
})
