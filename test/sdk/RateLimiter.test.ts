import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Option, TestClock } from "effect"
import { RateLimiter } from "../../src/sdk/RateLimiter.js"

const limiter = RateLimiter.layer({ limit: 1000, interval: "1 second", maxConcurrency: 4 })

describe("RateLimiter", () => {
  it.effect("with x-ratelimit-remaining 0 and the reset 30 s ahead, the next request waits 30 s", () =>
    Effect.gen(function*() {
      const rl = yield* RateLimiter
      yield* rl.observe("github:core", { status: 200, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "30" } })
      const fiber = yield* Effect.fork(rl.withPermit("github:core")(Effect.succeed("sent")))
      yield* TestClock.adjust("29 seconds")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toBe("sent")
      // another budget is not paused
      expect(yield* rl.withPermit("github:graphql")(Effect.succeed("free"))).toBe("free")
    }).pipe(Effect.provide(limiter)))
})
