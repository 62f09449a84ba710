/**
 * What the cluster suite reads back from Kafka, per connector stream: the records each stream published
 * more than once (by the record's own identity), the records a new holder published again from behind
 * the checkpoint it should have resumed from, and the last complete snapshot's grants.
 */
import { headerNames, topics } from "../../src/pipeline/Wire.js"
import type { DrainedMessage } from "../../src/testkit/KafkaDrain.js"
import type { CheckpointSample } from "./Program.js"
import { duplicatesOf, parseValue } from "./Program.js"

const ofConnector = (read: ReadonlyArray<DrainedMessage>, connectorId: string) =>
  read.filter((m) => m.headers[headerNames.connectorId] === connectorId)

const sum = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((s, n) => s + n, 0)

/** The audit stream's event ids, in the order read. */
export const auditIds = (read: ReadonlyArray<DrainedMessage>, platform: string, connectorId: string) =>
  ofConnector(read, connectorId).filter((m) => m.topic === topics.events(platform)).map((m) => String(parseValue(m.value)["event_id"]))

/** Audit records published more than once (by `event_id`). */
export const auditDuplicates = (read: ReadonlyArray<DrainedMessage>, platform: string, connectorId: string) =>
  sum(duplicatesOf(auditIds(read, platform, connectorId)))

/**
 * The permissions stream's record identities: a snapshot record is (snapshot id, grant key) (a snapshot
 * holds each grant once), a tombstone and a change event their `change_id`, a completion marker its
 * snapshot id. A re-run snapshot has a new id, so only a batch published twice by one run counts.
 */
export const permissionIdentities = (read: ReadonlyArray<DrainedMessage>, platform: string, connectorId: string) =>
  ofConnector(read, connectorId).flatMap((m) => {
    if (m.topic === topics.snapshots(platform)) {
      return m.tombstone ? [`tombstone|${m.headers[headerNames.changeId]}`] : [`snapshot|${m.headers[headerNames.snapshotId]}|${m.key}`]
    }
    if (m.topic === topics.changes(platform)) return [`change|${String(parseValue(m.value)["change_id"])}`]
    if (m.topic === topics.runs(platform)) return [`marker|${m.headers[headerNames.snapshotId]}`]
    return []
  })

/** Permission records published more than once. */
export const permissionDuplicates = (read: ReadonlyArray<DrainedMessage>, platform: string, connectorId: string) =>
  sum(duplicatesOf(permissionIdentities(read, platform, connectorId)))

/** `key|mechanism` of every snapshot record of run `snapshotId`, sorted. */
export const snapshotGrants = (read: ReadonlyArray<DrainedMessage>, platform: string, snapshotId: string) =>
  read
    .filter((m) => m.topic === topics.snapshots(platform) && !m.tombstone && m.headers[headerNames.snapshotId] === snapshotId)
    .map((m) => `${m.key}|${String(parseValue(m.value)["grant_mechanism"])}`)
    .sort()

/**
 * Audit events of `connectorId` sent after `after` (epoch ms, by the producer's timestamp) that lie at or
 * behind checkpoint `cp`: a holder that resumed from the checkpoint never sends those again.
 */
export const sentBehindCheckpoint = (
  read: ReadonlyArray<DrainedMessage>,
  platform: string,
  connectorId: string,
  after: number,
  cp: CheckpointSample
): ReadonlyArray<string> => {
  if (cp.ts === undefined) return []
  const atTs = new Set(cp.idsAtTs)
  return ofConnector(read, connectorId)
    .filter((m) => m.topic === topics.events(platform) && m.timestamp > after)
    .map((m) => parseValue(m.value))
    .filter((v) => {
      const ts = Date.parse(String(v["occurred_at"]))
      return ts < cp.ts! || (ts === cp.ts && atTs.has(String(v["event_id"])))
    })
    .map((v) => String(v["event_id"]))
}

export const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)]!
}
