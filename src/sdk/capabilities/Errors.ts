/**
 * What a capability fails with: the SDK's error codes, the typed error a handler raises, the error
 * envelope a caller reads, and the request-level failures (malformed, unknown capability).
 */
import { Data, Schema } from "effect"
import type { ConnectorError } from "../../domain/Errors.js"
import { CapabilityNames } from "./Names.js"

export const ErrorCode = Schema.Literal(
  "bad_request",
  "unauthorized",
  "permission_denied",
  "not_found",
  "conflict",
  "rate_limit",
  "api_error",
  "unsupported",
  "unexpected_error"
)
export type ErrorCode = typeof ErrorCode.Type

/** HTTP status of an upstream answer -> the capability error code a caller sees. */
export const errorCodeForStatus = (status: number): ErrorCode => {
  switch (status) {
    case 400:
    case 422:
      return "bad_request"
    case 401:
      return "unauthorized"
    case 403:
      return "permission_denied"
    case 404:
      return "not_found"
    case 409:
      return "conflict"
    case 429:
      return "rate_limit"
    default:
      return status >= 500 ? "api_error" : status >= 400 ? "bad_request" : "unexpected_error"
  }
}

/** What a capability handler fails with. `raisedBy` names the kind of failure it came from. */
export class CapabilityError extends Schema.TaggedError<CapabilityError>()("CapabilityError", {
  code: ErrorCode,
  message: Schema.String,
  raisedBy: Schema.optionalWith(Schema.String, { default: () => "CapabilityError" }),
  status: Schema.optional(Schema.Number)
}) {
  static fromConnectorError(error: ConnectorError): CapabilityError {
    const code: ErrorCode = error.status !== undefined && error.status >= 400
      ? (error.reason === "rate_limited" ? "rate_limit" : errorCodeForStatus(error.status))
      : error.reason === "unauthorized"
      ? "unauthorized"
      : error.reason === "forbidden"
      ? "permission_denied"
      : error.reason === "not_found"
      ? "not_found"
      : error.reason === "conflict"
      ? "conflict"
      : error.reason === "rate_limited"
      ? "rate_limit"
      : error.reason === "unsupported"
      ? "unsupported"
      : error.reason === "invalid_request"
      ? "bad_request"
      : "api_error"
    return new CapabilityError({
      code,
      message: error.message,
      raisedBy: error.status !== undefined ? "HTTPStatusError" : `ConnectorError.${error.reason}`,
      ...(error.status !== undefined ? { status: error.status } : {})
    })
  }
}

/** The error envelope: `{"error": {"message", "error_code", "app_id", "raised_by", "raised_in"}}`. */
export class ErrorBody extends Schema.Class<ErrorBody>("ErrorBody")({
  message: Schema.String,
  error_code: ErrorCode,
  app_id: Schema.String,
  raised_by: Schema.String,
  raised_in: Schema.String
}) {}
export class ErrorEnvelope extends Schema.Class<ErrorEnvelope>("ErrorEnvelope")({ error: ErrorBody }) {}

/** A capability answered with an error envelope (exit 1 on the CLI). */
export class CapabilityFailure extends Data.TaggedError("CapabilityFailure")<{ readonly envelope: ErrorEnvelope }> {
  override get message() {
    return `${this.envelope.error.error_code}: ${this.envelope.error.message}`
  }
}

/** The request itself is malformed: not JSON, or a field of the wrong type (exit 2 on the CLI). */
export class MalformedRequest extends Data.TaggedError("MalformedRequest")<{
  readonly field: string
  readonly problem: string
}> {
  override get message() {
    return this.field === "" ? `malformed request: ${this.problem}` : `malformed request: field "${this.field}": ${this.problem}`
  }
}

/** Not a capability name at all (exit 2 on the CLI). */
export class UnknownCapability extends Data.TaggedError("UnknownCapability")<{ readonly name: string }> {
  override get message() {
    return `unknown capability "${this.name}"; capabilities: ${CapabilityNames.join(", ")}`
  }
}
