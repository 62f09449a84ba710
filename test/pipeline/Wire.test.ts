import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, FastCheck, Schema } from "effect"
import { RawEvent } from "../../src/domain/RawEvent.js"
import { eventMessage, eventMessages, isoUtc, rawEventJson } from "../../src/pipeline/Wire.js"

// Dates the wire can carry (ISO-8601 has four-digit years)
const sane = (e: RawEvent) => e.occurredAt.getUTCFullYear() >= 1970 && e.occurredAt.getUTCFullYear() < 10000
const encode = Schema.encodeSync(RawEvent)

describe("event wire encoding", () => {
  it("rawEventJson is the bytes eventMessage writes, and the Schema encoding, for any event", () => {
    FastCheck.assert(
      FastCheck.property(Arbitrary.make(RawEvent).filter(sane), (event) => {
        expect(rawEventJson(event)).toBe(JSON.stringify(event.toWire()))
        expect(JSON.parse(rawEventJson(event))).toEqual(JSON.parse(JSON.stringify(encode(event))))
      }),
      { numRuns: 500 }
    )
  })

  it("a payload JSON cannot carry (undefined) leaves raw_payload out, as JSON.stringify does", () => {
    const event = new RawEvent({
      platform: "github" as RawEvent["platform"],
      eventId: "e\"1" as RawEvent["eventId"],
      occurredAt: new Date(Date.UTC(2026, 0, 1, 23, 59, 59, 7)),
      principalRef: "al\\ice",
      assetRef: "acme/repo\n",
      operation: "repo.access",
      rawPayload: undefined
    })
    expect(rawEventJson(event)).toBe(JSON.stringify(event.toWire()))
    expect(JSON.parse(rawEventJson(event))).toEqual({
      platform: "github",
      event_id: "e\"1",
      occurred_at: "2026-01-01T23:59:59.007Z",
      principal_ref: "al\\ice",
      asset_ref: "acme/repo\n",
      operation: "repo.access"
    })
  })

  it("a connector's encoder gives eventMessage's message", () => {
    const encodeFor = eventMessages("gh-1")
    FastCheck.assert(
      FastCheck.property(Arbitrary.make(RawEvent).filter(sane), (event) => {
        expect(encodeFor(event)).toEqual(eventMessage(event, "gh-1"))
      }),
      { numRuns: 200 }
    )
  })

  it("isoUtc is toISOString, for any time, in any order", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.array(FastCheck.integer({ min: -62_198_755_200_000, max: 253_402_300_799_999 }), { minLength: 1, maxLength: 20 }), (times) => {
        for (const ms of [...times, times[0]! + 1, times[0]! + 86_399_999]) {
          const date = new Date(ms)
          if (!Number.isNaN(date.getTime())) expect(isoUtc(date)).toBe(date.toISOString())
        }
      }),
      { numRuns: 500 }
    )
    for (const ms of [0, 86_399_999, 86_400_000, Date.UTC(2026, 1, 28, 23, 59, 59, 999), Date.UTC(2028, 1, 29, 0, 0, 0, 0), 253_402_300_799_999]) {
      expect(isoUtc(new Date(ms))).toBe(new Date(ms).toISOString())
    }
  })
})
