/**
 * The HTTP API's definition: the endpoints, their parameters, answers and errors. The server
 * (`Server.ts`), the OpenAPI document (`/openapi.json`) and the docs page (`/docs`) all come from it.
 * JSON field names are snake_case, like the wire format.
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { CheckpointStream } from "../../domain/Checkpoint.js"
import { WriteAccess, ReadAccess } from "./Auth.js"
import { Check, ConnectorNotFound, NotReady, StoreUnavailable } from "./Errors.js"
import { GrantsGroup } from "./GrantsApi.js"

const Time = Schema.String.annotations({ description: "ISO-8601 UTC" })
const Nullable = <S extends Schema.Schema.Any>(s: S) => Schema.NullOr(s)

export const RunView = Schema.Struct({
  run_id: Schema.String,
  stream: CheckpointStream,
  runner: Schema.String,
  started_at: Time,
  finished_at: Nullable(Time),
  outcome: Schema.Literal("running", "complete", "failed"),
  published: Schema.Number,
  dead_lettered: Schema.Number,
  duplicates: Schema.Number,
  duration_ms: Nullable(Schema.Number),
  error: Nullable(Schema.String)
})
export type RunView = typeof RunView.Type

export const StreamHealth = Schema.Literal("ok", "starting", "stalled")

export const StreamStatus = Schema.Struct({
  stream: CheckpointStream,
  schedule_seconds: Schema.Number,
  health: StreamHealth,
  running: Schema.Boolean,
  next_run_at: Nullable(Time),
  last_success_at: Nullable(Time),
  last_error: Nullable(Schema.Struct({ message: Schema.String, at: Time })),
  checkpoint: Nullable(Schema.Struct({
    position: Nullable(Time),
    description: Schema.String,
    count: Schema.Number,
    updated_at: Time
  })),
  last_runs: Schema.Array(RunView)
})

export const RateBudgetView = Schema.Struct({
  key: Schema.String,
  remaining: Schema.Number,
  limit: Nullable(Schema.Number),
  reset_at: Nullable(Time),
  observed_at: Time
})

export const ConnectorStatus = Schema.Struct({
  id: Schema.String,
  platform: Schema.String,
  health: StreamHealth,
  /** the process that ran its latest run */
  runner: Nullable(Schema.String),
  streams: Schema.Array(StreamStatus),
  rate_budget: Schema.Array(RateBudgetView)
})
export type ConnectorStatus = typeof ConnectorStatus.Type

const connectorId = HttpApiSchema.param("id", Schema.String)
const streamParam = HttpApiSchema.param("stream", CheckpointStream)

export class ConnectorsGroup extends HttpApiGroup.make("connectors")
  .add(
    HttpApiEndpoint.get("list")`/api/v1/connectors`
      .addSuccess(Schema.Struct({ connectors: Schema.Array(ConnectorStatus), runner: Schema.String }))
      .middleware(ReadAccess)
      .annotate(OpenApi.Summary, "Every configured connector: schedule, last runs, next run, checkpoint, last error, rate budget, runner")
  )
  .add(
    HttpApiEndpoint.get("get")`/api/v1/connectors/${connectorId}`
      .addSuccess(ConnectorStatus)
      .addError(ConnectorNotFound)
      .middleware(ReadAccess)
      .annotate(OpenApi.Summary, "One connector's status")
  )
  .add(
    HttpApiEndpoint.post("runNow")`/api/v1/connectors/${connectorId}/run`
      .setUrlParams(Schema.Struct({ stream: Schema.optional(CheckpointStream) }))
      .addSuccess(Schema.Struct({ connector: Schema.String, streams: Schema.Array(CheckpointStream), requested_at: Time }), { status: 202 })
      .addError(ConnectorNotFound)
      .middleware(WriteAccess)
      .annotate(OpenApi.Summary, "Run now: the scheduler starts the connector's streams (or the one named) without waiting")
  )
  .add(
    HttpApiEndpoint.del("resetCheckpoint")`/api/v1/connectors/${connectorId}/checkpoints/${streamParam}`
      .addSuccess(Schema.Struct({ connector: Schema.String, stream: CheckpointStream, deleted: Schema.Number }))
      .addError(ConnectorNotFound)
      .middleware(WriteAccess)
      .annotate(OpenApi.Summary, "Reset a stream's checkpoint: its next run starts from the beginning")
  )
  .addError(StoreUnavailable)
{}

export class HealthGroup extends HttpApiGroup.make("health")
  .add(
    HttpApiEndpoint.get("healthz")`/healthz`
      .addSuccess(Schema.Struct({ status: Schema.Literal("ok") }))
      .annotate(OpenApi.Summary, "Alive")
  )
  .add(
    HttpApiEndpoint.get("readyz")`/readyz`
      .addSuccess(Schema.Struct({ status: Schema.Literal("ready"), checks: Schema.Array(Check) }))
      .addError(NotReady)
      .annotate(OpenApi.Summary, "Ready: the event sink and the state database answer, and no connector is past twice its schedule without a success")
  )
{}

export class MetricsGroup extends HttpApiGroup.make("metrics")
  .add(
    HttpApiEndpoint.get("metrics")`/metrics`
      .addSuccess(HttpApiSchema.Text({ contentType: "text/plain; version=0.0.4; charset=utf-8" }))
      .middleware(ReadAccess)
      .annotate(OpenApi.Summary, "Prometheus metrics (text exposition format)")
  )
{}

export class DashboardGroup extends HttpApiGroup.make("dashboard")
  .add(
    HttpApiEndpoint.get("dashboard")`/`
      .addSuccess(HttpApiSchema.Text({ contentType: "text/html; charset=utf-8" }))
      .annotate(OpenApi.Summary, "The dashboard (a static page over this API)")
  )
{}

export class VerityApi extends HttpApi.make("verity")
  .add(GrantsGroup)
  .add(ConnectorsGroup)
  .add(HealthGroup)
  .add(MetricsGroup)
  .add(DashboardGroup)
  .annotate(OpenApi.Title, "Verity ingest")
  .annotate(OpenApi.Description, "Grants, connector status and control, health and metrics of a running Verity ingest")
{}
