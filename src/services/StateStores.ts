/** Every state store in memory (tests, and programs that keep no state between runs). */
import { Layer } from "effect"
import { CheckpointStore } from "./CheckpointStore.js"
import { RunStore } from "./RunStore.js"
import { StreamLock } from "./StreamLock.js"

export type StateStores = CheckpointStore | RunStore | StreamLock

export const memoryStateStores: Layer.Layer<StateStores> = Layer.mergeAll(CheckpointStore.memory, RunStore.memory, StreamLock.memory)
