/**
 * The API's errors: each a JSON body with its `_tag` and a message an operator can act on, and an HTTP
 * status. Bad query or path parameters are `HttpApiDecodeError` (400), whose `issues` name the field.
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { Schema } from "effect"

export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 401, description: "The bearer token is missing or wrong" })
) {}

export class ConnectorNotFound extends Schema.TaggedError<ConnectorNotFound>()(
  "ConnectorNotFound",
  { connector: Schema.String, message: Schema.String },
  HttpApiSchema.annotations({ status: 404, description: "No connector with that id is configured" })
) {}

export class StoreUnavailable extends Schema.TaggedError<StoreUnavailable>()(
  "StoreUnavailable",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 503, description: "The state database did not answer" })
) {}

export const Check = Schema.Struct({
  name: Schema.String,
  ok: Schema.Boolean,
  detail: Schema.String
})

export class NotReady extends Schema.TaggedError<NotReady>()(
  "NotReady",
  { message: Schema.String, checks: Schema.Array(Check) },
  HttpApiSchema.annotations({ status: 503, description: "A dependency is unreachable or a connector is stalled" })
) {}
