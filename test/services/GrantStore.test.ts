import { GrantStore } from "../../src/services/GrantStore.js"
import { grantStoreContract } from "../support/GrantStoreContract.js"

grantStoreContract("GrantStore.memory", GrantStore.memory)
