/** The API's handlers, one group each, over the program's services. */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Clock, Effect, Layer } from "effect"
import type { CheckpointError } from "../../domain/Errors.js"
import { CheckpointStore } from "../../services/CheckpointStore.js"
import { EventSink } from "../../services/EventSink.js"
import { Metrics } from "../../services/Metrics.js"
import { RunTriggers } from "../../services/RunTriggers.js"
import { VerityApi } from "./Api.js"
import { dashboardHtml } from "./Dashboard.js"
import { ConnectorNotFound, NotReady, StoreUnavailable } from "./Errors.js"
import { GrantsLive } from "./GrantsHandlers.js"
import { allStatuses, connectorStatus, Served } from "./Status.js"

const unavailable = (e: CheckpointError) => new StoreUnavailable({ message: `state database: ${e.message}` })

const findConnector = (id: string) =>
  Effect.flatMap(Served, (served) => {
    const found = served.connectors.find((c) => c.id === id)
    return found !== undefined
      ? Effect.succeed(found)
      : Effect.fail(
        new ConnectorNotFound({
          connector: id,
          message: `no connector "${id}"; configured: ${served.connectors.map((c) => c.id).join(", ") || "(none)"}`
        })
      )
  })

export const ConnectorsLive = HttpApiBuilder.group(VerityApi, "connectors", (handlers) =>
  handlers
    .handle("list", () =>
      Effect.gen(function*() {
        const served = yield* Served
        return { connectors: yield* allStatuses, runner: served.runner }
      }).pipe(Effect.catchTag("CheckpointError", (e) => Effect.fail(unavailable(e)))))
    .handle("get", ({ path }) =>
      Effect.gen(function*() {
        const connector = yield* findConnector(path.id)
        const checkpoints = yield* Effect.flatMap(CheckpointStore, (s) => s.list)
        const budgets = yield* Effect.flatMap(Metrics, (m) => m.rateBudgets)
        return yield* connectorStatus(connector, checkpoints, budgets)
      }).pipe(Effect.catchTag("CheckpointError", (e) => Effect.fail(unavailable(e)))))
    .handle("runNow", ({ path, urlParams }) =>
      Effect.gen(function*() {
        const connector = yield* findConnector(path.id)
        const triggers = yield* RunTriggers
        yield* triggers.runNow(connector.id, urlParams.stream)
        yield* Effect.logInfo("run requested").pipe(Effect.annotateLogs({ connector: connector.id, stream: urlParams.stream ?? "all" }))
        return {
          connector: connector.id,
          streams: urlParams.stream === undefined ? ["permissions", "audit"] as const : [urlParams.stream],
          requested_at: new Date(yield* Clock.currentTimeMillis).toISOString()
        }
      }))
    .handle("resetCheckpoint", ({ path }) =>
      Effect.gen(function*() {
        const connector = yield* findConnector(path.id)
        const store = yield* CheckpointStore
        const deleted = yield* store.reset(connector.id, path.stream)
        yield* Effect.logWarning("checkpoint reset").pipe(Effect.annotateLogs({ connector: connector.id, stream: path.stream }))
        return { connector: connector.id, stream: path.stream, deleted }
      }).pipe(Effect.catchTag("CheckpointError", (e) => Effect.fail(unavailable(e)))))
)

const probe = <R>(name: string, effect: Effect.Effect<string, { readonly message: string }, R>) =>
  effect.pipe(
    Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => ({ message: "no answer within 5 s" }) }),
    Effect.match({
      onFailure: (e) => ({ name, ok: false, detail: e.message }),
      onSuccess: (detail) => ({ name, ok: true, detail })
    })
  )

export const HealthLive = HttpApiBuilder.group(VerityApi, "health", (handlers) =>
  handlers
    .handle("healthz", () => Effect.succeed({ status: "ok" as const }))
    .handle("readyz", () =>
      Effect.gen(function*() {
        const sink = yield* EventSink
        const store = yield* CheckpointStore
        const checks = yield* Effect.all([
          probe("event sink", (sink.check ?? Effect.void).pipe(Effect.as(sink.describe))),
          probe("state database", store.list.pipe(Effect.map((rows) => `${rows.length} checkpoints`))),
          allStatuses.pipe(
            Effect.flatMap((statuses) => {
              const stalled = statuses.flatMap((c) => c.streams.filter((s) => s.health === "stalled").map((s) => `${c.id}/${s.stream}`))
              return stalled.length === 0
                ? Effect.succeed(`${statuses.length} connectors within twice their schedules`)
                : Effect.fail({ message: `no success for twice the schedule: ${stalled.join(", ")}` })
            }),
            (e) => probe("connectors", e)
          )
        ], { concurrency: 3 })
        const failed = checks.filter((c) => !c.ok)
        if (failed.length > 0) {
          return yield* new NotReady({ message: failed.map((c) => `${c.name}: ${c.detail}`).join("; "), checks })
        }
        return { status: "ready" as const, checks }
      }))
)

export const MetricsLive = HttpApiBuilder.group(VerityApi, "metrics", (handlers) =>
  handlers.handle("metrics", () => Effect.flatMap(Metrics, (m) => m.exposition).pipe(Effect.map((e) => e.text))))

export const DashboardLive = HttpApiBuilder.group(VerityApi, "dashboard", (handlers) =>
  handlers.handle("dashboard", () => dashboardHtml))

export const handlersLayer = Layer.mergeAll(GrantsLive, ConnectorsLive, HealthLive, MetricsLive, DashboardLive)
