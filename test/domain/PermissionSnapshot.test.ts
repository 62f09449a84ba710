import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, FastCheck, Schema } from "effect"
import { PermissionSnapshot } from "../../src/domain/PermissionSnapshot.js"

// Dates the wire can carry (ISO-8601 has four-digit years)
const sane = (s: PermissionSnapshot) => s.snapshotAt.getUTCFullYear() >= 1970 && s.snapshotAt.getUTCFullYear() < 10000

describe("wire format", () => {
  it("PermissionSnapshot.toWire is the Schema encoding, for any snapshot", () => {
    const encode = Schema.encodeSync(PermissionSnapshot)
    FastCheck.assert(
      FastCheck.property(Arbitrary.make(PermissionSnapshot).filter(sane), (snapshot) => {
        expect(snapshot.toWire()).toEqual(encode(snapshot))
      }),
      { numRuns: 300 }
    )
  })
})
