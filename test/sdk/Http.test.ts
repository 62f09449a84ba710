import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Option, Redacted, Ref, TestClock, type Tracer } from "effect"
import { makeApiClient } from "../../src/sdk/Http.js"
import { RateLimiter } from "../../src/sdk/RateLimiter.js"

const limiter = RateLimiter.layer({ limit: 1000, interval: "1 second", maxConcurrency: 4 })

/** A scripted HttpClient: answers each request with the next scripted response, recording when it was sent. */
const scripted = (responses: ReadonlyArray<{ status: number; headers?: Record<string, string>; body?: string }>) =>
  Effect.gen(function*() {
    const sentAt = yield* Ref.make<ReadonlyArray<number>>([])
    const next = yield* Ref.make(0)
    const client = HttpClient.make((request) =>
      Effect.gen(function*() {
        const now = yield* TestClock.currentTimeMillis
        yield* Ref.update(sentAt, (all) => [...all, now])
        const i = yield* Ref.getAndUpdate(next, (n) => n + 1)
        const r = responses[Math.min(i, responses.length - 1)]!
        return HttpClientResponse.fromWeb(
          request,
          new Response(r.body ?? "{}", { status: r.status, headers: { "content-type": "application/json", ...r.headers } })
        )
      })
    )
    return { client, sentAt: Ref.get(sentAt) }
  })

describe("RateLimiter (through the API client)", () => {
  it.effect("a retry-after: 5 delays the retry by 5 s", () =>
    Effect.gen(function*() {
      const { client, sentAt } = yield* scripted([
        { status: 429, headers: { "retry-after": "5" }, body: "{\"message\":\"slow down\"}" },
        { status: 200, body: "[]" }
      ])
      const api = yield* makeApiClient({
        platform: "test",
        baseUrl: "http://api.test",
        token: Option.some(Redacted.make("t0ken")),
        limiterKey: "test",
        retry: { times: 3, base: "10 millis", cap: "10 millis" }
      }).pipe(Effect.provide(Layer.succeed(HttpClient.HttpClient, client)))
      const fiber = yield* Effect.fork(api.execute(HttpClientRequest.get("/things")))
      yield* TestClock.adjust("4900 millis")
      expect(yield* sentAt).toEqual([0])
      yield* TestClock.adjust("200 millis")
      const response = yield* Fiber.join(fiber)
      expect(response.status).toBe(200)
      const times = yield* sentAt
      expect(times).toHaveLength(2)
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(Duration.toMillis("5 seconds"))
    }).pipe(Effect.provide(limiter)))

  it.effect("a 5xx is retried with backoff and a lasting one is handed back after the bound", () =>
    Effect.gen(function*() {
      const { client, sentAt } = yield* scripted([{ status: 502 }])
      const api = yield* makeApiClient({
        platform: "test",
        baseUrl: "http://api.test",
        token: Option.none(),
        limiterKey: "test",
        retry: { times: 3, base: "100 millis", cap: "1 second" }
      }).pipe(Effect.provide(Layer.succeed(HttpClient.HttpClient, client)))
      const fiber = yield* Effect.fork(api.execute(HttpClientRequest.get("/things")))
      yield* TestClock.adjust("10 seconds")
      const response = yield* Fiber.join(fiber)
      expect(response.status).toBe(502)
      expect(yield* sentAt).toHaveLength(4) // the first attempt and three retries
    }).pipe(Effect.provide(limiter)))

  it.effect("a secondary limit without retry-after backs off at least 60 s", () =>
    Effect.gen(function*() {
      const { client, sentAt } = yield* scripted([
        { status: 403, body: "{\"message\":\"You have exceeded a secondary rate limit\"}" },
        { status: 200 }
      ])
      const api = yield* makeApiClient({
        platform: "test",
        baseUrl: "http://api.test",
        token: Option.none(),
        limiterKey: "test",
        retry: { times: 3, base: "10 millis", cap: "10 millis" }
      }).pipe(Effect.provide(Layer.succeed(HttpClient.HttpClient, client)))
      const fiber = yield* Effect.fork(api.execute(HttpClientRequest.get("/things")))
      yield* TestClock.adjust("59 seconds")
      expect(yield* sentAt).toHaveLength(1)
      yield* TestClock.adjust("2 seconds")
      expect((yield* Fiber.join(fiber)).status).toBe(200)
    }).pipe(Effect.provide(limiter)))

  it.effect("each request, its retries included, is one ApiClient.request span naming the URL, never the token", () =>
    Effect.gen(function*() {
      const spans: Array<{ readonly name: string; readonly attributes: ReadonlyMap<string, unknown> }> = []
      let attempt = 0
      const client = HttpClient.make((request) =>
        Effect.gen(function*() {
          // the spans this attempt runs in, innermost first
          const current = yield* Effect.currentSpan.pipe(Effect.option)
          let span: Option.Option<Tracer.AnySpan> = current
          while (Option.isSome(span)) {
            if (span.value._tag === "Span") spans.push({ name: span.value.name, attributes: span.value.attributes })
            span = span.value._tag === "Span" ? span.value.parent : Option.none()
          }
          attempt++
          return HttpClientResponse.fromWeb(request, new Response("{}", { status: attempt === 1 ? 503 : 200 }))
        })
      )
      const api = yield* makeApiClient({
        platform: "test",
        baseUrl: "http://api.test",
        token: Option.some(Redacted.make("s3cret-token")),
        limiterKey: "test",
        retry: { times: 3, base: "10 millis", cap: "10 millis" }
      }).pipe(Effect.provide(Layer.succeed(HttpClient.HttpClient, client)))
      const fiber = yield* Effect.fork(api.execute(HttpClientRequest.get("/things?page=2")))
      yield* TestClock.adjust("1 second")
      expect((yield* Fiber.join(fiber)).status).toBe(200)
      const ours = spans.filter((s) => s.name === "ApiClient.request")
      expect(ours).toHaveLength(2) // seen from both attempts: the same one span
      expect(new Set(ours.map((s) => s.attributes)).size).toBe(1)
      expect(Object.fromEntries(ours[0]!.attributes)).toEqual({ platform: "test", method: "GET", url: "http://api.test/things" })
      expect(JSON.stringify([...ours[0]!.attributes.values()])).not.toContain("s3cret")
    }).pipe(Effect.provide(limiter)))
})
