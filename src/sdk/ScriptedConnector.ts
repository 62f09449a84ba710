/**
 * A connector over records held in memory: for tests of pipeline logic, for examples, and for programs
 * that embed the pipeline and already have their data. Entries are decoded with a Schema like any
 * platform payload, so a malformed entry is dead-lettered, not dropped.
 */
import { Option, Schema, Stream } from "effect"
import { Checkpoint } from "../domain/Checkpoint.js"
import { makeConnectorId, makePlatform } from "../domain/Ids.js"
import { PermissionSnapshot } from "../domain/PermissionSnapshot.js"
import { RawEvent } from "../domain/RawEvent.js"
import { type AuditRecord, type Connector, decodeRecord, SourceRecord } from "./Connector.js"

/** The shape of a scripted audit entry. */
export const ScriptedEntry = Schema.Struct({
  id: Schema.NonEmptyString,
  /** epoch milliseconds */
  ts: Schema.Number.pipe(Schema.int(), Schema.nonNegative()),
  actor: Schema.String,
  asset: Schema.String,
  action: Schema.String
})
export type ScriptedEntry = typeof ScriptedEntry.Type

export const ScriptedGrant = Schema.Struct({
  principal: Schema.String,
  asset: Schema.String,
  privilege: Schema.String,
  mechanism: Schema.Literal("direct", "group", "role")
})
export type ScriptedGrant = typeof ScriptedGrant.Type

export interface ScriptedConnectorOptions {
  readonly id: string
  readonly platform: string
  /** audit entries, oldest first; `unknown` so tests can script malformed ones */
  readonly entries: ReadonlyArray<unknown>
  readonly grants?: ReadonlyArray<unknown>
  readonly caseInsensitivePrincipals?: boolean
  /** records pulled per "page", to exercise chunked streaming */
  readonly pageSize?: number
}

const entryTimestamp = (entry: unknown): number | undefined => {
  if (typeof entry !== "object" || entry === null || !("ts" in entry)) return undefined
  return typeof entry.ts === "number" ? entry.ts : undefined
}

export const makeScriptedConnector = (options: ScriptedConnectorOptions): Connector => {
  const platform = makePlatform(options.platform)
  const id = makeConnectorId(options.id)
  const snapshotAt = new Date()
  const toEvent = decodeRecord(ScriptedEntry, (e, original) =>
    new RawEvent({
      platform,
      eventId: e.id as RawEvent["eventId"],
      occurredAt: new Date(e.ts),
      principalRef: e.actor,
      assetRef: e.asset,
      operation: e.action,
      rawPayload: original
    }))
  const toSnapshot = decodeRecord(ScriptedGrant, (g) =>
    new PermissionSnapshot({
      platform,
      principalRef: g.principal,
      assetRef: g.asset,
      privilege: g.privilege as PermissionSnapshot["privilege"],
      grantMechanism: g.mechanism,
      snapshotAt
    }))
  const pageSize = options.pageSize ?? 100

  return {
    id,
    platform,
    caseInsensitivePrincipals: options.caseInsensitivePrincipals ?? false,
    permissions: Stream.fromIterable(options.grants ?? []).pipe(Stream.rechunk(pageSize), Stream.map(toSnapshot)),
    auditEvents: (from) => {
      // inclusive resume: everything at or after the checkpoint's millisecond
      const since = Option.flatMap(from, (cp) => Option.fromNullable(cp.timestamp)).pipe(Option.getOrElse(() => -1))
      return Stream.fromIterable(options.entries).pipe(
        Stream.rechunk(pageSize),
        Stream.filter((entry) => (entryTimestamp(entry) ?? Number.MAX_SAFE_INTEGER) >= since),
        Stream.mapAccum(Option.getOrElse(from, () => Checkpoint.initial), (position, entry): [Checkpoint, AuditRecord] => {
          const record = toEvent(entry)
          const next = SourceRecord.$is("Valid")(record)
            ? position.advance(record.value.occurredAt.getTime(), record.value.eventId)
            : position
          return [next, { record, position: next }]
        })
      )
    }
  }
}
