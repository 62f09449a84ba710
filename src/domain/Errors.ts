/**
 * Tagged errors. Messages are written for the operator who reads them; none of them ever carries a
 * secret (tokens are `Redacted` and never interpolated).
 */
import { Schema } from "effect"

export const ConnectorErrorReason = Schema.Literal(
  "unauthorized",
  "forbidden",
  "not_found",
  "rate_limited",
  "transport",
  "decode",
  "unsupported",
  "invalid_request",
  "conflict",
  "api_error"
)
export type ConnectorErrorReason = typeof ConnectorErrorReason.Type

export class ConnectorError extends Schema.TaggedError<ConnectorError>()("ConnectorError", {
  reason: ConnectorErrorReason,
  platform: Schema.String,
  message: Schema.String,
  status: Schema.optional(Schema.Number),
  cause: Schema.optional(Schema.Defect)
}) {}

export class SinkError extends Schema.TaggedError<SinkError>()("SinkError", {
  /** `superseded`: not sent, another runner took the stream over (the cluster's fence); not worth retrying */
  reason: Schema.Literal("rejected", "timeout", "unavailable", "encode", "superseded"),
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

export class CheckpointError extends Schema.TaggedError<CheckpointError>()("CheckpointError", {
  /** `superseded`: another runner claimed the stream since this one did (the cluster's fence); not worth retrying */
  reason: Schema.Literal("unavailable", "corrupt", "query", "superseded"),
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  /** the file the bad value came from, if any */
  file: Schema.optional(Schema.String),
  /** the dotted path of the bad field, if any */
  field: Schema.optional(Schema.String),
  message: Schema.String
}) {}
