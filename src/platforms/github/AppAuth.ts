/**
 * GitHub App authentication: an RS256 JWT signed with the app's private key (`iss` the app id, valid
 * ten minutes at most) buys an installation access token from `POST /app/installations/{id}/access_tokens`.
 * The token lasts an hour; it is bought again before it ends (a fifth of its life, at most five minutes,
 * ahead), one purchase at a time, and never appears in a log or an error.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Clock, Effect, Redacted, Schema } from "effect"
import { createSign } from "node:crypto"
import { ConnectorError } from "../../domain/Errors.js"
import { platform } from "./Settings.js"

export interface AppCredentials {
  readonly appId: string
  readonly installationId: string
  readonly privateKey: Redacted.Redacted<string>
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString("base64url")

/** The app's JWT at `nowMs`: issued a minute back (clock drift, as GitHub advises), expiring in nine minutes. */
export const appJwt = (app: AppCredentials, nowMs: number): string => {
  const now = Math.floor(nowMs / 1000)
  const head = base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }))
  const body = base64url(JSON.stringify({ iat: now - 60, exp: now + 540, iss: app.appId }))
  const signature = createSign("RSA-SHA256").update(`${head}.${body}`).sign(Redacted.value(app.privateKey))
  return `${head}.${body}.${base64url(signature)}`
}

const InstallationToken = Schema.Struct({ token: Schema.NonEmptyString, expires_at: Schema.String })

interface Held {
  readonly token: Redacted.Redacted<string>
  readonly refreshAt: number
}

/** The installation token to send now: bought on first use and again before it ends. */
export const makeInstallationTokens = (app: AppCredentials, apiUrl: string, headers: Readonly<Record<string, string>>) =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const lock = yield* Effect.makeSemaphore(1)
    let held: Held | undefined
    const what = `buy an installation token for GitHub App ${app.appId}, installation ${app.installationId}`
    const fail = (message: string, status?: number) =>
      new ConnectorError({ reason: status === 401 || status === 403 ? "unauthorized" : "api_error", platform, message, ...(status ? { status } : {}) })

    const buy = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const request = HttpClientRequest.post(`${apiUrl}/app/installations/${encodeURIComponent(app.installationId)}/access_tokens`).pipe(
        HttpClientRequest.setHeaders(headers),
        HttpClientRequest.bearerToken(appJwt(app, now))
      )
      const response = yield* http.execute(request).pipe(
        Effect.mapError(() => fail(`${platform}: could not reach ${apiUrl} to ${what}`))
      )
      if (response.status !== 201 && response.status !== 200) {
        return yield* fail(
          `GitHub refused to ${what} (HTTP ${response.status}): check the app id, the installation id and the private key`,
          response.status
        )
      }
      const body = yield* response.json.pipe(
        Effect.flatMap(Schema.decodeUnknown(InstallationToken)),
        Effect.mapError(() => fail(`${platform}: ${what}: the answer is not an installation token`))
      )
      const expires = Date.parse(body.expires_at)
      const life = Math.max(0, expires - now)
      held = { token: Redacted.make(body.token), refreshAt: expires - Math.min(300_000, life / 5) }
      yield* Effect.logDebug("github: installation token bought").pipe(Effect.annotateLogs({ expiresAt: body.expires_at }))
      return held.token
    }).pipe(Effect.withSpan("GitHub.installationToken"))

    const current: Effect.Effect<Redacted.Redacted<string>, ConnectorError> = lock.withPermits(1)(
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        if (held !== undefined && now < held.refreshAt) return held.token
        return yield* buy
      })
    )
    return { current }
  })
