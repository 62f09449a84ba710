/**
 * Every store the state database holds, on one `SqlClient` (PostgreSQL, or the embedded PGlite): the
 * checkpoints, the run records and the grants. A store that lives in the same database joins this layer.
 */
import type { SqlClient } from "@effect/sql"
import { Layer } from "effect"
import type { CheckpointError } from "../domain/Errors.js"
import type { CheckpointStore } from "../services/CheckpointStore.js"
import type { GrantStore } from "../services/GrantStore.js"
import type { RunStore } from "../services/RunStore.js"
import { SqlCheckpointStoreLive } from "./SqlCheckpointStore.js"
import { SqlGrantStoreLive } from "./SqlGrantStore.js"
import { SqlRunStoreLive } from "./SqlRunStore.js"

export type StateStores = CheckpointStore | RunStore | GrantStore

export const SqlStateStoresLive: Layer.Layer<StateStores, CheckpointError, SqlClient.SqlClient> = Layer.mergeAll(
  SqlCheckpointStoreLive,
  SqlRunStoreLive,
  SqlGrantStoreLive
)
