/**
 * What makes the MockApp simulator answer as the tutorial's FastAPI server does, around the HttpApi
 * app: `/redoc` beside `/docs`; a request that fails validation is 422
 * `{"detail": [{"loc", "msg", "type"}]}`; an unknown route is 404 `{"detail": "Not Found"}`; a known
 * route with another method is 405 `{"detail": "Method Not Allowed"}`.
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Option, Schema } from "effect"
import { MockAppApi } from "./Api.js"

/** each route of the API: its method and a matcher for its path (`:id` matches one segment) */
const routes: ReadonlyArray<{ readonly method: string; readonly path: RegExp }> = (() => {
  const found: Array<{ method: string; path: RegExp }> = []
  HttpApi.reflect(MockAppApi, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => {
      const pattern = endpoint.path.split("/").map((part) => (part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      found.push({ method: endpoint.method, path: new RegExp(`^${pattern.join("/")}/?$`) })
    }
  })
  return [
    ...found,
    // the docs and the OpenAPI document
    { method: "GET", path: /^\/docs\/?$/ },
    { method: "GET", path: /^\/redoc\/?$/ },
    { method: "GET", path: /^\/openapi\.json$/ }
  ]
})()

const redocPage = `<!DOCTYPE html>
<html>
<head>
<title>MockApp API - ReDoc</title>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<noscript>ReDoc requires Javascript to function. Please enable it to browse the documentation.</noscript>
<redoc spec-url="/openapi.json"></redoc>
<script src="https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"></script>
</body>
</html>`

const Issue = Schema.Struct({ _tag: Schema.String, path: Schema.Array(Schema.Union(Schema.String, Schema.Number)), message: Schema.String })
type Issue = typeof Issue.Type
const DecodeFailure = Schema.Struct({ _tag: Schema.Literal("HttpApiDecodeError"), issues: Schema.Array(Issue) })
const decodeError = Schema.decodeUnknownOption(Schema.parseJson(DecodeFailure))

/** FastAPI's error `type` for an Effect parse issue */
const issueType = (tag: string, message: string) =>
  message.includes("is missing") ? "missing" : tag === "Transformation" ? "value_error" : tag === "Type" ? "type_error" : "value_error"

const notFoundOrNotAllowed = (method: string, path: string, otherwise: HttpServerResponse.HttpServerResponse) => {
  const known = routes.filter((r) => r.path.test(path))
  return known.length === 0
    ? HttpServerResponse.unsafeJson({ detail: "Not Found" }, { status: 404 })
    : known.some((r) => r.method === method)
    ? otherwise
    : HttpServerResponse.unsafeJson({ detail: "Method Not Allowed" }, {
      status: 405,
      headers: { allow: [...new Set(known.map((r) => r.method))].join(", ") }
    })
}

const unprocessable = (method: string, issues: ReadonlyArray<Issue>) => {
  const where = method === "GET" || method === "DELETE" ? "query" : "body"
  return HttpServerResponse.unsafeJson({
    detail: issues.map((issue) => ({ loc: [where, ...issue.path], msg: issue.message, type: issueType(issue._tag, issue.message) }))
  }, { status: 422 })
}

/** the API's answer, reshaped as FastAPI would have answered */
const reshape = (method: string, path: string, response: HttpServerResponse.HttpServerResponse) => {
  if (response.status === 404 && response.body._tag === "Empty") return notFoundOrNotAllowed(method, path, response)
  if (response.status === 400 && response.body._tag === "Uint8Array") {
    const parsed = decodeError(new TextDecoder().decode(response.body.body))
    if (Option.isSome(parsed)) return unprocessable(method, parsed.value.issues)
  }
  return response
}

/**
 * Serve-middleware: `/redoc` here; every other answer (the router's own 404 and the API's decode
 * failures included) passes through `reshape` just before it is sent.
 */
export const fastApiShape = (app: HttpApp.Default): HttpApp.Default =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const path = new URL(request.url, "http://localhost").pathname
    if (request.method === "GET" && /^\/redoc\/?$/.test(path)) {
      return HttpServerResponse.text(redocPage, { contentType: "text/html; charset=utf-8" })
    }
    yield* HttpApp.appendPreResponseHandler((_, response) => Effect.succeed(reshape(request.method, path, response)))
    return yield* app
  })
