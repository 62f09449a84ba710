import { Schema } from "effect"
import { EventId, Platform } from "./Ids.js"

/**
 * An audit event as the platform reported it, mapped to the canonical fields. `rawPayload` is the
 * platform's entry, verbatim. Wire form is snake_case JSON; `occurred_at` is ISO-8601 UTC.
 */
export class RawEvent extends Schema.Class<RawEvent>("RawEvent")({
  platform: Platform,
  eventId: Schema.propertySignature(EventId).pipe(Schema.fromKey("event_id")),
  occurredAt: Schema.propertySignature(Schema.DateFromString.pipe(Schema.validDate())).pipe(
    Schema.fromKey("occurred_at")
  ),
  principalRef: Schema.propertySignature(Schema.NonEmptyString).pipe(Schema.fromKey("principal_ref")),
  assetRef: Schema.propertySignature(Schema.NonEmptyString).pipe(Schema.fromKey("asset_ref")),
  /** the platform's action name, verbatim */
  operation: Schema.NonEmptyString,
  /** canonical split of `operation`, filled by the normalise stage: `repo.access` -> `repo` / `access` */
  operationCategory: Schema.optionalWith(Schema.String, { default: () => "" }).pipe(Schema.fromKey("operation_category")),
  operationVerb: Schema.optionalWith(Schema.String, { default: () => "" }).pipe(Schema.fromKey("operation_verb")),
  rawPayload: Schema.propertySignature(Schema.Unknown).pipe(Schema.fromKey("raw_payload"))
}) {
  get key(): string {
    return `${this.platform}:${this.eventId}`
  }
}
