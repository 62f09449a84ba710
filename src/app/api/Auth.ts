/**
 * Bearer tokens. Mutations always need `api.token`; reads need it unless `api.readsOpen`. Tokens are
 * compared in constant time: both sides are hashed to SHA-256 first, so `timingSafeEqual` sees equal
 * lengths and the comparison says nothing about the token's length either.
 */
import { createHash, timingSafeEqual } from "node:crypto"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import { Effect, Layer, Redacted } from "effect"
import type { ApiConfig } from "../AppConfig.js"
import { Unauthorized } from "./Errors.js"

export class ReadAccess extends HttpApiMiddleware.Tag<ReadAccess>()("verity/api/ReadAccess", {
  failure: Unauthorized,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

export class WriteAccess extends HttpApiMiddleware.Tag<WriteAccess>()("verity/api/WriteAccess", {
  failure: Unauthorized,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest()

/** Constant-time equality of a presented token and the configured one. */
export const tokenMatches = (presented: Redacted.Redacted<string>, expected: Redacted.Redacted<string>): boolean =>
  timingSafeEqual(digest(Redacted.value(presented)), digest(Redacted.value(expected)))

const check = (expected: Redacted.Redacted<string> | undefined, what: string) => (presented: Redacted.Redacted<string>) =>
  Effect.suspend(() => {
    if (expected === undefined) {
      return Effect.fail(new Unauthorized({ message: `${what} need api.token to be configured` }))
    }
    if (Redacted.value(presented) === "") {
      return Effect.fail(new Unauthorized({ message: `${what} need a bearer token (Authorization: Bearer <api.token>)` }))
    }
    return tokenMatches(presented, expected)
      ? Effect.void
      : Effect.fail(new Unauthorized({ message: "the bearer token is wrong" }))
  })

export const accessLayer = (config: ApiConfig) =>
  Layer.merge(
    Layer.succeed(ReadAccess, {
      bearer: config.readsOpen ? () => Effect.void : check(config.token, "reads")
    }),
    Layer.succeed(WriteAccess, { bearer: check(config.token, "changes") })
  )
