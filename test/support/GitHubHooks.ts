/**
 * A real HTTP client with hooks, for tests that need something to happen at a precise point of a pull:
 * `beforeGraphQL` runs before each GraphQL request leaves (with its 1-based count), e.g. a write to the
 * simulator's API between the REST and the GraphQL reads; `editJson` may rewrite a JSON answer's body
 * (e.g. a malformed item in an otherwise good page) for the URLs it names, keeping its status and headers (ETags included).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer } from "effect"

export interface ClientHooks {
  readonly beforeGraphQL?: (n: number) => Effect.Effect<void>
  /** for a URL whose 200 answer is to be rewritten, the rewrite */
  readonly editJson?: (url: URL) => ((body: unknown) => unknown) | undefined
}

export const hookedHttpClient = (hooks: ClientHooks) =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) => {
      let graphqlRequests = 0
      return client.pipe(HttpClient.transform((effect, request) =>
        Effect.gen(function*() {
          const url = new URL(request.url)
          if (url.pathname.endsWith("/graphql") && hooks.beforeGraphQL) yield* hooks.beforeGraphQL(++graphqlRequests)
          const response = yield* effect
          const edit = hooks.editJson?.(url)
          if (edit === undefined || response.status !== 200) return response
          const body = edit(yield* response.json)
          const headers = new Headers()
          for (const [k, v] of Object.entries(response.headers)) headers.set(k, v)
          return HttpClientResponse.fromWeb(request, new Response(JSON.stringify(body), { status: response.status, headers }))
        })
      ))
    })
  ).pipe(Layer.provide(NodeHttpClient.layerUndici))
