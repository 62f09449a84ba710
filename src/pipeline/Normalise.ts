/**
 * The normalise stage: one canonical shape whatever the platform.
 *   - refs are trimmed and must stay non-empty;
 *   - principals are lower-cased where the platform treats them case-insensitively (GitHub logins);
 *   - times are valid instants (their wire form is always ISO-8601 UTC);
 *   - `operation` is kept verbatim, plus a canonical `category`/`verb` split on its first dot.
 * A record that cannot be normalised is returned as `Left(reason)` and dead-lettered.
 */
import { Either } from "effect"
import { PermissionSnapshot } from "../domain/PermissionSnapshot.js"
import { RawEvent } from "../domain/RawEvent.js"

export interface NormaliseOptions {
  readonly caseInsensitivePrincipals: boolean
}

/** `repo.access` -> [`repo`, `access`]; `org.update_member` -> [`org`, `update_member`]; `login` -> [`login`, ``]. */
export const splitOperation = (operation: string): readonly [category: string, verb: string] => {
  const op = operation.trim()
  const dot = op.indexOf(".")
  return dot < 0 ? [op.toLowerCase(), ""] : [op.slice(0, dot).toLowerCase(), op.slice(dot + 1).toLowerCase()]
}

// Plain code rather than Either.gen: this runs once per record.
const trimmedOrEmpty = (value: string): string => (value.length > 0 && value.charCodeAt(0) > 32 && value.charCodeAt(value.length - 1) > 32 ? value : value.trim())

export const normaliseEvent = (event: RawEvent, options: NormaliseOptions): Either.Either<RawEvent, string> => {
  const eventId = trimmedOrEmpty(event.eventId)
  if (eventId.length === 0) return Either.left("event_id is empty after trimming")
  const principal = trimmedOrEmpty(event.principalRef)
  if (principal.length === 0) return Either.left("principal_ref is empty after trimming")
  const assetRef = trimmedOrEmpty(event.assetRef)
  if (assetRef.length === 0) return Either.left("asset_ref is empty after trimming")
  if (trimmedOrEmpty(event.operation).length === 0) return Either.left("operation is empty after trimming")
  if (Number.isNaN(event.occurredAt.getTime())) return Either.left("occurred_at is not a valid time")
  const [operationCategory, operationVerb] = splitOperation(event.operation)
  // validated field by field above: skip the constructor's second pass on this hot path
  return Either.right(
    RawEvent.fromChecked({
      platform: event.platform,
      eventId: eventId as RawEvent["eventId"],
      occurredAt: event.occurredAt,
      principalRef: options.caseInsensitivePrincipals ? principal.toLowerCase() : principal,
      assetRef,
      operation: event.operation,
      operationCategory,
      operationVerb,
      rawPayload: event.rawPayload
    })
  )
}

export const normaliseSnapshot = (
  snapshot: PermissionSnapshot,
  options: NormaliseOptions
): Either.Either<PermissionSnapshot, string> => {
  const principal = trimmedOrEmpty(snapshot.principalRef)
  if (principal.length === 0) return Either.left("principal_ref is empty after trimming")
  const assetRef = trimmedOrEmpty(snapshot.assetRef)
  if (assetRef.length === 0) return Either.left("asset_ref is empty after trimming")
  const privilege = trimmedOrEmpty(snapshot.privilege)
  if (privilege.length === 0) return Either.left("privilege is empty after trimming")
  if (Number.isNaN(snapshot.snapshotAt.getTime())) return Either.left("snapshot_at is not a valid time")
  return Either.right(
    new PermissionSnapshot({
      platform: snapshot.platform,
      principalRef: options.caseInsensitivePrincipals ? principal.toLowerCase() : principal,
      assetRef,
      privilege: privilege as PermissionSnapshot["privilege"],
      grantMechanism: snapshot.grantMechanism,
      snapshotAt: snapshot.snapshotAt
    }, true)
  )
}
