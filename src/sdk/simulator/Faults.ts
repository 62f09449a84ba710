/**
 * Fault injection for simulators, deterministic from a seeded PRNG: each request rolls for the faults
 * it may meet (latency, errors, rate limits, malformed pages).
 */
import { Effect } from "effect"

/** True for a `rate` share of calls (never when `rate` is 0, and then `rng` is not consumed). */
export const chance = (rng: () => number, rate: number): boolean => rate > 0 && rng() < rate

/** One roll of `rng` picks at most one fault, each taking its `rate` share of requests, in order. */
export const rollFault = <F>(rng: () => number, faults: ReadonlyArray<readonly [rate: number, fault: F]>): F | undefined => {
  const roll = rng()
  let upTo = 0
  for (const [rate, fault] of faults) {
    upTo += rate
    if (roll < upTo) return fault
  }
  return undefined
}

/**
 * Wait `ms` on the wall clock. A simulator serves real clients: its latency must not follow a test's
 * `TestClock`, which its server fibers would otherwise inherit.
 */
export const delay = (ms: number): Effect.Effect<void> =>
  ms <= 0 ? Effect.void : Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/** A page cut in half: what a malformed (truncated) JSON answer looks like. */
export const truncate = (text: string): string => text.slice(0, Math.max(1, Math.floor(text.length / 2)))
