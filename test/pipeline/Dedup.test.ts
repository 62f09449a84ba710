import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import { Dedup } from "../../src/pipeline/Dedup.js"

describe("Dedup", () => {
  it.effect("a 1,000,000-event stream through dedup with capacity 10,000 holds at most 10,000 keys", () =>
    Effect.gen(function*() {
      const dedup = new Dedup(10_000)
      let maxSize = 0
      let duplicates = 0
      // 1,000,000 events in batches of 500; every tenth repeats one from 701 events earlier
      yield* Stream.range(0, 1999).pipe(
        Stream.map((b) =>
          Chunk.makeBy(500, (i) => {
            const n = b * 500 + i + 1
            return Dedup.key("github", `evt-${n % 10 === 0 && n > 701 ? n - 701 : n}`)
          })
        ),
        Stream.runForEach((batch) =>
          Effect.sync(() => {
            const fresh = Chunk.filter(batch, (k) => !dedup.has(k))
            duplicates += batch.length - fresh.length
            dedup.commit(fresh)
            maxSize = Math.max(maxSize, dedup.size)
          })
        )
      )
      expect(maxSize).toBeLessThanOrEqual(10_000)
      expect(dedup.size).toBeGreaterThanOrEqual(5_000)
      // repeats from an earlier batch are caught (a key from within the same batch is the pipeline's job)
      expect(duplicates).toBeGreaterThan(90_000)
      // the newest keys are the ones remembered
      expect(dedup.has(Dedup.key("github", "evt-999999"))).toBe(true)
      expect(dedup.has(Dedup.key("github", "evt-1"))).toBe(false)
    }))

  it("records nothing until commit, keeps recently seen keys and forgets the oldest", () => {
    const dedup = new Dedup(4)
    expect(dedup.has("a")).toBe(false)
    dedup.commit(["a", "b"]) // current = {a, b}
    dedup.commit(["c", "a"]) // {a, b} becomes previous; current = {c, a}: a was seen again
    dedup.commit(["d", "e"]) // {c, a} becomes previous, {a, b} is dropped: b is the oldest
    expect(["a", "b", "c", "d", "e"].map((k) => dedup.has(k))).toEqual([true, false, true, true, true])
    expect(dedup.size).toBeLessThanOrEqual(4)
    expect(() => new Dedup(1)).toThrow(RangeError)
  })
})
