/**
 * Source requests in the metrics: the rate limiter sees every answer of every platform's API (each
 * attempt, retries included) with its status and rate-limit headers, so the program wraps it to report
 * them. The SDK stays free of the services; the connector is read from the run's log annotations
 * (`pipeline/RunRecording.ts` sets them), so each answer is attributed to the connector whose run made it.
 */
import { Effect, FiberRef, HashMap, Layer, Option } from "effect"
import { RateLimiter } from "../sdk/RateLimiter.js"
import { Metrics } from "../services/Metrics.js"

const currentConnector = FiberRef.get(FiberRef.currentLogAnnotations).pipe(
  Effect.map((annotations) =>
    HashMap.get(annotations, "connector").pipe(
      Option.map(String),
      Option.getOrUndefined
    )
  )
)

/** `limiter` with every observed answer also reported to the `Metrics` of the fiber that made the request. */
export const reportingSourceResponses = (limiter: Layer.Layer<RateLimiter>): Layer.Layer<RateLimiter> =>
  Layer.effect(
    RateLimiter,
    Effect.map(RateLimiter, (inner) =>
      RateLimiter.of({
        ...inner,
        observe: (key, response) =>
          inner.observe(key, response).pipe(
            Effect.zipRight(
              Effect.all([Metrics, currentConnector]).pipe(
                Effect.flatMap(([metrics, connector]) =>
                  metrics.sourceResponse({ connector, key, status: response.status, headers: response.headers })
                )
              )
            )
          )
      }))
  ).pipe(Layer.provide(limiter))
