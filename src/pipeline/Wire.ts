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

/**
 * `eventMessage` for one connector's stream, cheaper per event: the topic and the headers object are
 * built once and shared (a message is never modified after it is built), and the value is written out
 * field by field: the same string as `JSON.stringify(event.toWire())` (test/pipeline/Wire.test.ts
 * holds the two equal), without the intermediate object.
 */
export const eventMessages = (connectorId: string): (event: RawEvent) => WireMessage => {
  const shared = headers("raw_event", connectorId)
  const topicOf = new Map<string, string>()
  return (event) => {
    let topic = topicOf.get(event.platform)
    if (topic === undefined) {
      topic = topics.events(event.platform)
      topicOf.set(event.platform, topic)
    }
    return { topic, key: event.key, value: rawEventJson(event), headers: shared }
  }
}

const str = JSON.stringify

/** `JSON.stringify(event.toWire())`, written out (key order as in `toWire`). */
export const rawEventJson = (e: RawEvent): string => {
  const raw: string | undefined = JSON.stringify(e.rawPayload)
  let out = `{"platform":${str(e.platform)},"event_id":${str(e.eventId)},"occurred_at":"${isoUtc(e.occurredAt)}","principal_ref":${
    str(e.principalRef)
  },"asset_ref":${str(e.assetRef)},"operation":${str(e.operation)}`
  // `undefined` (or a function) as the payload: JSON.stringify leaves the key out of an object
  if (raw !== undefined) out += `,"raw_payload":${raw}`
  if (e.operationCategory !== undefined) out += `,"operation_category":${str(e.operationCategory)}`
  if (e.operationVerb !== undefined) out += `,"operation_verb":${str(e.operationVerb)}`
  return out + "}"
}

const dayMs = 86_400_000
/** the last day formatted: events come in time order, so most share it */
let dayStart = Number.NaN
let dayPrefix = ""
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`)

/**
 * `date.toISOString()`, with the date part cached per UTC day (V8's formatter was a noticeable part of
 * the encoding per event). Outside years 1970-9999 it is `toISOString` itself.
 */
export const isoUtc = (date: Date): string => {
  const ms = date.getTime()
  if (!(ms >= 0 && ms < 253_402_300_800_000)) return date.toISOString()
  let inDay = ms - dayStart
  if (!(inDay >= 0 && inDay < dayMs)) {
    dayStart = ms - (ms % dayMs)
    dayPrefix = new Date(dayStart).toISOString().slice(0, 11)
    inDay = ms - dayStart
  }
  const milli = inDay % 1000
  const seconds = Math.floor(inDay / 1000)
  return `${dayPrefix}${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor(seconds / 60) % 60)}:${pad2(seconds % 60)}.${
    milli < 10 ? "00" : milli < 100 ? "0" : ""
  }${milli}Z`
}

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
