/**
 * The wire format downstream consumers read (DESIGN.md): topic per platform and kind, key, UTF-8
 * snake_case JSON value (the Schema classes own the camelCase <-> snake_case mapping), and headers
 * carrying the record kind, the schema version and the connector id.
 */
import { createHash } from "node:crypto"
import { Schema } from "effect"
import { DeadLetter } from "../domain/DeadLetter.js"
import { PermissionSnapshot } from "../domain/PermissionSnapshot.js"
import { RawEvent } from "../domain/RawEvent.js"
import type { WireMessage } from "../services/EventSink.js"

export const SCHEMA_VERSION = "1"

export const topics = {
  events: (platform: string) => `verity.events.raw.${platform}`,
  snapshots: (platform: string) => `verity.permissions.snapshots.${platform}`,
  deadLetters: (platform: string) => `verity.events.deadletter.${platform}`
} as const

export const headerNames = {
  kind: "verity-kind",
  schemaVersion: "verity-schema-version",
  connectorId: "verity-connector-id"
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

export const snapshotMessage = (snapshot: PermissionSnapshot, connectorId: string): WireMessage => ({
  topic: topics.snapshots(snapshot.platform),
  key: snapshot.key,
  value: JSON.stringify(snapshot.toWire()),
  headers: headers("permission_snapshot", connectorId)
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
