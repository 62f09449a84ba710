/**
 * A TCP proxy on 127.0.0.1 (node:net) in front of a server, that a test can cut and restore: the
 * database outage. Cut: every open connection is destroyed and new ones are closed as soon as they
 * arrive (the client sees a reset, as when the server or the network goes away). Restore: new
 * connections are forwarded again.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net"
import { Effect, type Scope } from "effect"

export interface TcpProxy {
  readonly port: number
  readonly isOpen: () => boolean
  readonly cut: Effect.Effect<void>
  readonly restore: Effect.Effect<void>
  /** connections accepted while open, over the proxy's life */
  readonly connections: () => number
}

export const startTcpProxy = (
  target: { readonly host: string; readonly port: number },
  options: { readonly open?: boolean } = {}
): Effect.Effect<TcpProxy, never, Scope.Scope> =>
  Effect.gen(function*() {
    let open = options.open ?? true
    let accepted = 0
    const live = new Set<Socket>()
    const server = yield* Effect.acquireRelease(
      Effect.async<Server>((resume) => {
        const s = createServer((client) => {
          if (!open) {
            client.destroy()
            return
          }
          accepted++
          const upstream = createConnection({ host: target.host, port: target.port })
          live.add(client)
          live.add(upstream)
          const drop = () => {
            client.destroy()
            upstream.destroy()
            live.delete(client)
            live.delete(upstream)
          }
          client.on("error", drop).on("close", drop)
          upstream.on("error", drop).on("close", drop)
          client.pipe(upstream)
          upstream.pipe(client)
        })
        s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
      }),
      (s) =>
        Effect.async<void>((resume) => {
          for (const socket of live) socket.destroy()
          s.close(() => resume(Effect.void))
        })
    )
    const address = server.address()
    if (address === null || typeof address === "string") return yield* Effect.dieMessage("the proxy has no TCP address")
    return {
      port: address.port,
      isOpen: () => open,
      connections: () => accepted,
      cut: Effect.sync(() => {
        open = false
        for (const socket of live) socket.destroy()
        live.clear()
      }),
      restore: Effect.sync(() => {
        open = true
      })
    }
  })
