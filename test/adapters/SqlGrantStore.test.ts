import { describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { pgliteClientLayer } from "../../src/adapters/Pglite.js"
import { SqlGrantStoreLive } from "../../src/adapters/SqlGrantStore.js"
import { sqlLayerFor, testDatabase } from "../../src/testkit/Postgres.js"
import { grantStoreContract } from "../support/GrantStoreContract.js"

const onPostgres = SqlGrantStoreLive.pipe(Layer.provide(Layer.unwrapScoped(testDatabase.pipe(Effect.map(sqlLayerFor)))), Layer.orDie)
const onPglite = SqlGrantStoreLive.pipe(Layer.provide(pgliteClientLayer(undefined)), Layer.orDie)

describe("SqlGrantStore", () => {
  layer(onPostgres, { timeout: "30 seconds" })("PostgreSQL", (it) => grantStoreContract(it))
  layer(onPglite, { timeout: "60 seconds" })("embedded PGlite", (it) => grantStoreContract(it))
})
