import { describe } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { pgliteClientLayer } from "../../src/adapters/Pglite.js"
import { SqlGrantStoreLive } from "../../src/adapters/SqlGrantStore.js"
import { sqlLayerFor, testDatabase } from "../../src/testkit/Postgres.js"
import { grantStoreContract } from "../support/GrantStoreContract.js"

const onPostgres = SqlGrantStoreLive.pipe(Layer.provide(Layer.unwrapScoped(testDatabase.pipe(Effect.map(sqlLayerFor)))), Layer.orDie)
const onPglite = SqlGrantStoreLive.pipe(Layer.provide(pgliteClientLayer(undefined)), Layer.orDie)

describe("SqlGrantStore", () => {
  grantStoreContract("PostgreSQL", onPostgres, "30 seconds")
  grantStoreContract("embedded PGlite", onPglite, "60 seconds")
})
