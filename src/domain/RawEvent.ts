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
  operationCategory: Schema.optional(Schema.String).pipe(Schema.fromKey("operation_category")),
  operationVerb: Schema.optional(Schema.String).pipe(Schema.fromKey("operation_verb")),
  rawPayload: Schema.propertySignature(Schema.Unknown).pipe(Schema.fromKey("raw_payload"))
}) {
  /**
   * An event from fields already checked one by one (the decode and normalise stages do): the
   * constructor's copies and default merging, skipped. Equal to `new RawEvent(fields)` in every way
   * that can be observed (own fields, prototype, `Equal`); they ran three times per event on the
   * pipeline's hot path (bench/README.md).
   */
  static fromChecked(fields: ConstructorParameters<typeof RawEvent>[0]): RawEvent {
    return Object.assign(Object.create(RawEvent.prototype) as RawEvent, fields)
  }

  get key(): string {
    return `${this.platform}:${this.eventId}`
  }

  /**
   * The wire form, the same object `Schema.encodeSync(RawEvent)` returns (a property test holds the
   * two equal). Written out because the pipeline encodes every event and the generic encoder costs
   * several times more than the rest of the hot path.
   */
  toWire(): RawEventWire {
    const wire: RawEventWire = {
      platform: this.platform,
      event_id: this.eventId,
      occurred_at: this.occurredAt.toISOString(),
      principal_ref: this.principalRef,
      asset_ref: this.assetRef,
      operation: this.operation,
      raw_payload: this.rawPayload
    }
    if (this.operationCategory !== undefined) wire.operation_category = this.operationCategory
    if (this.operationVerb !== undefined) wire.operation_verb = this.operationVerb
    return wire
  }
}

export interface RawEventWire {
  platform: string
  event_id: string
  occurred_at: string
  principal_ref: string
  asset_ref: string
  operation: string
  operation_category?: string
  operation_verb?: string
  raw_payload: unknown
}
