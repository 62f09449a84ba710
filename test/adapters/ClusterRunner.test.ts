import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Redacted } from "effect"
import { clusterDsn } from "../../src/adapters/ClusterRunner.js"
import { testDatabase } from "../../src/testkit/Postgres.js"
import { waitUntil } from "../support/Program.js"

const client = (dsn: string) =>
  Layer.build(PgClient.layer({ url: Redacted.make(dsn), maxConnections: 1 }).pipe(Layer.orDie)).pipe(
    Effect.map((ctx) => Context.get(ctx, SqlClient.SqlClient))
  )

describe("ClusterRunner: the cluster's PostgreSQL sessions", () => {
  it("keeps the DSN's own options after the cluster's settings", () => {
    const dsn = clusterDsn("postgres://u@db:5432/state?sslmode=disable&options=-c%20statement_timeout%3D5000", "9 seconds")
    const url = new URL(dsn)
    expect(url.searchParams.get("sslmode")).toBe("disable")
    expect(url.searchParams.get("options")).toBe(
      "-c idle_session_timeout=6000 -c idle_in_transaction_session_timeout=6000 -c tcp_keepalives_idle=3 " +
        "-c tcp_keepalives_interval=1 -c tcp_keepalives_count=3 -c statement_timeout=5000"
    )
  })

  it.live("a runner that goes silent (frozen) loses its advisory locks within the idle timeout, so another runner can take its shards", () =>
    Effect.gen(function*() {
      const db = yield* testDatabase
      const dsn = Redacted.value(db.dsn)
      const frozen = yield* client(clusterDsn(dsn, "3 seconds"))
      const other = yield* client(dsn)
      const conn = yield* frozen.reserve
      expect(yield* conn.executeValues("SELECT pg_try_advisory_lock(4242)", [])).toEqual([[true]])
      expect(yield* other`SELECT pg_try_advisory_lock(4242) AS got`).toEqual([{ got: false }])
      // the holder says nothing more, as a SIGSTOPped process would: the server ends its session after
      // 2 s (two thirds of the 3 s lock expiration) and the lock is free
      const start = Date.now()
      yield* waitUntil(
        "the silent session's advisory lock is free",
        other`SELECT pg_try_advisory_lock(4242) AS got`.pipe(
          Effect.map((rows) => rows[0]?.["got"] === true),
          Effect.orDie
        ),
        "10 seconds",
        "200 millis"
      )
      const freedAfter = Date.now() - start
      expect(freedAfter).toBeGreaterThanOrEqual(1500)
      expect(freedAfter).toBeLessThan(3000 + 2000)
    }).pipe(Effect.scoped))
})
