import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { describeHeapLimits, heapFlags } from "../../src/app/HeapLimits.js"
import { runCli } from "../support/Cli.js"

describe("heap limits for run and demo", () => {
  it("sets 128 MB old space and 2 MB semi-space unless the user set limits or turned them off", () => {
    expect(heapFlags(["--import", "tsx"], {})).toEqual(["--max-old-space-size=128", "--max-semi-space-size=2"])
    expect(heapFlags([], { VERITY_MAX_OLD_SPACE_MB: "256", VERITY_MAX_SEMI_SPACE_MB: "8" })).toEqual([
      "--max-old-space-size=256",
      "--max-semi-space-size=8"
    ])
    // the user's own limits win (node flags or NODE_OPTIONS); 0 keeps V8's defaults
    expect(heapFlags(["--max-old-space-size=512"], {})).toEqual([])
    expect(heapFlags([], { NODE_OPTIONS: "--enable-source-maps --max-old-space-size=512" })).toEqual([])
    expect(heapFlags([], { VERITY_MAX_OLD_SPACE_MB: "0" })).toEqual([])
    // a value that is not a whole number of MB falls back to the default
    expect(heapFlags([], { VERITY_MAX_OLD_SPACE_MB: "lots" })).toEqual(["--max-old-space-size=128", "--max-semi-space-size=2"])
  })

  it("says which limits the process runs with, and who set them", () => {
    expect(describeHeapLimits(["--max-old-space-size=128", "--max-semi-space-size=2"], { VERITY_HEAP_LIMITS_SET_BY: "verity" }))
      .toBe("--max-old-space-size=128 --max-semi-space-size=2 (set by verity; VERITY_MAX_OLD_SPACE_MB / VERITY_MAX_SEMI_SPACE_MB change them)")
    expect(describeHeapLimits([], { NODE_OPTIONS: "--max-old-space-size=512" })).toBe("--max-old-space-size=512 (set by the user)")
    expect(describeHeapLimits([], {})).toBe("V8's defaults (VERITY_MAX_OLD_SPACE_MB=0)")
  })

  it.effect("launched as the README says (through the re-launch), run's exit code and message come back from the child", () =>
    Effect.gen(function*() {
      // "" undoes the test children's VERITY_MAX_OLD_SPACE_MB=0: the program decides, as for a user
      const r = yield* runCli(["run", "--once", "--config", "/nonexistent/verity.json"], { env: { VERITY_MAX_OLD_SPACE_MB: "" } })
      expect(r.stderr).toContain("config error in /nonexistent/verity.json: file not found")
      expect(r.code).toBe(2)
    }), 60_000)
})
