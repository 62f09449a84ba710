import { describe } from "@effect/vitest"
import { Effect } from "effect"
import { GrantStore } from "../../src/services/GrantStore.js"
import { grantStoreContract } from "../support/GrantStoreContract.js"

describe("GrantStore.memory", () => {
  grantStoreContract((f) => f.pipe(Effect.provide(GrantStore.memory)))
})
