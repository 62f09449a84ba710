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
  toDomain: (decoded: A, original: unknown) => B,
  /**
   * A hand-written check that gives `Schema.is(schema)`'s answer for a schema whose decoded value is its
   * input (a plain Struct), cheaper on a hot path: what it accepts skips the generic decoder, what it
   * refuses goes through the schema, which says why. Hold the two equal with a property test.
   */
  is?: (u: unknown) => u is A
) => {
  const decode = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "ignore" })
  const valid = (decoded: A, original: unknown): SourceRecord<B> => {
    try {
      return SourceRecord.Valid({ value: toDomain(decoded, original), original })
    } catch (cause) {
      const reason = ParseResult.isParseError(cause) ? formatParseError(cause) : String(cause)
      return SourceRecord.Invalid({ reason, original })
    }
  }
  return (original: unknown): SourceRecord<B> => {
    if (is !== undefined && is(original)) return valid(original, original)
    const decoded = decode(original)
    return Either.isLeft(decoded)
      ? SourceRecord.Invalid({ reason: formatParseError(decoded.left), original })
      : valid(decoded.right, original)
  }
}

/** An audit event plus the checkpoint that is safe to save once it and everything before it are published. */
export interface AuditRecord {
  readonly record: SourceRecord<RawEvent>
  readonly position: Checkpoint
}

/**
 * What an access-changing audit event touches: one asset (a repository), a group (a team: every asset
 * it has access to), or the whole org (base permission, owners). The pipeline re-reads that scope.
 */
export type AccessScope = Data.TaggedEnum<{
  Asset: { readonly asset: string }
  Group: { readonly group: string }
  Org: {}
}>
export const AccessScope = Data.taggedEnum<AccessScope>()

/**
 * A connector that can re-read part of its grants when its audit log says access changed there
 * (docs/access-over-time.md, "Refresh driven by the audit log"). The pipeline turns events into scopes,
 * coalesces them, and diffs only the assets re-read.
 */
export interface AccessRefresh {
  /** The audit actions that change access, and what each touches (the declaration operators read). */
  readonly actions: ReadonlyMap<string, AccessScope["_tag"]>
  /** The scope an event touches, or none when its action does not change access or names no target. */
  readonly scopeOf: (event: RawEvent) => Option.Option<AccessScope>
  /**
   * The assets a set of asset and group scopes covers, as the permissions stream names them (a group's
   * assets as the platform lists them now).
   */
  readonly assetsOf: (scopes: ReadonlyArray<AccessScope>) => Effect.Effect<ReadonlyArray<string>, ConnectorError>
  /**
   * Every grant on exactly these assets, through the same (conditional, cached) reads as `permissions`.
   * Each asset is read whole, so the pipeline may diff them; one it cannot read fails the stream.
   */
  readonly permissionsOf: (assets: ReadonlyArray<string>) => Stream.Stream<SourceRecord<PermissionSnapshot>, ConnectorError>
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
  /** Re-reading the grants an audit event touched; absent when the platform cannot (full snapshots only). */
  readonly refresh?: AccessRefresh
}

/** A connector with nothing to say on a stream, for platforms that lack one. */
export const noAuditEvents = (platform: string, why: string) => (): Stream.Stream<AuditRecord, ConnectorError> =>
  Stream.fromEffect(Effect.logWarning(`${platform}: audit events unsupported: ${why}`)).pipe(Stream.drain)
