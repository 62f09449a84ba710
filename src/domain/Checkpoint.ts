/**
 * Where a connector's stream stopped. A position a connector understands (a timestamp and/or the
 * platform's cursor) plus the ids already published at exactly that timestamp, so that a resume with
 * `>=` drops them at the boundary instead of losing or doubling events that share a millisecond.
 *
 * Stored as versioned JSON (`{"v":1, ...}`) so later versions can migrate old rows on read.
 */
import { Option, Schema } from "effect"

export const CheckpointStream = Schema.Literal("audit", "permissions")
export type CheckpointStream = typeof CheckpointStream.Type

export class Checkpoint extends Schema.Class<Checkpoint>("Checkpoint")({
  version: Schema.propertySignature(Schema.Literal(1)).pipe(Schema.fromKey("v")),
  /** epoch milliseconds of the last published record */
  timestamp: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.nonNegative())).pipe(Schema.fromKey("ts")),
  /** the platform's own resume cursor, when it has one */
  cursor: Schema.optional(Schema.String),
  /** event ids already published whose time equals `timestamp` */
  idsAtTimestamp: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }).pipe(
    Schema.fromKey("ids_at_ts")
  ),
  /** records covered by this checkpoint over the stream's life (informational) */
  count: Schema.optionalWith(Schema.Number, { default: () => 0 })
}) {
  static readonly initial = new Checkpoint({ version: 1, idsAtTimestamp: [], count: 0 })

  /** the position after one more record at `timestamp` with id `id` */
  advance(timestamp: number, id: string, cursor?: string): Checkpoint {
    const sameInstant = this.timestamp === timestamp
    // built from valid parts, once per event: no constructor (its copies and default merging cost as
    // much as the rest of the connector's work per event); the same fields `new Checkpoint` would hold
    return Object.assign(Object.create(Checkpoint.prototype) as Checkpoint, {
      version: 1 as const,
      timestamp,
      cursor: cursor ?? this.cursor,
      // a resume re-reads the boundary's ids: keep each once
      idsAtTimestamp: sameInstant ? (this.idsAtTimestamp.includes(id) ? this.idsAtTimestamp : [...this.idsAtTimestamp, id]) : [id],
      count: this.count + 1
    })
  }

  /** `true` when this position is at or after `that` (checkpoints only ever move forward) */
  isAtOrAfter(that: Checkpoint): boolean {
    const a = this.timestamp ?? -1
    const b = that.timestamp ?? -1
    if (a !== b) return a > b
    return this.idsAtTimestamp.length >= that.idsAtTimestamp.length
  }

  describe(): string {
    if (this.timestamp === undefined) return "(start)"
    const at = new Date(this.timestamp).toISOString()
    return `${at} (+${this.idsAtTimestamp.length} id${this.idsAtTimestamp.length === 1 ? "" : "s"} at that ms)`
  }
}

export const CheckpointJson = Schema.parseJson(Checkpoint)

export const advanceFrom = (from: Option.Option<Checkpoint>) =>
  (timestamp: number, id: string, cursor?: string): Checkpoint =>
    Option.getOrElse(from, () => Checkpoint.initial).advance(timestamp, id, cursor)
