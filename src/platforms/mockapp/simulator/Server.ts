/**
 * The MockApp mock API server (the Lumos tutorial's FastAPI `mock_api_server.py`), in memory and
 * deterministic from a seed, served on 127.0.0.1 with the API's docs pages (`/docs`, `/redoc`) and
 * OpenAPI document, FastAPI's error shapes (422 `detail` list, 404 `Not Found`, 405), and fault
 * injection (503, 429 with `retry-after`, latency) on the API routes only.
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiSwagger from "@effect/platform/HttpApiSwagger"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Layer, type Scope } from "effect"
import { delay, rollFault } from "../../../sdk/simulator/Faults.js"
import { mulberry32 } from "../../../sdk/simulator/SeededRandom.js"
import { listen } from "../../../sdk/simulator/Serve.js"
import { MockAppApi } from "./Api.js"
import { fastApiShape } from "./FastApi.js"
import { authorizationLayer, handlersLayer } from "./Handlers.js"
import { type MockAppState, type MutableState, seedState } from "./State.js"

export interface MockAppSimulatorOptions {
  /** 0 (the default) picks a free port */
  readonly port?: number
  /** the bearer token every route but health expects; default `valid-token` */
  readonly token?: string
  readonly seed?: number
  /** seeded users; default 12 */
  readonly users?: number
  /** fault injection (deterministic from the seed): share of API requests answered 503 */
  readonly errorRate?: number
  /** share of API requests refused with 429 and `retry-after: 1` */
  readonly rateLimitRate?: number
  /** added to every response */
  readonly latencyMs?: number
}

export interface MockAppSimulator {
  /** base URL, no trailing slash */
  readonly url: string
  readonly token: string
  /** a copy of what the server holds now */
  readonly state: Effect.Effect<MockAppState>
}

/** Serve the MockApp API on 127.0.0.1 until the scope closes. */
export const startMockAppSimulator = (
  options: MockAppSimulatorOptions = {}
): Effect.Effect<MockAppSimulator, never, Scope.Scope> =>
  Effect.gen(function*() {
    const token = options.token ?? "valid-token"
    const seeded = seedState(options.seed ?? 42, options.users ?? 12)
    const state: MutableState = {
      users: [...seeded.users],
      resources: seeded.resources,
      entitlements: seeded.entitlements,
      associations: [...seeded.associations],
      logins: [...seeded.logins],
      nextUser: seeded.nextUser,
      injectedFaults: 0
    }
    const ApiLive = HttpApiBuilder.api(MockAppApi).pipe(
      Layer.provide(handlersLayer(state)),
      Layer.provide(authorizationLayer(token))
    )
    // faults hit the API only: health, the docs and the OpenAPI document always answer
    const faults = mulberry32((options.seed ?? 42) ^ 0x5eed)
    const rates = [[options.errorRate ?? 0, "unavailable"], [options.rateLimitRate ?? 0, "rate_limited"]] as const
    const withFaults = (app: HttpApp.Default): HttpApp.Default =>
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        yield* delay(options.latencyMs ?? 0)
        if (request.url.startsWith("/api/") && !request.url.startsWith("/api/health")) {
          const fault = rollFault(faults, rates)
          if (fault !== undefined) state.injectedFaults++
          if (fault === "unavailable") {
            return HttpServerResponse.unsafeJson({ detail: "Service temporarily unavailable (injected)" }, { status: 503 })
          }
          if (fault === "rate_limited") {
            return HttpServerResponse.unsafeJson({ detail: "Too many requests (injected)" }, {
              status: 429,
              headers: { "retry-after": "1" }
            })
          }
        }
        return yield* app
      })
    const url = yield* listen(
      HttpApiBuilder.serve((app) => fastApiShape(withFaults(app))).pipe(
        Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
        Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
        Layer.provide(ApiLive)
      ),
      options.port ?? 0
    )
    yield* Effect.logInfo(`MockApp simulator listening on ${url}`)
    return {
      url,
      token,
      state: Effect.sync((): MockAppState => ({
        users: state.users.map((u) => ({ ...u })),
        resources: state.resources,
        entitlements: state.entitlements,
        associations: state.associations.map((a) => ({ ...a })),
        logins: [...state.logins],
        injectedFaults: state.injectedFaults
      }))
    }
  })
