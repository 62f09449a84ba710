/**
 * The MockApp pipeline connector. Permission snapshots: one per association (principal = account id,
 * asset = resource id, privilege = entitlement id; `role` for project/admin roles, `group` for team
 * membership). Audit events: one per login from `GET /api/logins`, oldest first, resumed inclusively
 * from the checkpoint's time; the login id is the event id. Both stream page by page (limit/offset).
 */
import { Chunk, Clock, Effect, Option, Stream } from "effect"
import { advanceFrom, type Checkpoint } from "../../domain/Checkpoint.js"
import type { ConnectorError } from "../../domain/Errors.js"
import { type ConnectorId, makePlatform } from "../../domain/Ids.js"
import { PermissionSnapshot } from "../../domain/PermissionSnapshot.js"
import { RawEvent } from "../../domain/RawEvent.js"
import { type AuditRecord, type Connector, decodeRecord } from "../../sdk/Connector.js"
import { makeMockAppClient } from "./Client.js"
import { Association, type EntitlementKind, Login } from "./Payloads.js"
import { type MockAppConnectorSettings, platform as platformName } from "./Settings.js"

const platform = makePlatform(platformName)

export const grantMechanismOf = (kind: EntitlementKind | undefined) => (kind === "team_member" ? "group" as const : "role" as const)

/** Build a MockApp connector from decoded settings (what tests use directly). */
export const makeMockAppConnector = (id: ConnectorId, settings: MockAppConnectorSettings) =>
  Effect.gen(function*() {
    const client = yield* makeMockAppClient({ apiUrl: settings.api_url, token: settings.token })
    const size = settings.page_size

    const permissions = Stream.unwrap(
      Effect.gen(function*() {
        const snapshotAt = new Date(yield* Clock.currentTimeMillis)
        // the catalogue is a small lookup table (entitlement -> type), not a list of grants
        const kinds = new Map((yield* client.getEntitlements).map((e) => [e.id, e.type]))
        const toSnapshot = decodeRecord(Association, (a) =>
          new PermissionSnapshot({
            platform,
            principalRef: a.user_id,
            assetRef: a.resource_id,
            privilege: a.entitlement_id as PermissionSnapshot["privilege"],
            grantMechanism: grantMechanismOf(kinds.get(a.entitlement_id)),
            snapshotAt
          }))
        return Stream.paginateChunkEffect(0, (offset) =>
          client.getAssociationsRaw(size, offset).pipe(
            Effect.map((page) => [
              Chunk.unsafeFromArray(page.map(toSnapshot)),
              page.length === size ? Option.some(offset + page.length) : Option.none<number>()
            ] as const)
          ))
      })
    )

    const auditEvents = (from: Option.Option<Checkpoint>): Stream.Stream<AuditRecord, ConnectorError> => {
      const since = Option.flatMap(from, (cp) => Option.fromNullable(cp.timestamp)).pipe(
        Option.map((ms) => new Date(ms).toISOString()),
        Option.getOrUndefined
      )
      const toEvent = decodeRecord(Login, (login, original) =>
        new RawEvent({
          platform,
          eventId: login.id as RawEvent["eventId"],
          occurredAt: new Date(login.at),
          principalRef: login.user_id,
          assetRef: "mockapp",
          operation: "user.login",
          operationCategory: "",
          operationVerb: "",
          rawPayload: original
        }))
      // the position advances over every record, decodable or not, in API order
      let position: Option.Option<Checkpoint> = from
      const toAudit = (original: unknown): AuditRecord => {
        const record = toEvent(original)
        const at = record._tag === "Valid" ? record.value.occurredAt.getTime() : Option.getOrUndefined(position)?.timestamp ?? 0
        const id = record._tag === "Valid" ? record.value.eventId : `invalid:${JSON.stringify(original).slice(0, 64)}`
        const next = advanceFrom(position)(at, id)
        position = Option.some(next)
        return { record, position: next }
      }
      return Stream.paginateChunkEffect(0, (offset) =>
        client.getLogins(since, size, offset).pipe(
          Effect.map((page) => [
            Chunk.unsafeFromArray(page.items.map(toAudit)),
            page.has_more && page.items.length > 0 ? Option.some(offset + page.items.length) : Option.none<number>()
          ] as const)
        ))
    }

    return {
      id,
      platform,
      caseInsensitivePrincipals: false,
      permissions,
      auditEvents
    } satisfies Connector
  })
