/**
 * The HTTP API as a layer on an `HttpServer`: the endpoints of `Api.ts`, `/openapi.json` and the
 * Swagger page at `/docs` from the same definitions, the dashboard at `/`. A route that does not exist
 * answers 404 with a JSON body too. What it serves comes from the program: `Served`, the state stores,
 * the event sink, and the program's `Metrics` and `RunTriggers` instances.
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiSwagger from "@effect/platform/HttpApiSwagger"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Layer } from "effect"
import { Metrics, type MetricsShape } from "../../services/Metrics.js"
import { RunTriggers, type RunTriggersShape } from "../../services/RunTriggers.js"
import type { ApiConfig } from "../AppConfig.js"
import { VerityApi } from "./Api.js"
import { accessLayer } from "./Auth.js"
import { handlersLayer } from "./Handlers.js"

const notFound = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
  HttpServerResponse.json(
    { _tag: "NotFound", message: `no route ${request.method} ${request.url.split("?")[0]}; see /docs` },
    { status: 404 }
  )).pipe(Effect.orDie)

// the router answers an unknown route with an empty 404; every error of this API has a JSON body
const jsonNotFound = HttpApiBuilder.Router.use((router) => router.all("*", notFound))

export const apiLayer = (
  config: ApiConfig,
  program: { readonly metrics: MetricsShape; readonly triggers: RunTriggersShape }
) =>
  HttpApiBuilder.serve().pipe(
    Layer.provide(jsonNotFound),
    Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
    Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
    Layer.provide(
      HttpApiBuilder.api(VerityApi).pipe(
        Layer.provide(handlersLayer),
        Layer.provide(accessLayer(config))
      )
    ),
    Layer.provide(Layer.succeed(Metrics, program.metrics)),
    Layer.provide(Layer.succeed(RunTriggers, program.triggers)),
    HttpServer.withLogAddress
  )
