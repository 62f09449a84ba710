/**
 * The guide's grants endpoints: the current grants from the grant state (with when each was first and
 * last seen), and the drift, both paged by an opaque cursor.
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { GrantChange, GrantRecord } from "../../domain/Grant.js"
import { ReadAccess } from "./Auth.js"
import { StoreUnavailable } from "./Errors.js"

const Limit = Schema.NumberFromString.pipe(
  Schema.int(),
  Schema.between(1, 1000, { message: () => "limit must be a whole number from 1 to 1000" })
)
const NonEmpty = Schema.String.pipe(Schema.minLength(1, { message: () => "must not be empty" }))
const Since = Schema.DateFromString.pipe(Schema.validDate({ message: () => "since must be an ISO-8601 time, such as 2026-01-01T00:00:00Z" }))

export const GrantsParams = Schema.Struct({
  platform: NonEmpty,
  principal: Schema.optional(NonEmpty),
  asset: Schema.optional(NonEmpty),
  privilege: Schema.optional(NonEmpty),
  limit: Schema.optional(Limit),
  cursor: Schema.optional(NonEmpty)
})

export const ChangesParams = Schema.Struct({
  platform: NonEmpty,
  since: Schema.optional(Since),
  limit: Schema.optional(Limit),
  cursor: Schema.optional(NonEmpty)
})

export class GrantsGroup extends HttpApiGroup.make("grants")
  .add(
    HttpApiEndpoint.get("list")`/api/v1/grants`
      .setUrlParams(GrantsParams)
      .addSuccess(Schema.Struct({ grants: Schema.Array(GrantRecord), next_cursor: Schema.optional(Schema.String) }))
      .middleware(ReadAccess)
      .annotate(OpenApi.Summary, "Current grants of a platform (filter by principal, asset, privilege), paged by cursor")
  )
  .add(
    HttpApiEndpoint.get("changes")`/api/v1/grants/changes`
      .setUrlParams(ChangesParams)
      .addSuccess(Schema.Struct({ changes: Schema.Array(GrantChange), next_cursor: Schema.optional(Schema.String) }))
      .middleware(ReadAccess)
      .annotate(OpenApi.Summary, "Grant changes (added, removed, changed) detected since a time, oldest first, paged by cursor")
  )
  .addError(StoreUnavailable)
{}
