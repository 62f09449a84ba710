import { describe, expect, it } from "@effect/vitest"
import { buildModel } from "../../../../src/platforms/github/simulator/Model.js"

describe("github simulator model", () => {
  it("a seed's audit log has the same ids in the same order whatever day the simulator starts (entries sharing a millisecond included)", () => {
    const options = { org: "acme-corp", repos: 2, members: 3, teams: 1, outsideCollaborators: 1, events: 400, badEvents: 0, seed: 7, base: undefined }
    const log = (historyEndsAt: number) => buildModel({ ...options, historyEndsAt }).events.map((e) => [e.id, e.entry.action, e.ts - historyEndsAt])
    const monday = log(Date.UTC(2026, 10, 23))
    // the seeded history has entries that share a millisecond: their order is the ids'
    expect(new Set(monday.map(([, , at]) => at)).size).toBeLessThan(monday.length)
    expect(log(Date.UTC(2026, 10, 24))).toEqual(monday)
    expect(log(Date.UTC(2027, 2, 3))).toEqual(monday)
  })

  it("different seeds give different ids to the same org", () => {
    const options = { org: "acme-corp", repos: 2, members: 3, teams: 1, outsideCollaborators: 1, events: 50, badEvents: 0, base: undefined, historyEndsAt: Date.UTC(2026, 10, 23) }
    const ids = (seed: number) => new Set(buildModel({ ...options, seed }).events.map((e) => e.id))
    const a = ids(1)
    expect([...ids(2)].filter((id) => a.has(id))).toEqual([])
  })
})
