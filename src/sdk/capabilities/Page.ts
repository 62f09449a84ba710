/**
 * connector-sdk-types `Page`: what a request asks for (`page.token`, `page.size`) and what a response
 * says comes next. The SDK bounds neither field; a size below 1 asks for the capability's default.
 */
import { Schema } from "effect"

export class PageRequest extends Schema.Class<PageRequest>("PageRequest")({
  token: Schema.optional(Schema.NullOr(Schema.String)),
  size: Schema.optional(Schema.NullOr(Schema.Int))
}) {}

export class Page extends Schema.Class<Page>("Page")({
  token: Schema.NullOr(Schema.String),
  size: Schema.NullOr(Schema.Int)
}) {}
