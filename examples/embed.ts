/**
 * Embedding the pipeline in another Effect program.
 *
 * The host program brings its own connector (here, records it already holds), chooses the
 * implementations of the services (here, in memory; swap in the Kafka sink and the PostgreSQL
 * checkpoint store for production) and runs one cycle. Nothing here prints: the host decides.
 *
 *   node --import tsx examples/embed.ts
 */
import { Effect, Layer, Option } from "effect"
import {
  memoryStateStores,
  defaultPipelineOptions,
  EventSink,
  makeScriptedConnector,
  MemorySink,
  runConnectorOnce
} from "../src/index.js"

const connector = makeScriptedConnector({
  id: "hr-system",
  platform: "hris",
  entries: [
    { id: "login-1", ts: Date.UTC(2026, 0, 5, 9, 0), actor: "ada", asset: "payroll", action: "session.login" },
    { id: "login-2", ts: Date.UTC(2026, 0, 5, 9, 5), actor: "grace", asset: "payroll", action: "session.login" },
    { id: "login-2", ts: Date.UTC(2026, 0, 5, 9, 5), actor: "grace", asset: "payroll", action: "session.login" },
    { id: "export-1", ts: Date.UTC(2026, 0, 5, 9, 7), actor: "ada", asset: "payroll", action: "report.export" }
  ],
  grants: [
    { principal: "ada", asset: "payroll", privilege: "ADMIN", mechanism: "direct" },
    { principal: "grace", asset: "payroll", privilege: "READ", mechanism: "group" }
  ]
})

/** One cycle, twice: the second resumes from the checkpoint and publishes nothing again. */
export const program = Effect.gen(function*() {
  const first = yield* runConnectorOnce(connector, defaultPipelineOptions)
  const second = yield* runConnectorOnce(connector, defaultPipelineOptions)
  const published = yield* (yield* MemorySink).messages
  yield* Effect.logInfo("embedded pipeline ran").pipe(
    Effect.annotateLogs({
      events: first.events,
      snapshots: first.snapshots,
      duplicates: first.duplicates,
      second_run_events: second.events,
      checkpoint: Option.match(first.checkpointAfter, { onNone: () => "none", onSome: (c) => c.describe() }),
      messages: published.length
    })
  )
  return { first, second, published }
})

/** The services the host chose. */
export const services = Layer.merge(EventSink.memory, memoryStateStores)

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(program.pipe(Effect.provide(services))).catch((error: unknown) => {
    process.exitCode = 1
    throw error
  })
}
