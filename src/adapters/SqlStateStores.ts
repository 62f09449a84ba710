/**
 * Every store the state database holds, on one `SqlClient` (PostgreSQL, or the embedded PGlite): the
 * checkpoints, the run records, the grants, the connectors' conditional caches, the waiting refresh requests and the stream locks (which fence the checkpoints' saves: one
 * `StreamFence` between them). A store that lives in the same database joins this layer.
 */
import type { SqlClient } from "@effect/sql"
import { Layer } from "effect"
import type { CheckpointError } from "../domain/Errors.js"
import type { StateStores } from "../services/StateStores.js"
import { SqlCheckpointStoreLive } from "./SqlCheckpointStore.js"
import { SqlConditionalCacheLive } from "./SqlConditionalCache.js"
import { SqlGrantStoreLive } from "./SqlGrantStore.js"
import { SqlRefreshQueueLive } from "./SqlRefreshQueue.js"
import { SqlRunStoreLive } from "./SqlRunStore.js"
import { StreamFence, SqlStreamLockLive } from "./SqlStreamLock.js"

export type { StateStores }

export const SqlStateStoresLive: Layer.Layer<StateStores, CheckpointError, SqlClient.SqlClient> = Layer.mergeAll(
  SqlCheckpointStoreLive,
  SqlRunStoreLive,
  SqlGrantStoreLive,
  SqlStreamLockLive,
  SqlConditionalCacheLive,
  SqlRefreshQueueLive
).pipe(Layer.provide(StreamFence.layer))
