/**
 * An HTTP proxy on 127.0.0.1 (node:http) in front of a simulator that records every exchange: method, path,
 * request headers and body, status, response headers and body (parsed as JSON when it is). The `Host` header
 * is passed through, so the links a simulator builds from it (`Link` next/last) point back at the proxy and a
 * client paging through them stays recorded.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, type Scope } from "effect"

export interface Exchange {
  readonly method: string
  /** path and query, as the client asked */
  readonly path: string
  readonly requestHeaders: IncomingHttpHeaders
  readonly requestBody: string
  readonly status: number
  readonly responseHeaders: IncomingHttpHeaders
  /** the JSON body, or the raw text when it is not JSON, or undefined when there is none */
  readonly body: unknown
}

export interface RecordingProxy {
  readonly url: string
  readonly exchanges: ReadonlyArray<Exchange>
}

const parsed = (text: string): unknown => {
  if (text.length === 0) return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

export const startRecordingProxy = (target: string): Effect.Effect<RecordingProxy, never, Scope.Scope> =>
  Effect.gen(function*() {
    const upstream = new URL(target)
    const exchanges: Array<Exchange> = []
    const server = yield* Effect.acquireRelease(
      Effect.async<Server>((resume) => {
        const s = createServer((req, res) => {
          const chunks: Array<Buffer> = []
          req.on("data", (c: Buffer) => chunks.push(c))
          req.on("end", () => {
            const requestBody = Buffer.concat(chunks).toString("utf8")
            const out = httpRequest(
              { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
              (answer) => {
                const parts: Array<Buffer> = []
                answer.on("data", (c: Buffer) => parts.push(c))
                answer.on("end", () => {
                  const bytes = Buffer.concat(parts)
                  exchanges.push({
                    method: req.method ?? "GET",
                    path: req.url ?? "/",
                    requestHeaders: req.headers,
                    requestBody,
                    status: answer.statusCode ?? 0,
                    responseHeaders: answer.headers,
                    body: parsed(bytes.toString("utf8"))
                  })
                  res.writeHead(answer.statusCode ?? 502, answer.headers)
                  res.end(bytes)
                })
              }
            )
            out.on("error", () => {
              res.writeHead(502)
              res.end()
            })
            out.end(requestBody)
          })
        })
        s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
      }),
      (s) => Effect.async<void>((resume) => {
        s.closeAllConnections()
        s.close(() => resume(Effect.void))
      })
    )
    const { port } = server.address() as AddressInfo
    return { url: `http://127.0.0.1:${port}`, exchanges }
  })
