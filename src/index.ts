/**
 * The public API, for programs that embed the pipeline. Choose implementations here (memory, SQL,
 * Kafka, JSON lines) by providing the Layers you want; the pipeline itself only sees the Tags.
 */
export * from "./domain/Access.js"
export * from "./domain/Checkpoint.js"
export * from "./domain/DeadLetter.js"
export * from "./domain/Errors.js"
export * from "./domain/Ids.js"
export * from "./domain/PermissionSnapshot.js"
export * from "./domain/RawEvent.js"

export * from "./connectors/Connector.js"
export * as Registry from "./connectors/registry.js"
export * from "./connectors/scripted/ScriptedConnector.js"

export * from "./layers/CheckpointStore.js"
export * from "./layers/EventSink.js"
export * from "./layers/RateLimiter.js"
export * as Http from "./layers/Http.js"

export * from "./pipeline/Dedup.js"
export * from "./pipeline/Normalise.js"
export * from "./pipeline/Pipeline.js"
export * as Wire from "./pipeline/Wire.js"
