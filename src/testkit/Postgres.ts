/**
 * A database of the test's own. Uses the PostgreSQL at `VERITY_TEST_POSTGRES_DSN` (default
 * `postgres://postgres@127.0.0.1:5432/test`): creates a fresh database, drops it afterwards. When no server
 * answers there, the same suite runs on PGlite (in memory, served on loopback) and says so in one line.
 */
import { randomBytes } from "node:crypto"
import { PgClient } from "@effect/sql-pg"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Redacted } from "effect"
import type { SqlError } from "@effect/sql/SqlError"
import { servePglite } from "../adapters/Pglite.js"

export const baseDsn = process.env.VERITY_TEST_POSTGRES_DSN ?? "postgres://postgres@127.0.0.1:5432/test"

export interface TestDatabase {
  readonly dsn: Redacted.Redacted<string>
  readonly backend: "postgres" | "pglite"
  /** run one SQL statement on the test database (outside the program under test) */
  readonly query: <A = Record<string, unknown>>(text: string, params?: ReadonlyArray<unknown>) => Effect.Effect<ReadonlyArray<A>>
}

const withSql = <A>(dsn: string, f: (sql: SqlClient.SqlClient) => Effect.Effect<A, SqlError>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* f(sql)
  }).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(dsn), maxConnections: 1, connectTimeout: "3 seconds" })),
    Effect.scoped
  )

const run = <A>(dsn: string, text: string, params: ReadonlyArray<unknown> = []) =>
  withSql(dsn, (sql) => sql.unsafe<A & object>(text, [...params] as Array<never>)).pipe(
    Effect.map((rows): ReadonlyArray<A> => rows),
    Effect.orDie
  )

const reachable = withSql(baseDsn, (sql) => sql`SELECT 1`).pipe(Effect.as(true), Effect.orElseSucceed(() => false))

const dsnFor = (database: string) => {
  const url = new URL(baseDsn)
  url.pathname = `/${database}`
  return url.toString()
}

/** A fresh database for the scope's life. */
export const testDatabase: Effect.Effect<TestDatabase, never, import("effect").Scope.Scope> = Effect.gen(function*() {
  if (yield* reachable) {
    const name = `verity_test_${randomBytes(6).toString("hex")}`
    yield* Effect.acquireRelease(
      run(baseDsn, `CREATE DATABASE ${name}`),
      () => run(baseDsn, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).pipe(Effect.ignore)
    )
    const dsn = dsnFor(name)
    return {
      dsn: Redacted.make(dsn),
      backend: "postgres" as const,
      query: <A>(text: string, params: ReadonlyArray<unknown> = []) => run<A>(dsn, text, params)
    }
  }
  yield* Effect.logWarning(`no PostgreSQL answers at ${new URL(baseDsn).host}: running this suite on PGlite instead`)
  const server = yield* servePglite(undefined, { maxConnections: 8 }).pipe(Effect.orDie)
  const dsn = `postgres://postgres@${server.host}:${server.port}/postgres`
  return {
    dsn: Redacted.make(dsn),
    backend: "pglite" as const,
    query: <A>(text: string, params: ReadonlyArray<unknown> = []) => run<A>(dsn, text, params)
  }
})

/** A `SqlClient` on a fresh test database, plus the database itself. */
export const sqlLayerFor = (db: TestDatabase): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient> =>
  PgClient.layer({ url: db.dsn, maxConnections: db.backend === "pglite" ? 1 : 4 }).pipe(Layer.orDie)
