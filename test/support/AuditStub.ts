/**
 * A tiny stand-in for GitHub's audit-log endpoint that serves crafted pages verbatim (raw JSON text,
 * so a page can hold what `JSON.stringify` would never write: `1e400`, a lone surrogate escape, a
 * body that is not an array), paged with GitHub's `Link: <...?after=N>; rel="next"`. Every other path
 * answers 404. Runs on 127.0.0.1, random port, for as long as the scope lives.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Context, Effect, Layer } from "effect"
import { createServer } from "node:http"

export interface AuditStub {
  readonly url: string
  readonly org: string
  readonly token: string
  /** how many audit-log requests were answered */
  readonly requests: Effect.Effect<number>
}

export const startAuditStub = (options: { readonly org: string; readonly token: string; readonly pages: ReadonlyArray<string> }) =>
  Effect.gen(function*() {
    let requests = 0
    const handler = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const url = new URL(request.url, "http://stub")
      if (request.headers["authorization"] !== `Bearer ${options.token}`) {
        return HttpServerResponse.text(JSON.stringify({ message: "Bad credentials", status: "401" }), {
          status: 401,
          contentType: "application/json"
        })
      }
      if (url.pathname !== `/orgs/${options.org}/audit-log`) {
        return HttpServerResponse.text(JSON.stringify({ message: "Not Found" }), { status: 404, contentType: "application/json" })
      }
      requests++
      const index = Number(url.searchParams.get("after") ?? "0")
      const body = options.pages[index] ?? "[]"
      const next = index + 1 < options.pages.length
        ? { link: `</orgs/${options.org}/audit-log?order=asc&after=${index + 1}>; rel="next"` }
        : {}
      return HttpServerResponse.text(body, { status: 200, contentType: "application/json", headers: next })
    })
    const app = HttpRouter.empty.pipe(HttpRouter.all("*", handler))
    const ServerLive = HttpServer.serve(app).pipe(
      Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" }))
    )
    const context = yield* Layer.build(ServerLive).pipe(Effect.orDie)
    const address = Context.get(context, HttpServer.HttpServer).address
    const url = address._tag === "TcpAddress" ? `http://127.0.0.1:${address.port}` : `unix://${address.path}`
    return {
      url,
      org: options.org,
      token: options.token,
      requests: Effect.sync(() => requests)
    } satisfies AuditStub
  })
