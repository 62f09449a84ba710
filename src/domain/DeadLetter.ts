import { Schema } from "effect"
import { Platform } from "./Ids.js"

/** Where in the pipeline a record was refused. */
export const DeadLetterStage = Schema.Literal("decode", "normalise", "encode")
export type DeadLetterStage = typeof DeadLetterStage.Type

/**
 * A record that could not become a domain value. It keeps the platform's original payload and says
 * why, so nothing is silently dropped and an operator can replay it once the cause is fixed.
 */
export class DeadLetter extends Schema.Class<DeadLetter>("DeadLetter")({
  platform: Platform,
  connectorId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("connector_id")),
  kind: Schema.Literal("event", "snapshot"),
  stage: DeadLetterStage,
  reason: Schema.String,
  payload: Schema.Unknown,
  failedAt: Schema.propertySignature(Schema.DateFromString.pipe(Schema.validDate())).pipe(Schema.fromKey("failed_at"))
}) {}
