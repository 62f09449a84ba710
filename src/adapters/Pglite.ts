/**
 * The embedded PostgreSQL: PGlite (Postgres compiled to WASM) with its data under a directory
 * (`.verity/pgdata` by default), served on loopback by `@electric-sql/pglite-socket`, so the program
 * talks to it through the SAME `@effect/sql-pg` client and the same SQL as a real server. A newcomer
 * needs no database server.
 *
 * PGlite runs one query at a time; the socket server takes one connection (its default), so the pool
 * is capped at one connection too.
 */
import { mkdirSync } from "node:fs"
import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import type { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer } from "effect"
import { CheckpointError } from "../domain/Errors.js"

export interface PgliteServer {
  readonly host: string
  readonly port: number
  /** the data directory, or `undefined` for an in-memory database */
  readonly dataDir: string | undefined
}

/**
 * Start PGlite (on `dataDir`, or in memory) and serve it on 127.0.0.1 on a random port until the scope
 * closes. More than one connection is allowed on request (the socket server queues their queries; PGlite
 * still runs one at a time): tests that inspect the database beside the program use that.
 */
export const servePglite = (dataDir: string | undefined, options: { readonly maxConnections?: number } = {}) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true })
        const db = dataDir === undefined ? new PGlite() : new PGlite(dataDir)
        await db.waitReady
        const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: options.maxConnections ?? 1 })
        await server.start()
        const [host, port] = server.getServerConn().split(":")
        return { db, server, host: host ?? "127.0.0.1", port: Number(port) }
      },
      catch: (cause) =>
        new CheckpointError({
          reason: "unavailable",
          message: `embedded PostgreSQL (PGlite${dataDir ? ` at ${dataDir}` : ", in memory"}) did not start: ${
            cause instanceof Error ? cause.message : String(cause)
          }`,
          cause
        })
    }),
    ({ db, server }) =>
      Effect.promise(async () => {
        await server.stop()
        await db.close()
      }).pipe(Effect.timeoutOption("5 seconds"), Effect.ignore)
  ).pipe(
    Effect.tap(({ port }) => Effect.logDebug("embedded PostgreSQL ready").pipe(Effect.annotateLogs({ port, data: dataDir ?? "memory" }))),
    Effect.map(({ host, port }): PgliteServer => ({ host, port, dataDir }))
  )

/** A `PgClient`/`SqlClient` on an embedded PGlite at `dataDir` (or in memory). */
export const pgliteClientLayer = (
  dataDir: string | undefined
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, CheckpointError> =>
  Layer.unwrapScoped(
    servePglite(dataDir).pipe(
      Effect.map(({ host, port }) =>
        PgClient.layer({
          host,
          port,
          username: "postgres",
          database: "postgres",
          maxConnections: 1,
          applicationName: "verity-ingest"
        }).pipe(
          Layer.mapError((e) =>
            new CheckpointError({ reason: "unavailable", message: `embedded PostgreSQL: ${e.message}`, cause: e })
          )
        )
      )
    )
  )
