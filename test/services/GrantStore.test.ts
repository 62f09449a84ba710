import { layer } from "@effect/vitest"
import { GrantStore } from "../../src/services/GrantStore.js"
import { grantStoreContract } from "../support/GrantStoreContract.js"

layer(GrantStore.memory)("GrantStore.memory", (it) => grantStoreContract(it))
