/**
 * The GitHub HTTP client: three rate budgets (REST `core`, `graphql`, `audit_log`), each behind the
 * foundation's `makeApiClient` (limiter permits, 5xx/transport retries, `retry-after`, backoff), plus
 * what GitHub asks of a good citizen on top of that:
 *   - a secondary limit (403/429 with `retry-after`) pauses every budget of the token, not only the one
 *     that was refused (GitHub's secondary limits are per user, across resources);
 *   - when `x-ratelimit-remaining` drops below the number of requests we may have in flight, the budget
 *     pauses until `x-ratelimit-reset`, so concurrent requests never run into a 403;
 *   - a personal access token, or a GitHub App's installation token (bought and renewed by AppAuth);
 *   - every request says who it is (`User-Agent`, which GitHub requires), what it accepts and the API version;
 *   - conditional GETs with `If-None-Match` from an in-memory ETag cache (a 304 costs no budget);
 *   - a secondary limit without `retry-after` waits at least `secondaryWaitSeconds` (GitHub: 60), then
 *     exponentially longer;
 *   - pacing by GitHub's secondary limits (Pacing.ts): at most 900 points a minute per REST endpoint and
 *     2,000 GraphQL points a minute by default (settings may lower or raise them);
 *   - readable errors: a 403/404 for a missing scope names it (`X-Accepted-OAuth-Scopes`), 401 names the
 *     scopes the token needs, 404 on the org names the org, and no message ever carries the token.
 * Exported for other capabilities (Lumos accounts/resources/entitlements, assign/unassign).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Chunk, Clock, type Duration, Effect, Option, Redacted, Schedule, Schema, Stream } from "effect"
import { createHash } from "node:crypto"
import { ConnectorError } from "../../domain/Errors.js"
import { type ApiClient, makeApiClient, type RetryPolicy, readJsonBody, statusError, transportError } from "../../sdk/Http.js"
import { parseRetryAfter, RateLimiter } from "../../sdk/RateLimiter.js"
import { GraphQLResponse, UnknownPage } from "./Payloads.js"
import { missingScopeMessage, missingScopes } from "./Scopes.js"
import { makeInstallationTokens } from "./AppAuth.js"
import { contentCreationPerMinute, graphqlPointsPerMinute, restPointsPerMinutePerEndpoint } from "./Endpoint.js"
import { makePacer } from "./Pacing.js"
import { appCredentialsOf, defaultSecondaryWaitSeconds, defaultUserAgent, type GitHubSettings, platform } from "./Settings.js"

export type GitHubResource = "core" | "graphql" | "audit_log"

export interface GitHubClientOptions {
  /** retries of 5xx/transport/rate-limit refusals (foundation defaults otherwise) */
  readonly retry?: RetryPolicy
  /** backoff after a secondary limit without `retry-after` (GitHub: at least 60 s) */
  readonly secondaryBackoff?: { readonly base: Duration.DurationInput; readonly cap: Duration.DurationInput }
  /** refetches of a malformed (non-JSON) page before giving up */
  readonly malformedRetries?: number
  /** delay before refetching a malformed page */
  readonly malformedDelay?: Duration.DurationInput
  /** the window the secondary-limit pacing counts over (default 1 minute, GitHub's); tests scale it down */
  readonly pacingWindow?: Duration.DurationInput
  /** requests kept in reserve below `x-ratelimit-remaining` (default: concurrency + 2) */
  readonly budgetReserve?: number
}

export const unauthorizedMessage =
  "GitHub rejected the token (HTTP 401 Bad credentials). It needs the scopes read:org, read:audit_log and repo (for private repositories)."

/** Parse a `Link` header into rel -> URL (URLs kept exactly as given). */
export const parseLink = (header: string | undefined): Record<string, string> => {
  const out: Record<string, string> = {}
  if (!header) return out
  for (const part of header.split(",")) {
    const m = /<([^>]*)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim())
    if (m && m[1] !== undefined && m[2] !== undefined) out[m[2]] = m[1]
  }
  return out
}

const pathOf = (url: string): string => {
  try {
    return new URL(url).pathname
  } catch {
    return url.split("?")[0] ?? url
  }
}

const header = (response: HttpClientResponse.HttpClientResponse, name: string): string | undefined =>
  (response.headers as Record<string, string | undefined>)[name]

/** One cached conditional page: its ETag, what we kept of its body, and its next link. */
export interface CachedPage<V> {
  readonly etag: string
  readonly value: V
  readonly next: Option.Option<string>
}

/** A conditional page read: `changed` is false when GitHub answered 304 and the cached value was reused. */
export interface ConditionalPage<V> {
  readonly value: V
  readonly next: Option.Option<string>
  readonly etag: string
  readonly changed: boolean
}

export interface GitHubClient {
  readonly settings: GitHubSettings
  readonly api: Record<GitHubResource, ApiClient>
  /** GET a JSON page and decode it (200 only); errors mapped to readable `ConnectorError`s */
  readonly getJson: <A, I>(
    resource: GitHubResource,
    url: string,
    schema: Schema.Schema<A, I, never>,
    what: string
  ) => Effect.Effect<{ readonly body: A; readonly next: Option.Option<string> }, ConnectorError>
  /** A conditional GET through `cache`: 304 reuses the cached value at no budget */
  readonly conditional: <V>(
    cache: Map<string, CachedPage<V>>,
    url: string,
    project: (items: ReadonlyArray<unknown>) => V,
    what: string
  ) => Effect.Effect<ConditionalPage<V>, ConnectorError>
  /** Every page of a list, following `Link: rel="next"` as given; each page decoded as unknown items */
  readonly pages: (resource: GitHubResource, firstUrl: string, what: string) => Stream.Stream<ReadonlyArray<unknown>, ConnectorError>
  /**
   * POST a GraphQL query; a RATE_LIMITED answer (HTTP 200) waits for the reset and is retried. A partial
   * answer (errors that each name a path) returns its data: the failed fields are null there
   */
  readonly graphql: (
    query: string,
    variables: Record<string, unknown>,
    what: string
  ) => Effect.Effect<Readonly<Record<string, unknown>>, ConnectorError>
  /** A write (PUT/POST/DELETE) on the REST API; returns the response for the caller to read */
  readonly write: (
    method: "PUT" | "POST" | "DELETE",
    url: string,
    body: unknown,
    what: string
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, ConnectorError>
  /** Map an error to the GitHub-specific message (401 scopes, 404 on the org) */
  readonly explain: (error: ConnectorError, url: string) => ConnectorError
}

const fingerprint = (token: Redacted.Redacted<string>) =>
  createHash("sha256").update(Redacted.value(token)).digest("hex").slice(0, 10)

export const makeGitHubClient = (settings: GitHubSettings, options: GitHubClientOptions = {}) =>
  Effect.gen(function*() {
    const base = yield* HttpClient.HttpClient
    const limiter = yield* RateLimiter
    const app = appCredentialsOf(settings)
    const tokenId = settings.token !== undefined ? fingerprint(settings.token) : `app-${app?.appId}-${app?.installationId}`
    const commonHeaders = {
      accept: "application/vnd.github+json",
      "x-github-api-version": "2022-11-28",
      "user-agent": settings.userAgent ?? defaultUserAgent
    }
    const installationTokens = app ? yield* makeInstallationTokens(app, settings.apiUrl, commonHeaders) : undefined
    const keyOf = (resource: GitHubResource) => `github:${tokenId}:${resource}`
    const allKeys = (["core", "graphql", "audit_log"] as const).map(keyOf)
    const reserve = options.budgetReserve ?? settings.concurrency + 2

    const pacer = yield* makePacer({
      restPointsPerWindow: settings.restPointsPerMinute ?? restPointsPerMinutePerEndpoint,
      graphqlPointsPerWindow: settings.graphqlPointsPerMinute ?? graphqlPointsPerMinute,
      contentCreationPerWindow: settings.contentCreationPerMinute ?? contentCreationPerMinute,
      window: options.pacingWindow ?? "1 minute"
    })
    const bodyText = (request: HttpClientRequest.HttpClientRequest) =>
      request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""

    // The innermost client sees every attempt (makeApiClient retries around it); each is paced first.
    const citizen = base.pipe(
      HttpClient.transform((effect, request) =>
        Effect.zipRight(pacer.pace(request.method, pathOf(request.url), bodyText(request)), effect)
      ),
      HttpClient.transformResponse((effect) =>
        Effect.tap(effect, (response) =>
          Effect.gen(function*() {
            const now = yield* Clock.currentTimeMillis
            if (response.status === 403 || response.status === 429) {
              const wait = parseRetryAfter(header(response, "retry-after"), now)
              if (wait !== undefined) {
                for (const key of allKeys) yield* limiter.pauseUntil(key, now + wait)
              }
            }
            const remaining = Number(header(response, "x-ratelimit-remaining"))
            const reset = Number(header(response, "x-ratelimit-reset"))
            const resource = header(response, "x-ratelimit-resource")
            if (Number.isFinite(remaining) && Number.isFinite(reset) && remaining < reserve && reset * 1000 > now) {
              const key = resource === "graphql" || resource === "audit_log" ? keyOf(resource) : keyOf("core")
              yield* Effect.logDebug("rate budget nearly spent; pausing until reset").pipe(
                Effect.annotateLogs({ resource: resource ?? "core", remaining })
              )
              yield* limiter.pauseUntil(key, reset * 1000)
            }
          })
        )
      )
    )

    const makeOne = (resource: GitHubResource) =>
      makeApiClient({
        platform,
        baseUrl: settings.apiUrl,
        token: Option.fromNullable(settings.token),
        limiterKey: keyOf(resource),
        headers: commonHeaders,
        ...(options.retry ? { retry: options.retry } : {}),
        secondaryBackoff: options.secondaryBackoff ?? {
          base: `${settings.secondaryWaitSeconds ?? defaultSecondaryWaitSeconds} seconds`,
          cap: "15 minutes"
        }
      }).pipe(Effect.provideService(HttpClient.HttpClient, citizen))

    const api: Record<GitHubResource, ApiClient> = {
      core: yield* makeOne("core"),
      graphql: yield* makeOne("graphql"),
      audit_log: yield* makeOne("audit_log")
    }

    const orgPath = `/orgs/${settings.org}`
    const explain = (error: ConnectorError, url: string): ConnectorError => {
      if (error.status === 401) {
        return new ConnectorError({ reason: "unauthorized", platform, status: 401, message: unauthorizedMessage })
      }
      if (error.status === 404) {
        let path = url
        try {
          path = new URL(url, settings.apiUrl).pathname
        } catch {
          // keep the raw url
        }
        if (path.replace(/\/+$/, "") === orgPath || path === `${orgPath}/repos`) {
          return new ConnectorError({
            reason: "not_found",
            platform,
            status: 404,
            message:
              `GitHub organization "${settings.org}" was not found (HTTP 404 on ${orgPath}): check the org name, and that the token can see it.`
          })
        }
      }
      return error
    }

    /** the URL without its query, absolute (for messages) */
    const absolute = (url: string) => {
      const path = url.split("?")[0] ?? url
      return /^https?:\/\//i.test(path) ? path : `${settings.apiUrl}${path.startsWith("/") ? "" : "/"}${path}`
    }

    const malformedRetry = {
      times: options.malformedRetries ?? 3,
      schedule: Schedule.exponential(options.malformedDelay ?? "100 millis"),
      while: (e: ConnectorError) => e.reason === "decode"
    }

    const readBody = <A, I>(
      response: HttpClientResponse.HttpClientResponse,
      url: string,
      schema: Schema.Schema<A, I, never>,
      what: string
    ): Effect.Effect<A, ConnectorError> => readJsonBody(platform, response, schema, what, absolute(url))

    /** With a GitHub App, each request carries the installation token current when it leaves. */
    const execute = (resource: GitHubResource, request: HttpClientRequest.HttpClientRequest) =>
      (installationTokens
        ? Effect.flatMap(installationTokens.current, (token) =>
          api[resource].execute(HttpClientRequest.bearerToken(request, token)).pipe(Effect.mapError(transportError(platform))))
        : api[resource].execute(request).pipe(Effect.mapError(transportError(platform))))

    const failStatus = (response: HttpClientResponse.HttpClientResponse, url: string, what: string) => {
      const granted = header(response, "x-oauth-scopes")
      const missing = response.status === 403 || response.status === 404
        ? missingScopes(header(response, "x-accepted-oauth-scopes"), granted)
        : undefined
      if (missing !== undefined) {
        return Effect.fail(
          new ConnectorError({ reason: "forbidden", platform, status: response.status, message: missingScopeMessage(what, response.status, missing, granted) })
        )
      }
      return statusError(platform, response, what).pipe(Effect.flatMap((e) => Effect.fail(explain(e, url))))
    }

    const getJson = <A, I>(resource: GitHubResource, url: string, schema: Schema.Schema<A, I, never>, what: string) =>
      execute(resource, HttpClientRequest.get(url)).pipe(
        Effect.flatMap((response) =>
          response.status >= 200 && response.status < 300
            ? readBody(response, url, schema, what).pipe(
              Effect.map((body) => ({ body, next: Option.fromNullable(parseLink(header(response, "link"))["next"]) }))
            )
            : failStatus(response, url, what)
        ),
        Effect.retry(malformedRetry),
        Effect.withSpan("GitHub.get", { attributes: { what } })
      )

    const conditional = <V>(
      cache: Map<string, CachedPage<V>>,
      url: string,
      project: (items: ReadonlyArray<unknown>) => V,
      what: string
    ): Effect.Effect<ConditionalPage<V>, ConnectorError> =>
      Effect.suspend(() => {
        const cached = cache.get(url)
        const request = cached
          ? HttpClientRequest.get(url).pipe(HttpClientRequest.setHeader("if-none-match", cached.etag))
          : HttpClientRequest.get(url)
        return execute("core", request).pipe(
          Effect.flatMap((response): Effect.Effect<ConditionalPage<V>, ConnectorError> => {
            if (response.status === 304 && cached) {
              return Effect.succeed({ value: cached.value, next: cached.next, etag: cached.etag, changed: false })
            }
            if (response.status >= 200 && response.status < 300) {
              return readBody(response, url, Schema.Union(UnknownPage, Schema.Unknown), what).pipe(
                Effect.map((body) => {
                  const items = Array.isArray(body) ? (body as ReadonlyArray<unknown>) : [body]
                  const value = project(items)
                  const next = Option.fromNullable(parseLink(header(response, "link"))["next"])
                  const etag = header(response, "etag") ?? ""
                  if (etag !== "") cache.set(url, { etag, value, next })
                  return { value, next, etag, changed: true }
                })
              )
            }
            return failStatus(response, url, what)
          }),
          Effect.retry(malformedRetry),
          Effect.withSpan("GitHub.conditional", { attributes: { what } })
        )
      })

    const pages = (resource: GitHubResource, firstUrl: string, what: string) =>
      Stream.paginateChunkEffect(firstUrl, (url) =>
        getJson(resource, url, UnknownPage, what).pipe(
          Effect.map(({ body, next }) => [Chunk.of(body), next] as const)
        ))

    const graphql = (query: string, variables: Record<string, unknown>, what: string) => {
      const once = Effect.gen(function*() {
        const request = yield* HttpClientRequest.post("/graphql").pipe(
          HttpClientRequest.bodyJson({ query, variables }),
          Effect.orDie
        )
        const response = yield* execute("graphql", request)
        if (response.status < 200 || response.status >= 300) return yield* failStatus(response, "/graphql", what)
        const body = yield* readBody(response, "/graphql", GraphQLResponse, what)
        const errors = body.errors ?? []
        if (errors.some((e) => e.type === "RATE_LIMITED")) {
          const reset = Number(header(response, "x-ratelimit-reset"))
          const now = yield* Clock.currentTimeMillis
          const until = Number.isFinite(reset) && reset * 1000 > now ? reset * 1000 : now + 60_000
          yield* limiter.pauseUntil(keyOf("graphql"), until)
          yield* Effect.logWarning("GitHub GraphQL budget spent; waiting for the reset")
          return yield* new ConnectorError({ reason: "rate_limited", platform, message: `${platform}: ${what}: GraphQL rate limit exceeded` })
        }
        const insufficient = errors.find((e) => e.type === "INSUFFICIENT_SCOPES")
        if (insufficient) {
          const granted = header(response, "x-oauth-scopes")
          const missing = missingScopes(header(response, "x-accepted-oauth-scopes"), granted)
          return yield* new ConnectorError({
            reason: "forbidden",
            platform,
            status: response.status,
            message: missing ? missingScopeMessage(what, response.status, missing, granted) : `GitHub refused to ${what}: ${insufficient.message}`
          })
        }
        // a partial answer: every error names where it struck; the caller asks again for those parts
        if (body.data && errors.length > 0 && errors.every((e) => e.path !== undefined && e.path.length > 0)) {
          yield* Effect.logWarning("github: GraphQL answered in part").pipe(
            Effect.annotateLogs({ what, failed: errors.map((e) => String(e.path?.[0])).join(",") })
          )
          return body.data
        }
        if (errors.length > 0 || !body.data) {
          return yield* new ConnectorError({
            reason: "api_error",
            platform,
            status: response.status,
            message: `${platform}: ${what}: GraphQL errors: ${errors.map((e) => e.message).join("; ").slice(0, 400)}`
          })
        }
        return body.data
      })
      return once.pipe(
        Effect.retry({ times: 5, while: (e) => e.reason === "rate_limited" }),
        Effect.retry(malformedRetry),
        Effect.withSpan("GitHub.graphql", { attributes: { what } })
      )
    }

    const write = (method: "PUT" | "POST" | "DELETE", url: string, body: unknown, what: string) =>
      Effect.gen(function*() {
        const request = method === "DELETE"
          ? HttpClientRequest.del(url)
          : yield* (method === "PUT" ? HttpClientRequest.put(url) : HttpClientRequest.post(url)).pipe(HttpClientRequest.bodyJson(body), Effect.orDie)
        const response = yield* execute("core", request)
        if (response.status >= 200 && response.status < 300) return response
        return yield* failStatus(response, url, what)
      }).pipe(Effect.withSpan("GitHub.write", { attributes: { method, what } }))

    return { settings, api, getJson, conditional, pages, graphql, write, explain } satisfies GitHubClient
  })



