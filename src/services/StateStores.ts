/** Every state store in memory (tests, and programs that keep no state between runs). */
import { Layer } from "effect"
import { ConditionalCache } from "../sdk/ConditionalCache.js"
import { CheckpointStore } from "./CheckpointStore.js"
import { GrantStore } from "./GrantStore.js"
import { RefreshQueue } from "./RefreshQueue.js"
import { RunStore } from "./RunStore.js"
import { StreamLock } from "./StreamLock.js"

export type StateStores = CheckpointStore | RunStore | GrantStore | StreamLock | ConditionalCache | RefreshQueue

export const memoryStateStores: Layer.Layer<StateStores> = Layer.mergeAll(
  CheckpointStore.memory,
  RunStore.memory,
  GrantStore.memory,
  StreamLock.memory,
  ConditionalCache.memory,
  RefreshQueue.memory
)
