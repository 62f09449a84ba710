/**
 * The HTTP wiring every connector shares, on top of `@effect/platform`'s `HttpClient`:
 *   - relative URLs are resolved against the API's base URL; absolute ones (`Link` next URLs) are kept;
 *   - the bearer token is sent from a `Redacted` and never appears in a log or an error;
 *   - every request takes a permit from our `RateLimiter` and reports the response's headers back;
 *   - 5xx, transport failures and rate-limit refusals are retried with exponential backoff and jitter,
 *     up to a bound. A refusal with `retry-after` waits that long (the limiter's pause gate); without
 *     it, at least `secondaryBackoff.base`, doubling up to `secondaryBackoff.cap`;
 *   - each request, retries included, is one `ApiClient.request` span.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Clock, Data, Duration, Effect, Option, ParseResult, Redacted, Ref, Schedule, Schema } from "effect"
import { ConnectorError } from "../domain/Errors.js"
import { RateLimiter } from "./RateLimiter.js"

export interface RetryPolicy {
  /** retries after the first attempt */
  readonly times: number
  readonly base: Duration.DurationInput
  readonly cap: Duration.DurationInput
}

export const defaultRetry: RetryPolicy = { times: 6, base: "200 millis", cap: "20 seconds" }
/** GitHub asks for at least a minute when a secondary limit gives no `retry-after`. */
export const defaultSecondaryBackoff = { base: "60 seconds", cap: "15 minutes" } as const

export interface ApiClientOptions {
  readonly platform: string
  readonly baseUrl: string
  readonly token: Option.Option<Redacted.Redacted<string>>
  /** the rate budget this client spends from (one per token and API resource) */
  readonly limiterKey: string
  readonly headers?: Readonly<Record<string, string>>
  readonly retry?: RetryPolicy
  readonly secondaryBackoff?: { readonly base: Duration.DurationInput; readonly cap: Duration.DurationInput }
}

/** A response the client judged transient; kept so that, once retries run out, the caller sees it. */
class Transient extends Data.TaggedError("Transient")<{
  readonly response: HttpClientResponse.HttpClientResponse
  readonly kind: "server" | "rate_limit"
}> {}

const lowerHeaders = (response: HttpClientResponse.HttpClientResponse): Record<string, string | undefined> =>
  response.headers as Record<string, string | undefined>

/** 429, or a 403 that says it is a rate limit (headers, or GitHub's message), is a rate-limit refusal. */
export const isRateLimited = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<boolean> => {
  if (response.status === 429) return Effect.succeed(true)
  if (response.status !== 403) return Effect.succeed(false)
  const headers = lowerHeaders(response)
  if (headers["retry-after"] !== undefined || headers["x-ratelimit-remaining"] === "0") return Effect.succeed(true)
  return response.text.pipe(
    Effect.map((body) => /rate limit/i.test(body)),
    Effect.orElseSucceed(() => false)
  )
}

export const makeApiClient = (options: ApiClientOptions) =>
  Effect.gen(function*() {
    const base = yield* HttpClient.HttpClient
    const limiter = yield* RateLimiter
    const retry = options.retry ?? defaultRetry
    const secondary = options.secondaryBackoff ?? defaultSecondaryBackoff
    const baseUrl = options.baseUrl.replace(/\/+$/, "")
    const withPermit = limiter.withPermit(options.limiterKey)

    const backoff = Schedule.exponential(retry.base, 2).pipe(
      Schedule.jittered,
      Schedule.modifyDelay((d) => Duration.min(d, Duration.decode(retry.cap))),
      Schedule.intersect(Schedule.recurs(retry.times))
    )

    const client = base.pipe(
      HttpClient.mapRequest((request) => {
        const absolute = /^https?:\/\//i.test(request.url)
        let r = absolute ? request : HttpClientRequest.setUrl(request, baseUrl + (request.url.startsWith("/") ? "" : "/") + request.url)
        r = HttpClientRequest.setHeaders(r, options.headers ?? {})
        return Option.match(options.token, { onNone: () => r, onSome: (t) => HttpClientRequest.bearerToken(r, t) })
      }),
      HttpClient.transform((effect, request) =>
        Effect.gen(function*() {
          const secondaryHits = yield* Ref.make(0)
          const attempt = withPermit(effect).pipe(
            Effect.tap((response) => limiter.observe(options.limiterKey, { status: response.status, headers: lowerHeaders(response) })),
            Effect.flatMap((response) =>
              Effect.gen(function*() {
                if (response.status >= 500) return yield* Effect.fail(new Transient({ response, kind: "server" }))
                if (yield* isRateLimited(response)) {
                  const headers = lowerHeaders(response)
                  if (headers["retry-after"] === undefined && headers["x-ratelimit-remaining"] !== "0") {
                    // no hint from the platform: at least a minute, exponentially longer each time, capped
                    const n = yield* Ref.getAndUpdate(secondaryHits, (x) => x + 1)
                    const wait = Duration.min(
                      Duration.times(Duration.decode(secondary.base), 2 ** n),
                      Duration.decode(secondary.cap)
                    )
                    const now = yield* Clock.currentTimeMillis
                    yield* limiter.pauseUntil(options.limiterKey, now + Duration.toMillis(wait))
                  }
                  yield* Effect.logWarning("rate limited; waiting before retrying").pipe(
                    Effect.annotateLogs({ platform: options.platform, status: response.status })
                  )
                  return yield* Effect.fail(new Transient({ response, kind: "rate_limit" }))
                }
                return response
              })
            )
          )
          return yield* attempt.pipe(
            Effect.retry({
              schedule: backoff,
              while: (e) => e._tag === "Transient" || (e._tag === "RequestError" && e.reason === "Transport")
            }),
            // out of retries: hand the last response to the caller, which maps its status to an error
            Effect.catchTag("Transient", (t) => Effect.succeed(t.response))
          )
        }).pipe(
          // one span per request, its retries included (never its headers: they carry the token)
          Effect.withSpan("ApiClient.request", {
            attributes: { platform: options.platform, method: request.method, url: safeUrl(request.url) }
          })
        )
      )
    )
    return client
  })

export type ApiClient = Effect.Effect.Success<ReturnType<typeof makeApiClient>>

/** Map a non-2xx response to a `ConnectorError` with a reason and a readable message. */
export const statusError = (
  platform: string,
  response: HttpClientResponse.HttpClientResponse,
  what: string
): Effect.Effect<ConnectorError> =>
  Effect.gen(function*() {
    const body = yield* response.text.pipe(Effect.orElseSucceed(() => ""))
    const detail = extractMessage(body)
    const status = response.status
    const reason = status === 401
      ? "unauthorized"
      : status === 403
      ? (yield* isRateLimited(response)) ? "rate_limited" : "forbidden"
      : status === 404
      ? "not_found"
      : status === 409
      ? "conflict"
      : status === 429
      ? "rate_limited"
      : status >= 500
      ? "api_error"
      : "invalid_request"
    return new ConnectorError({
      reason,
      platform,
      status,
      message: `${platform}: ${what} failed with HTTP ${status}${detail ? `: ${detail}` : ""}`
    })
  })

const extractMessage = (body: string): string => {
  try {
    const parsed: unknown = JSON.parse(body)
    if (typeof parsed === "object" && parsed !== null) {
      const record = parsed as Record<string, unknown>
      const message = record["message"] ?? record["detail"] ?? record["error"]
      if (typeof message === "string") return message.slice(0, 300)
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.slice(0, 200)
}

/** A transport failure (after retries) as a `ConnectorError`; the message names the host, never headers. */
export const transportError = (platform: string) => (error: HttpClientError.HttpClientError): ConnectorError =>
  new ConnectorError({
    reason: "transport",
    platform,
    message: `${platform}: could not reach ${error.request.method} ${safeUrl(error.request.url)}: ${error.reason}${
      error._tag === "RequestError" && error.cause instanceof Error ? ` (${error.cause.message})` : ""
    }`,
    // never the HttpClientError itself: it holds the request, whose headers carry the bearer token
    cause: error._tag === "RequestError" && error.cause instanceof Error ? sanitizedCause(error.cause) : undefined
  })

/** An error's name, message and code, without whatever else it references. */
const sanitizedCause = (cause: Error): Error => {
  const copy = new Error(cause.message)
  copy.name = cause.name
  const code = (cause as { code?: unknown }).code
  if (typeof code === "string") Object.assign(copy, { code })
  return copy
}

const safeUrl = (url: string) => {
  try {
    const u = new URL(url)
    return `${u.origin}${u.pathname}`
  } catch {
    return url.split("?")[0] ?? url
  }
}

/**
 * Read a 2xx body as JSON and decode it with `schema`. A body that is not JSON (a truncated page) and a
 * body of an unexpected shape are `decode` errors that say which, naming `where` (a URL without its
 * query, never headers).
 */
export const readJsonBody = <A, I>(
  platform: string,
  response: HttpClientResponse.HttpClientResponse,
  schema: Schema.Schema<A, I, never>,
  what: string,
  where: string
): Effect.Effect<A, ConnectorError> =>
  response.text.pipe(
    Effect.mapError(transportError(platform)),
    Effect.flatMap((text) => {
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        return Effect.fail(
          new ConnectorError({
            reason: "decode",
            platform,
            status: response.status,
            message: `${platform}: ${what} returned a malformed page (not JSON, ${text.length} bytes) from ${where}`
          })
        )
      }
      return Schema.decodeUnknown(schema, { errors: "all", onExcessProperty: "ignore" })(json).pipe(
        Effect.mapError((error) =>
          new ConnectorError({
            reason: "decode",
            platform,
            status: response.status,
            message: `${platform}: ${what} returned a page of an unexpected shape: ${ParseResult.TreeFormatter.formatErrorSync(error)}`
          })
        )
      )
    })
  )

/**
 * GET-and-decode: a non-2xx answer becomes a `ConnectorError` from its status; a malformed page is
 * fetched again up to `malformedRetries` times; if it stays malformed the error says so, with the URL.
 */
export const getJson = <A, I>(
  client: ApiClient,
  platform: string,
  request: HttpClientRequest.HttpClientRequest,
  schema: Schema.Schema<A, I, never>,
  what: string,
  malformedRetries = 3
): Effect.Effect<{ readonly body: A; readonly response: HttpClientResponse.HttpClientResponse }, ConnectorError> =>
  client.execute(request).pipe(
    Effect.mapError(transportError(platform)),
    Effect.flatMap((response) =>
      response.status >= 200 && response.status < 300
        ? readJsonBody(platform, response, schema, what, safeUrl(request.url)).pipe(Effect.map((body) => ({ body, response })))
        : Effect.flatMap(statusError(platform, response, what), Effect.fail)
    ),
    Effect.retry({ times: malformedRetries, while: (e) => e.reason === "decode", schedule: Schedule.exponential("100 millis") })
  )
