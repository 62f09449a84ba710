/**
 * The wire format downstream consumers read (DESIGN.md): topic per platform and kind, key, UTF-8
 * snake_case JSON value (the Schema classes own the camelCase <-> snake_case mapping), and headers
 * carrying the record kind, the schema version and the connector id.
 */
import { createHash } from "node:crypto"
import { Schema } from "effect"
import { DeadLetter } from "../domain/DeadLetter.js"
import { encodeGrantChange, type GrantChange } from "../domain/Grant.js"
import { PermissionSnapshot } from "../domain/PermissionSnapshot.js"
import { RawEvent } from "../domain/RawEvent.js"
import type { WireMessage } from "../services/EventSink.js"

/**
 * 2: snapshot records carry `snapshot_id` (value and `verity-snapshot-id` header); tombstones on the
 * snapshots topic; the changes and runs topics.
 */
export const SCHEMA_VERSION = "2"

export const topics = {
  events: (platform: string) => `verity.events.raw.${platform}`,
  snapshots: (platform: string) => `verity.permissions.snapshots.${platform}`,
  deadLetters: (platform: string) => `verity.events.deadletter.${platform}`,
  /** grant_added / grant_removed / grant_changed, keyed per grant */
  changes: (platform: string) => `verity.permissions.changes.${platform}`,
  /** one completion marker per complete snapshot run, keyed by connector */
  runs: (platform: string) => `verity.permissions.runs.${platform}`
} as const

export const headerNames = {
  kind: "verity-kind",
  schemaVersion: "verity-schema-version",
  connectorId: "verity-connector-id",
  snapshotId: "verity-snapshot-id",
  changeId: "verity-change-id"
} as const

const headers = (kind: string, connectorId: string) => ({
  [headerNames.kind]: kind,
  [headerNames.schemaVersion]: SCHEMA_VERSION,
  [headerNames.connectorId]: connectorId
})

const encodeDeadLetter = Schema.encodeSync(DeadLetter)

export const eventMessage = (event: RawEvent, connectorId: string): WireMessage => ({
  topic: topics.events(event.platform),
  key: event.key,
  value: JSON.stringify(event.toWire()),
  headers: headers("raw_event", connectorId)
})

/** A snapshot record, stamped with the run (`snapshotId`) that read it. */
export const snapshotMessage = (snapshot: PermissionSnapshot, connectorId: string, snapshotId: string): WireMessage => ({
  topic: topics.snapshots(snapshot.platform),
  key: snapshot.key,
  value: JSON.stringify({ ...snapshot.toWire(), snapshot_id: snapshotId }),
  headers: { ...headers("permission_snapshot", connectorId), [headerNames.snapshotId]: snapshotId }
})

/** A removed grant's slot on the snapshots topic: its key, a null value (compaction deletes it). */
export const tombstoneMessage = (change: GrantChange): WireMessage => ({
  topic: topics.snapshots(change.platform),
  key: change.grantKey,
  value: null,
  headers: {
    ...headers("tombstone", change.connectorId),
    [headerNames.snapshotId]: change.afterSnapshotId ?? "",
    [headerNames.changeId]: change.changeId
  }
})

/** A change event, keyed per grant (the grant's snapshot key); `change_id` is stable across re-publishes. */
export const changeMessage = (change: GrantChange): WireMessage => ({
  topic: topics.changes(change.platform),
  key: change.grantKey,
  value: JSON.stringify(encodeGrantChange(change)),
  headers: {
    ...headers(change.kind, change.connectorId),
    [headerNames.snapshotId]: change.afterSnapshotId ?? "",
    [headerNames.changeId]: change.changeId
  }
})

export interface RunMarker {
  readonly platform: string
  readonly connectorId: string
  readonly snapshotId: string
  readonly startedAt: Date
  readonly finishedAt: Date
  /** snapshot records acknowledged in the run */
  readonly count: number
}

/**
 * The completion marker: published once every snapshot record of a complete run was acknowledged.
 * Keyed by connector, so a compacted topic keeps each connector's last complete snapshot.
 */
export const runMarkerMessage = (marker: RunMarker): WireMessage => ({
  topic: topics.runs(marker.platform),
  key: `${marker.platform}:${marker.connectorId}`,
  value: JSON.stringify({
    platform: marker.platform,
    connector_id: marker.connectorId,
    snapshot_id: marker.snapshotId,
    outcome: "complete",
    started_at: marker.startedAt.toISOString(),
    finished_at: marker.finishedAt.toISOString(),
    count: marker.count
  }),
  headers: { ...headers("snapshot_complete", marker.connectorId), [headerNames.snapshotId]: marker.snapshotId }
})

/** Dead letters are keyed by a digest of the original payload, so a replayed bad record lands on the same key. */
export const deadLetterMessage = (letter: DeadLetter): WireMessage => {
  let payloadJson: string
  try {
    payloadJson = JSON.stringify(letter.payload) ?? "null"
  } catch {
    payloadJson = String(letter.payload)
  }
  const digest = createHash("sha256").update(payloadJson).digest("hex").slice(0, 24)
  return {
    topic: topics.deadLetters(letter.platform),
    key: `${letter.platform}:${letter.kind}:${digest}`,
    value: JSON.stringify(encodeDeadLetter(letter)),
    headers: { ...headers("dead_letter", letter.connectorId), "verity-stage": letter.stage }
  }
}

export const decodeRawEventJson = Schema.decodeUnknownSync(Schema.parseJson(RawEvent))
export const decodeSnapshotJson = Schema.decodeUnknownSync(Schema.parseJson(PermissionSnapshot))
export const decodeDeadLetterJson = Schema.decodeUnknownSync(Schema.parseJson(DeadLetter))
