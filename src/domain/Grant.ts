/**
 * Access over time. A `GrantRecord` is one current grant of a connector as the state database keeps it
 * (what the last snapshot saw, with when it was first and last seen); a `GrantChange` is a difference
 * between two complete views of a connector's grants (two complete snapshots, or a snapshot and an
 * audit-driven refresh of the assets an audit event touched).
 *
 * Wire form (the value on `verity.permissions.changes.<platform>`, and what the HTTP API answers) is
 * snake_case JSON with ISO-8601 UTC times, as the Schema classes encode it.
 */
import { Schema } from "effect"
import { GrantMechanism, Privilege } from "./Access.js"

const Ref = Schema.NonEmptyString
const Time = Schema.DateFromString.pipe(Schema.validDate())

/** The key of a grant, equal to the Kafka key of its snapshot record: `<platform>:<principal>:<asset>:<privilege>`. */
export const grantKeyOf = (g: { readonly platform: string; readonly principal: string; readonly asset: string; readonly privilege: string }) =>
  `${g.platform}:${g.principal}:${g.asset}:${g.privilege}`

export class GrantRecord extends Schema.Class<GrantRecord>("GrantRecord")({
  platform: Schema.String,
  connectorId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("connector_id")),
  principal: Schema.propertySignature(Ref).pipe(Schema.fromKey("principal_ref")),
  asset: Schema.propertySignature(Ref).pipe(Schema.fromKey("asset_ref")),
  privilege: Privilege,
  mechanism: Schema.propertySignature(GrantMechanism).pipe(Schema.fromKey("grant_mechanism")),
  firstSeenAt: Schema.propertySignature(Time).pipe(Schema.fromKey("first_seen_at")),
  lastSeenAt: Schema.propertySignature(Time).pipe(Schema.fromKey("last_seen_at")),
  /** the snapshot (or refresh) that last saw it */
  snapshotId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("snapshot_id"))
}) {
  get grantKey(): string {
    return grantKeyOf(this)
  }
}

export const GrantChangeKind = Schema.Literal("grant_added", "grant_removed", "grant_changed")
export type GrantChangeKind = typeof GrantChangeKind.Type

export class GrantChange extends Schema.Class<GrantChange>("GrantChange")({
  /**
   * Stable: `<connectorId>:<afterSnapshotId>:<grantKey>`. A change re-published after a crash carries the
   * same id, so downstream dedups on it.
   */
  changeId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("change_id")),
  kind: GrantChangeKind,
  platform: Schema.String,
  connectorId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("connector_id")),
  grantKey: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("grant_key")),
  /** the grant as the previous complete view had it; absent for `grant_added` */
  before: Schema.optional(GrantRecord),
  /** the grant as the new complete view has it; absent for `grant_removed` */
  after: Schema.optional(GrantRecord),
  /** the complete view compared against (absent on a connector's first one) */
  beforeSnapshotId: Schema.optional(Schema.String).pipe(Schema.fromKey("before_snapshot_id")),
  /** the complete view that found the change */
  afterSnapshotId: Schema.optional(Schema.String).pipe(Schema.fromKey("after_snapshot_id")),
  detectedAt: Schema.propertySignature(Time).pipe(Schema.fromKey("detected_at"))
}) {}

export const encodeGrantChange = Schema.encodeSync(GrantChange)
export const encodeGrantRecord = Schema.encodeSync(GrantRecord)
export const decodeGrantChangeJson = Schema.decodeUnknownSync(Schema.parseJson(GrantChange))

/** One grant as an acknowledged snapshot record reported it (what the grant store is told after the ack). */
export interface ObservedGrant {
  readonly principal: string
  readonly asset: string
  readonly privilege: Privilege
  readonly mechanism: GrantMechanism
}
