/** The credentials a capability request carries in `auth` (token, OAuth or basic), and the bearer secret of one. */
import { Effect, type Redacted, Schema } from "effect"
import { CapabilityError } from "./Errors.js"

export const TokenCredential = Schema.Struct({ token: Schema.Struct({ token: Schema.Redacted(Schema.NonEmptyString) }) })
export const OAuthCredential = Schema.Struct({
  oauth: Schema.Struct({ access_token: Schema.Redacted(Schema.NonEmptyString) })
})
export const BasicCredential = Schema.Struct({
  basic: Schema.Struct({ username: Schema.String, password: Schema.Redacted(Schema.String) })
})
export const AuthCredential = Schema.Union(TokenCredential, OAuthCredential, BasicCredential)
export type AuthCredential = typeof AuthCredential.Type

export const AuthKind = Schema.Literal("token", "oauth", "basic")
export type AuthKind = typeof AuthKind.Type

/** The bearer secret of a token or OAuth credential; a `bad_request` otherwise (as the SDK answers a missing credential). */
export const bearerToken = (auth: AuthCredential | null | undefined): Effect.Effect<Redacted.Redacted<string>, CapabilityError> => {
  if (auth !== undefined && auth !== null && "token" in auth) return Effect.succeed(auth.token.token)
  if (auth !== undefined && auth !== null && "oauth" in auth) return Effect.succeed(auth.oauth.access_token)
  return Effect.fail(
    new CapabilityError({
      code: "bad_request",
      message: "Missing 'token' credential in request: {\"auth\":{\"token\":{\"token\":\"...\"}}}",
      raisedBy: "CapabilityRequestAuthenticationError"
    })
  )
}
