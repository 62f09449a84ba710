import { Schema } from "effect"
import { GrantMechanism, Privilege } from "./Access.js"
import { Platform } from "./Ids.js"

const Ref = Schema.NonEmptyString

/**
 * Who holds which privilege on which asset, and through which mechanism, as seen at `snapshotAt`.
 * Wire form (Kafka value) is snake_case JSON; `snapshot_at` is ISO-8601 UTC.
 */
export class PermissionSnapshot extends Schema.Class<PermissionSnapshot>("PermissionSnapshot")({
  platform: Platform,
  principalRef: Schema.propertySignature(Ref).pipe(Schema.fromKey("principal_ref")),
  assetRef: Schema.propertySignature(Ref).pipe(Schema.fromKey("asset_ref")),
  privilege: Privilege,
  grantMechanism: Schema.propertySignature(GrantMechanism).pipe(Schema.fromKey("grant_mechanism")),
  snapshotAt: Schema.propertySignature(Schema.DateFromString.pipe(Schema.validDate())).pipe(
    Schema.fromKey("snapshot_at")
  ),
  /**
   * The run that read it (wire version 2): the pipeline stamps it before publishing. Every record of one
   * permissions run carries the same id, which is also that run's id in the run records.
   */
  snapshotId: Schema.optional(Schema.NonEmptyString).pipe(Schema.fromKey("snapshot_id"))
}) {
  /** The Kafka key: one slot per (principal, asset, privilege), so a compacted topic keeps the latest. */
  get key(): string {
    return `${this.platform}:${this.principalRef}:${this.assetRef}:${this.privilege}`
  }

  /** The wire form, equal to `Schema.encodeSync(PermissionSnapshot)` (a property test holds them equal). */
  toWire(): PermissionSnapshotWire {
    return {
      platform: this.platform,
      principal_ref: this.principalRef,
      asset_ref: this.assetRef,
      privilege: this.privilege,
      grant_mechanism: this.grantMechanism,
      snapshot_at: this.snapshotAt.toISOString(),
      ...(this.snapshotId === undefined ? {} : { snapshot_id: this.snapshotId })
    }
  }
}

export interface PermissionSnapshotWire {
  platform: string
  principal_ref: string
  asset_ref: string
  privilege: string
  grant_mechanism: string
  snapshot_at: string
  snapshot_id?: string
}
