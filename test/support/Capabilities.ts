/**
 * Calling a connector's capabilities in tests: every answer is checked against the carried Lumos
 * contract (contracts/lumos) before a test reads it.
 */
import { expect } from "@effect/vitest"
import { Effect } from "effect"
import type { Integration } from "../../src/sdk/capabilities/Executor.js"
import { answerErrors } from "./LumosContract.js"

export interface Answer<R> {
  readonly response: R
  readonly raw_data: unknown
  readonly page: { readonly token: string; readonly size: number } | null
}
export interface ErrorAnswer {
  readonly is_error: true
  readonly error: {
    readonly message: string
    readonly status_code: number | null
    readonly app_error_code: string | null
    readonly error_code: string
    readonly app_id: string
    readonly raised_by: string | null
    readonly raised_in: string | null
  }
}

/** run a capability; its answer must conform to the SDK's model (the response's, or ErrorResponse) */
export const answer = (integration: Integration, capability: string, input: unknown) =>
  integration.run(capability, input).pipe(
    Effect.tap((json) => Effect.sync(() => expect(answerErrors(capability, json), JSON.stringify(json)).toEqual([])))
  )

/** a capability that must succeed */
export const ok = <R>(integration: Integration, capability: string, input: unknown) =>
  answer(integration, capability, input).pipe(
    Effect.tap((json) => Effect.sync(() => expect("is_error" in json, JSON.stringify(json)).toBe(false))),
    Effect.map((json) => json as unknown as Answer<R>)
  )

/** a capability that must answer an ErrorResponse */
export const failed = (integration: Integration, capability: string, input: unknown) =>
  answer(integration, capability, input).pipe(
    Effect.tap((json) => Effect.sync(() => expect(json.is_error, JSON.stringify(json)).toBe(true))),
    Effect.map((json) => (json as unknown as ErrorAnswer).error)
  )

/** every page of a list capability, `size` at a time: the items in order, and how many pages it took */
export const allPages = <R>(integration: Integration, capability: string, input: (page: Record<string, unknown>) => unknown, size: number) =>
  Effect.gen(function*() {
    const items: Array<R> = []
    let token: string | undefined
    let pages = 0
    do {
      const got = yield* ok<ReadonlyArray<R>>(integration, capability, input({ size, ...(token !== undefined ? { token } : {}) }))
      expect(got.response.length).toBeLessThanOrEqual(size)
      items.push(...got.response)
      token = got.page?.token
      pages++
    } while (token !== undefined)
    return { items, pages }
  })
