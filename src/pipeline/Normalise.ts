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

const ref = (value: string, field: string): Either.Either<string, string> => {
  const trimmed = value.trim()
  return trimmed.length > 0 ? Either.right(trimmed) : Either.left(`${field} is empty after trimming`)
}

export const normaliseEvent = (event: RawEvent, options: NormaliseOptions): Either.Either<RawEvent, string> =>
  Either.gen(function*() {
    const eventId = yield* ref(event.eventId, "event_id")
    const principal = yield* ref(event.principalRef, "principal_ref")
    const assetRef = yield* ref(event.assetRef, "asset_ref")
    const operation = yield* ref(event.operation, "operation")
    if (Number.isNaN(event.occurredAt.getTime())) return yield* Either.left("occurred_at is not a valid time")
    const [operationCategory, operationVerb] = splitOperation(operation)
    // validated field by field above: skip the constructor's second pass on this hot path
    return new RawEvent({
      platform: event.platform,
      eventId: eventId as RawEvent["eventId"],
      occurredAt: event.occurredAt,
      principalRef: options.caseInsensitivePrincipals ? principal.toLowerCase() : principal,
      assetRef,
      operation: event.operation,
      operationCategory,
      operationVerb,
      rawPayload: event.rawPayload
    }, true)
  })

export const normaliseSnapshot = (
  snapshot: PermissionSnapshot,
  options: NormaliseOptions
): Either.Either<PermissionSnapshot, string> =>
  Either.gen(function*() {
    const principal = yield* ref(snapshot.principalRef, "principal_ref")
    const assetRef = yield* ref(snapshot.assetRef, "asset_ref")
    const privilege = yield* ref(snapshot.privilege, "privilege")
    if (Number.isNaN(snapshot.snapshotAt.getTime())) return yield* Either.left("snapshot_at is not a valid time")
    return new PermissionSnapshot({
      platform: snapshot.platform,
      principalRef: options.caseInsensitivePrincipals ? principal.toLowerCase() : principal,
      assetRef,
      privilege: privilege as PermissionSnapshot["privilege"],
      grantMechanism: snapshot.grantMechanism,
      snapshotAt: snapshot.snapshotAt
    }, true)
  })
