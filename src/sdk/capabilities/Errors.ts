/**
 * What a capability fails with, as the Lumos SDK says it: the SDK's error codes, HTTP statuses mapped
 * as connector-py's `HTTPHandler` maps them, the typed error a handler raises, and the `ErrorResponse`
 * a caller reads (`{is_error: true, error: {message, status_code, app_error_code, error_code, app_id,
 * raised_by, raised_in}}`).
 */
import { Schema } from "effect"
import type { ConnectorError } from "../../domain/Errors.js"
import { Page } from "./Page.js"

/** connector-sdk-types 0.37.0 `ErrorCode` */
export const ErrorCode = Schema.Literal(
  "not_found",
  "internal_error",
  "api_error",
  "unauthorized",
  "bad_request",
  "permission_denied",
  "not_implemented",
  "unexpected_error",
  "unsupported_operation",
  "unknown_value",
  "invalid_value",
  "bad_gateway",
  "unauthenticated",
  "request_timeout",
  "connection_timeout",
  "connection_rejected",
  "rate_limit",
  "authentication_expired",
  "service_error",
  "invalid_response",
  "client_call_error",
  "connection_closed",
  "creds_revoked",
  "invalid_page_token",
  "integration_missing_parameter"
)
export type ErrorCode = typeof ErrorCode.Type

/** HTTP status of an upstream answer -> the error code, as connector-py's HTTPHandler maps it. */
export const errorCodeForStatus = (status: number): ErrorCode => {
  switch (status) {
    case 400:
      return "bad_request"
    case 401:
      return "unauthorized"
    case 403:
      return "permission_denied"
    case 404:
      return "not_found"
    case 429:
      return "rate_limit"
    case 502:
    case 503:
    case 504:
      return "bad_gateway"
    default:
      return "api_error"
  }
}

const codeForReason: Record<ConnectorError["reason"], ErrorCode> = {
  unauthorized: "unauthorized",
  forbidden: "permission_denied",
  not_found: "not_found",
  rate_limited: "rate_limit",
  transport: "connection_rejected",
  decode: "invalid_response",
  unsupported: "unsupported_operation",
  invalid_request: "bad_request",
  conflict: "api_error",
  api_error: "api_error"
}

/** What a capability handler fails with. `raisedBy` names the kind of failure it came from. */
export class CapabilityError extends Schema.TaggedError<CapabilityError>()("CapabilityError", {
  code: ErrorCode,
  message: Schema.String,
  raisedBy: Schema.optionalWith(Schema.String, { default: () => "CapabilityError" }),
  /** the upstream's HTTP status, when one triggered the error */
  status: Schema.optional(Schema.Number),
  /** the application's own code for the failure (e.g. `mockapp.conflict`) */
  appErrorCode: Schema.optional(Schema.String)
}) {
  static fromConnectorError(error: ConnectorError): CapabilityError {
    // a refusal the client recognised as a rate limit is one whatever its status (GitHub's secondary
    // limits are 403s); otherwise the status decides, as HTTPHandler's, and without one the reason
    const code = error.reason === "rate_limited"
      ? "rate_limit"
      : error.status !== undefined && error.status >= 400
      ? errorCodeForStatus(error.status)
      : codeForReason[error.reason]
    return new CapabilityError({
      code,
      message: error.message,
      raisedBy: error.status !== undefined ? "HTTPStatusError" : `ConnectorError.${error.reason}`,
      appErrorCode: `${error.platform}.${error.reason}`,
      ...(error.status !== undefined ? { status: error.status } : {})
    })
  }
}

const nullable = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(Schema.NullOr(schema), { default: () => null })

/** connector-sdk-types `Error` */
export class ErrorBody extends Schema.Class<ErrorBody>("Error")({
  message: Schema.String,
  status_code: nullable(Schema.Int),
  app_error_code: nullable(Schema.String),
  error_code: ErrorCode,
  app_id: Schema.String,
  raised_by: nullable(Schema.String),
  raised_in: nullable(Schema.String)
}) {}

/** connector-sdk-types `ErrorResponse` */
export class ErrorResponse extends Schema.Class<ErrorResponse>("ErrorResponse")({
  is_error: Schema.optionalWith(Schema.Literal(true), { default: () => true as const }),
  error: ErrorBody,
  raw_data: nullable(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  page: nullable(Page)
}) {}
