/**
 * The audit events stream: `/orgs/{org}/audit-log?phrase=created:>=<checkpoint>&include=all&order=asc&per_page=N`,
 * following the `after` cursors in `Link`. The first run asks from `since` (default 90 days back: without
 * a `created` qualifier GitHub searches only three months), and says so when GitHub's retention (about
 * 180 days, Git events 7) makes part of that range impossible. Resume is inclusive: entries older than the checkpoint's
 * millisecond are skipped here (the phrase has one-second resolution), entries at that millisecond come
 * through and the pipeline drops the ids the checkpoint says were already published.
 */
import { Chunk, Clock, Effect, Option, Schema, Stream } from "effect"
import { createHash } from "node:crypto"
import { type AuditRecord, decodeRecord } from "../../sdk/Connector.js"
import { Checkpoint } from "../../domain/Checkpoint.js"
import { ConnectorError } from "../../domain/Errors.js"
import { makePlatform } from "../../domain/Ids.js"
import { RawEvent } from "../../domain/RawEvent.js"
import type { GitHubClient } from "./Client.js"
import { AuditEntry, UnknownPage as AuditPageSchema } from "./Payloads.js"
import { defaultInclude, platform, sinceMs } from "./Settings.js"

const githubPlatform = makePlatform(platform)

export const unsupportedAuditLogWarning =
  "github: audit log unsupported (HTTP 404): the org is not on GitHub Enterprise Cloud; permissions are still pulled"

/** What the token's user is in the org (`GET /user/memberships/orgs/{org}`): GitHub hides the audit log from all but owners. */
const OrgMembership = Schema.Struct({ role: Schema.String, user: Schema.optional(Schema.Struct({ login: Schema.String })) })

/**
 * GitHub answers 404 on the audit log both to an org not on Enterprise Cloud and to anyone who is not an
 * owner. The token's membership tells them apart: not an owner is an error that says so; an owner (or a
 * token that cannot say, such as an App's) means the org has no audit log: a warning, and no events.
 */
const explainNotFound = (client: GitHubClient) => {
  const { org } = client.settings
  return client.getJson("core", `/user/memberships/orgs/${org}`, OrgMembership, `read the token's membership in ${org}`).pipe(
    Effect.either,
    Effect.flatMap((membership) => {
      if (membership._tag === "Right" && membership.right.body.role !== "admin") {
        const who = membership.right.body.user?.login
        return Effect.fail(
          new ConnectorError({
            reason: "forbidden",
            platform,
            status: 404,
            // the refusal's mapping below adds what the audit log needs
            message: `GitHub answered 404 on the audit log of ${org}: the token belongs to ${who ?? "a member"}, who is not an owner of ${org}.`
          })
        )
      }
      return Effect.logWarning(
        membership._tag === "Right"
          ? unsupportedAuditLogWarning
          : `${unsupportedAuditLogWarning} (or the token cannot read it: it needs read:audit_log and an owner of ${org})`
      )
    })
  )
}

/** JSON with sorted keys, so the same entry always hashes the same. */
const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>
    return `{${Object.keys(record).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(",")}}`
  }
  return JSON.stringify(value) ?? "null"
}

/** An id for an entry without `_document_id`: a digest of its canonical JSON (stable across re-reads). */
export const deterministicEventId = (entry: unknown): string =>
  `sha256:${createHash("sha256").update(canonicalJson(entry)).digest("hex").slice(0, 40)}`

const orgOf = (org: AuditEntry["org"]): string | undefined => (typeof org === "string" ? org : org?.[0])

const isOptionalString = (u: unknown) => u === undefined || typeof u === "string"

/**
 * `Schema.is(AuditEntry)` written out (test/platforms/github/AuditLog.test.ts holds the two equal): the
 * generic decoder was a tenth of the pipeline's thread per entry (bench/README.md).
 */
export const isAuditEntry = (u: unknown): u is AuditEntry => {
  if (typeof u !== "object" || u === null || Array.isArray(u)) return false
  const e = u as Record<string, unknown>
  const ts = e["@timestamp"]
  const id = e["_document_id"]
  const action = e["action"]
  const org = e["org"]
  const created = e["created_at"]
  return typeof ts === "number" && Number.isSafeInteger(ts) && ts >= 0 &&
    (id === undefined || (typeof id === "string" && id.length > 0)) &&
    typeof action === "string" && action.length > 0 &&
    isOptionalString(e["actor"]) && isOptionalString(e["repo"]) &&
    (isOptionalString(org) || (Array.isArray(org) && org.every((o) => typeof o === "string"))) &&
    (created === undefined || typeof created === "number")
}

export const decodeAuditEntry = decodeRecord(AuditEntry, (entry, original) => {
  const eventId = entry._document_id ?? deterministicEventId(original)
  const occurredAt = new Date(entry["@timestamp"])
  const principalRef = entry.actor && entry.actor.length > 0 ? entry.actor : "unknown"
  const assetRef = entry.repo && entry.repo.length > 0 ? entry.repo : (orgOf(entry.org) ?? "")
  // the constructor's own checks, when they cannot fail, are skipped on this hot path; otherwise it
  // runs them and its ParseError says what is wrong
  const checked = eventId.length > 0 && !Number.isNaN(occurredAt.getTime()) && assetRef.length > 0 && entry.action.length > 0
  const fields = {
    platform: githubPlatform,
    eventId: eventId as RawEvent["eventId"],
    occurredAt,
    principalRef,
    assetRef,
    operation: entry.action,
    rawPayload: original
  }
  return checked ? RawEvent.fromChecked(fields) : new RawEvent(fields)
}, isAuditEntry)

/** `created:>=` takes seconds: floor the checkpoint's ms (the skipped sub-second part is filtered here). */
export const createdPhrase = (ms: number): string => `created:>=${new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "+00:00")}`

/** GitHub's audit log retention: about 180 days, 7 for Git events. */
export const retentionDays = { web: 180, git: 7 } as const

const day = 86_400_000
const isoDate = (ms: number) => new Date(ms).toISOString()

/**
 * What GitHub's retention makes impossible in a first pull from `since` (none when all of it is kept).
 * Past the 180 days it is a warning; Git events' 7 days are GitHub's normal (a notice).
 */
export const retentionNotice = (
  since: number,
  now: number,
  include: "web" | "git" | "all"
): { readonly warn: boolean; readonly message: string } | undefined => {
  const lost: Array<string> = []
  const webLost = include !== "git" && since < now - retentionDays.web * day
  if (webLost) lost.push(`events before ${isoDate(now - retentionDays.web * day)} (GitHub keeps the audit log about ${retentionDays.web} days)`)
  if (include !== "web" && since < now - retentionDays.git * day) {
    lost.push(`Git events before ${isoDate(now - retentionDays.git * day)} (GitHub keeps Git events ${retentionDays.git} days)`)
  }
  return lost.length === 0
    ? undefined
    : { warn: webLost, message: `github: the first audit pull asks from ${isoDate(since)}, but ${lost.join(" and ")} cannot be fetched` }
}

export const auditStream = (client: GitHubClient) => (from: Option.Option<Checkpoint>): Stream.Stream<AuditRecord, ConnectorError> => {
  const { org, pageSize } = client.settings
  const include = client.settings.include ?? defaultInclude
  const start = Option.getOrElse(from, () => Checkpoint.initial)
  const checkpointTs = Option.flatMap(from, (cp) => Option.fromNullable(cp.timestamp))
  return Stream.unwrap(Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    // a first run asks from `since`; later runs from the checkpoint
    const fromTs = Option.isSome(checkpointTs) ? checkpointTs.value : sinceMs(client.settings, now)
    if (Option.isNone(checkpointTs)) {
      const notice = retentionNotice(fromTs, now, include)
      if (notice !== undefined) yield* (notice.warn ? Effect.logWarning(notice.message) : Effect.logInfo(notice.message))
    }
    const params = new URLSearchParams()
    params.set("phrase", createdPhrase(fromTs))
    params.set("include", include)
    params.set("order", "asc")
    params.set("per_page", String(pageSize))
    return entries(client, `/orgs/${org}/audit-log?${params.toString()}`, fromTs, start)
  }))
}

const entries = (client: GitHubClient, firstUrl: string, fromTs: number, start: Checkpoint): Stream.Stream<AuditRecord, ConnectorError> => {
  const { org } = client.settings

  const page = (url: string) =>
    client.getJson("audit_log", url, AuditPageSchema, `read the audit log of ${org}`).pipe(
      Effect.map(({ body, next }) => [Chunk.fromIterable(body), next] as const),
      Effect.catchIf(
        (e) => e.status === 404 && e.reason === "not_found",
        () => explainNotFound(client).pipe(Effect.as([Chunk.empty<unknown>(), Option.none<string>()] as const))
      ),
      // a refusal is an error, never an empty log
      Effect.mapError((e) =>
        e.reason === "forbidden"
          ? new ConnectorError({
            reason: "forbidden",
            platform,
            ...(e.status !== undefined ? { status: e.status } : {}),
            message: `${e.message} The audit log needs a token with the read:audit_log scope that belongs to an owner of ${org}.`
          })
          : e
      )
    )

  return Stream.paginateChunkEffect(firstUrl, page).pipe(
    Stream.filter((entry) => {
      // already published: older than the checkpoint's millisecond
      if (typeof entry !== "object" || entry === null) return true
      // a record with a bad `@timestamp` may still carry `created_at`: it places the record just as well
      const record = entry as Record<string, unknown>
      const ts = typeof record["@timestamp"] === "number" ? record["@timestamp"] : record["created_at"]
      // only a plausible time can say "already published": a malformed one goes on to be dead-lettered
      const plausible = typeof ts === "number" && Number.isSafeInteger(ts) && ts >= 0
      return !plausible || ts >= fromTs
    }),
    Stream.mapAccum(start, (position, entry): readonly [Checkpoint, AuditRecord] => {
      const record = decodeAuditEntry(entry)
      const next = record._tag === "Valid"
        ? position.advance(record.value.occurredAt.getTime(), record.value.eventId)
        : position
      return [next, { record, position: next }]
    })
  )
}
