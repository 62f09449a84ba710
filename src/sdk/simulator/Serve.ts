/** Serving a simulator: its HTTP server on 127.0.0.1 for the scope's life, and the base URL it answers on. */
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Context, Effect, Layer, type Scope } from "effect"
import { createServer } from "node:http"

/** What Node's HTTP server provides to the layer it serves. */
export type ServerServices = Layer.Layer.Success<ReturnType<typeof NodeHttpServer.layer>>

/**
 * Build `server` (e.g. `HttpServer.serve(app)` or `HttpApiBuilder.serve()`) on 127.0.0.1:`port` (0: a
 * free port) until the scope closes; succeed with its base URL, no trailing slash.
 */
export const listen = <E>(
  server: Layer.Layer<never, E, ServerServices>,
  port = 0
): Effect.Effect<string, never, Scope.Scope> =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      server.pipe(Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port, host: "127.0.0.1" })))
    ).pipe(Effect.orDie)
    const address = Context.get(context, HttpServer.HttpServer).address
    return address._tag === "TcpAddress" ? `http://127.0.0.1:${address.port}` : `unix://${address.path}`
  })
