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

export * from "./sdk/Connector.js"
export * as Registry from "./platforms/registry.js"
export * from "./sdk/ScriptedConnector.js"

export * from "./services/CheckpointStore.js"
export * from "./services/EventSink.js"
export * from "./sdk/RateLimiter.js"
export * as Http from "./sdk/Http.js"

export * from "./pipeline/Dedup.js"
export * from "./pipeline/Normalise.js"
export * from "./pipeline/Pipeline.js"
export * as Wire from "./pipeline/Wire.js"

// Production implementations of the services, for an embedding program to choose from
export * as AppConfig from "./app/AppConfig.js"
export { kafkaSinkLayer } from "./adapters/KafkaSink.js"
export { jsonlSinkLayer, JsonlSinkStats } from "./adapters/JsonlSink.js"
export { makeSqlCheckpointStore, migrate, SqlCheckpointStoreLive } from "./adapters/SqlCheckpointStore.js"
export { pgliteClientLayer, servePglite } from "./adapters/Pglite.js"
export * as Scheduler from "./pipeline/Scheduler.js"

// The Lumos capability model, and the platforms that ship with the SDK (each with its simulator)
export * as Capabilities from "./sdk/capabilities/Executor.js"
export { GitHubDefinition, makeGitHubConnector } from "./platforms/github/Connector.js"
export { startGitHubSimulator } from "./platforms/github/simulator/Server.js"
export { makeMockAppConnector, MockAppDefinition } from "./platforms/mockapp/Connector.js"
export { startMockAppSimulator } from "./platforms/mockapp/simulator/Server.js"
