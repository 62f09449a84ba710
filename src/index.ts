/**
 * The public API, for programs that embed the pipeline. Choose implementations here (memory, SQL,
 * Kafka, JSON lines) by providing the Layers you want; the pipeline itself only sees the Tags.
 * The platforms are the registered plugins: look one up by name (`lookup(platform)`) and build
 * its connector with `plugin.make({ id, settings })`.
 */
export * from "./domain/Access.js"
export * from "./domain/Checkpoint.js"
export * from "./domain/DeadLetter.js"
export * from "./domain/Errors.js"
export * from "./domain/Grant.js"
export * from "./domain/Ids.js"
export * from "./domain/PermissionSnapshot.js"
export * from "./domain/RawEvent.js"

// The SDK: what a platform plugs into
export * from "./sdk/Connector.js"
export * from "./sdk/Plugin.js"
export * from "./sdk/ScriptedConnector.js"
export * from "./sdk/RateLimiter.js"
export { decodeSettings, settingsEnvName } from "./sdk/Settings.js"
export * as Http from "./sdk/Http.js"
// The Lumos capability model: names, errors, auth, page tokens, request and response schemas, the executor
export * from "./sdk/capabilities/Auth.js"
export * from "./sdk/capabilities/Errors.js"
export * from "./sdk/capabilities/Executor.js"
export * from "./sdk/capabilities/Names.js"
export * from "./sdk/capabilities/PageToken.js"
export * from "./sdk/capabilities/Records.js"
export * from "./sdk/capabilities/Requests.js"
export * from "./sdk/capabilities/Responses.js"

// The platforms that ship with the SDK, as registered plugins (each with its capabilities and simulator)
export * as Registry from "./platforms/registry.js"
export { knownPlatforms, lookup, plugins } from "./platforms/registry.js"

// The services and the pipeline
export * from "./services/CheckpointStore.js"
export * from "./services/RunStore.js"
export * from "./services/GrantStore.js"
export * from "./services/StateStores.js"
export * from "./services/StreamLock.js"
export * from "./domain/Run.js"
export * from "./services/EventSink.js"
export * from "./pipeline/Dedup.js"
export * from "./pipeline/Normalise.js"
export * from "./pipeline/Options.js"
export * from "./pipeline/Pipeline.js"
export * from "./pipeline/Summaries.js"
export * as Refresh from "./pipeline/Refresh.js"
export * as Scheduler from "./pipeline/Scheduler.js"
export * as Wire from "./pipeline/Wire.js"

// Production implementations of the services, for an embedding program to choose from
export * as AppConfig from "./app/AppConfig.js"
export { KafkaConfig } from "./adapters/KafkaConfig.js"
export { kafkaSinkLayer } from "./adapters/KafkaSink.js"
export { jsonlSinkLayer, JsonlSinkStats } from "./adapters/JsonlSink.js"
export { makeSqlCheckpointStore, SqlCheckpointStoreLive } from "./adapters/SqlCheckpointStore.js"
export { migrate, migrations } from "./adapters/SqlMigrations.js"
export { makeSqlRunStore, SqlRunStoreLive } from "./adapters/SqlRunStore.js"
export { makeSqlGrantStore, SqlGrantStoreLive } from "./adapters/SqlGrantStore.js"
export { SqlStateStoresLive } from "./adapters/SqlStateStores.js"
export { pgliteClientLayer, servePglite } from "./adapters/Pglite.js"
