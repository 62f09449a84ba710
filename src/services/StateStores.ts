/** Every state store in memory (tests, and programs that keep no state between runs). */
import { Layer } from "effect"
import { CheckpointStore } from "./CheckpointStore.js"
import { RunStore } from "./RunStore.js"

export type StateStores = CheckpointStore | RunStore

export const memoryStateStores: Layer.Layer<StateStores> = Layer.mergeAll(CheckpointStore.memory, RunStore.memory)
