/**
 * The connector contract. A connector turns one platform's API into two streams of domain records.
 * It never knows where they go (Kafka, files, memory) nor where its checkpoint is stored: the
 * pipeline owns publishing and checkpointing, and commits a position only after the records before
 * it were acknowledged.
 */
import { Data, Effect, Either, Option, ParseResult, Schema, Stream } from "effect"
import type { Checkpoint } from "../domain/Checkpoint.js"
import type { ConnectorError } from "../domain/Errors.js"
import type { ConnectorId, Platform } from "../domain/Ids.js"
import type { PermissionSnapshot } from "../domain/PermissionSnapshot.js"
import type { RawEvent } from "../domain/RawEvent.js"

/**
 * One record out of a connector: decoded into a domain value, or not. Either way it carries the
 * platform's original payload, so an undecodable record can be dead-lettered with its bytes.
 */
export type SourceRecord<A> = Data.TaggedEnum<{
  Valid: { readonly value: A; readonly original: unknown }
  Invalid: { readonly reason: string; readonly original: unknown }
}>
interface SourceRecordDefinition extends Data.TaggedEnum.WithGenerics<1> {
  readonly taggedEnum: SourceRecord<this["A"]>
}
export const SourceRecord = Data.taggedEnum<SourceRecordDefinition>()

/** A readable, multi-line reason for a schema failure (what a dead-letter record carries). */
export const formatParseError = (error: ParseResult.ParseError): string =>
  ParseResult.TreeFormatter.formatErrorSync(error)

/**
 * Decode one platform payload with `schema`, then map it to a domain value. Never fails: a payload
 * that does not decode, or whose mapping throws a `ParseError`, becomes `Invalid` with the reason.
 */
export const decodeRecord = <A, I, B>(
  schema: Schema.Schema<A, I, never>,
  toDomain: (decoded: A, original: unknown) => B
) => {
  const decode = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "ignore" })
  return (original: unknown): SourceRecord<B> =>
    Either.match(decode(original), {
      onLeft: (error) => SourceRecord.Invalid({ reason: formatParseError(error), original }),
      onRight: (decoded) => {
        try {
          return SourceRecord.Valid({ value: toDomain(decoded, original), original })
        } catch (cause) {
          const reason = ParseResult.isParseError(cause) ? formatParseError(cause) : String(cause)
          return SourceRecord.Invalid({ reason, original })
        }
      }
    })
}

/** An audit event plus the checkpoint that is safe to save once it and everything before it are published. */
export interface AuditRecord {
  readonly record: SourceRecord<RawEvent>
  readonly position: Checkpoint
}

export interface Connector {
  readonly id: ConnectorId
  readonly platform: Platform
  /** GitHub logins are case-insensitive: the normalise stage lower-cases principals for such platforms. */
  readonly caseInsensitivePrincipals: boolean
  /** The current state of every access grant. Pages are streamed, never collected whole. */
  readonly permissions: Stream.Stream<SourceRecord<PermissionSnapshot>, ConnectorError>
  /**
   * Audit events at or after `from` (inclusive: the pipeline drops the ids `from` says were already
   * published at its timestamp), oldest first. A platform without an audit log returns an empty stream
   * after logging why.
   */
  readonly auditEvents: (from: Option.Option<Checkpoint>) => Stream.Stream<AuditRecord, ConnectorError>
}

/** A connector with nothing to say on a stream, for platforms that lack one. */
export const noAuditEvents = (platform: string, why: string) => (): Stream.Stream<AuditRecord, ConnectorError> =>
  Stream.fromEffect(Effect.logWarning(`${platform}: audit events unsupported: ${why}`)).pipe(Stream.drain)
