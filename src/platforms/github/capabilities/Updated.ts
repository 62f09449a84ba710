/**
 * GitHub's list_updated_accounts, from the org's audit log: every account whose org membership changed
 * (`org.add_member`, `org.update_member`, `org.remove_member`, `org.invite_member`,
 * `org.cancel_invitation`) since `since`, or since a previous answer's `cursor`, each as it stands now
 * (`GET /orgs/{org}/memberships/{username}`: ACTIVE, PENDING, or DELETED once it is gone). With neither,
 * the audit stream's first-pull window (90 days: GitHub searches three months without a `created`
 * qualifier). One answer holds them all (`page` is null). The cursor is the newest change's time; the next call asks from that
 * time inclusive, so a change logged late in the same millisecond is not lost (an account may come twice).
 */
import { Effect, Option, Schema, Stream } from "effect"
import { Checkpoint } from "../../../domain/Checkpoint.js"
import { CapabilityError } from "../../../sdk/capabilities/Errors.js"
import type { CapabilityHandler } from "../../../sdk/capabilities/Executor.js"
import { FoundAccountData, UpdatedAccounts } from "../../../sdk/capabilities/Records.js"
import { ListUpdatedAccountsResponse } from "../../../sdk/capabilities/Responses.js"
import { auditStream } from "../AuditLog.js"
import type { GitHubClient } from "../Client.js"
import { OrgMembership } from "../Payloads.js"
import { type GitHubCapabilitySettings, orgRoleAttribute, withClient } from "./Common.js"

const membershipActions = new Set(["org.add_member", "org.update_member", "org.remove_member", "org.invite_member", "org.cancel_invitation"])

const CursorJson = Schema.parseJson(Schema.Struct({ v: Schema.Literal(1), from: Schema.Number.pipe(Schema.int(), Schema.nonNegative()) }))
const encodeCursor = (from: number) => Buffer.from(Schema.encodeSync(CursorJson)({ v: 1, from })).toString("base64url")
const decodeCursor = (cursor: string) =>
  Schema.decodeUnknown(CursorJson)(Buffer.from(cursor, "base64url").toString("utf8")).pipe(
    Effect.map((c) => c.from),
    Effect.mapError(() => new CapabilityError({ code: "invalid_value", raisedBy: "ValueError", message: "cursor is not one list_updated_accounts answered with" }))
  )

/** where to read from: the cursor's time, else `since`'s, else the whole log */
const startOf = (since: string | null | undefined, cursor: string | null | undefined) => {
  if (cursor) return Effect.map(decodeCursor(cursor), Option.some)
  if (!since) return Effect.succeed(Option.none<number>())
  const at = new Date(since).getTime()
  return Number.isNaN(at)
    ? Effect.fail(new CapabilityError({ code: "invalid_value", raisedBy: "ValueError", message: `since must be an ISO 8601 date-time (got "${since}")` }))
    : Effect.succeed(Option.some(at))
}

/** an account as it stands now: a 404 means it has left the org (and holds no invitation) */
const accountNow = (client: GitHubClient, org: string, login: string, withRole: boolean) =>
  client.getJson("core", `/orgs/${org}/memberships/${encodeURIComponent(login)}`, OrgMembership, `read ${login}'s membership of ${org}`).pipe(
    Effect.map(({ body }) => Option.some(body)),
    Effect.catchIf((e) => e.status === 404, () => Effect.succeed(Option.none<typeof OrgMembership.Type>())),
    Effect.map((membership) =>
      new FoundAccountData({
        integration_specific_id: login,
        username: login,
        account_type: "user",
        user_status: Option.match(membership, { onNone: () => "DELETED" as const, onSome: (m) => (m.state === "active" ? "ACTIVE" as const : "PENDING" as const) }),
        custom_attributes: withRole && Option.isSome(membership) ? { [orgRoleAttribute]: membership.value.role === "admin" ? "admin" : "member" } : null
      })
    )
  )

export const listUpdatedAccounts: CapabilityHandler<"list_updated_accounts", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, 100, (client) =>
    Effect.gen(function*() {
      const from = yield* startOf(req.request.since, req.request.cursor)
      // the connector's audit stream from that time (inclusive), or from the start of what GitHub keeps
      const checkpoint = Option.map(from, (ms) => new Checkpoint({ version: 1, timestamp: ms, idsAtTimestamp: [], count: 0 }))
      const changed = yield* auditStream(client)(checkpoint).pipe(
        Stream.filterMap(({ record }) => (record._tag === "Valid" ? Option.some(record.value) : Option.none())),
        Stream.filter((e) => membershipActions.has(e.operation) && Option.match(from, { onNone: () => true, onSome: (ms) => e.occurredAt.getTime() >= ms })),
        Stream.runFold({ logins: new Map<string, string>(), newest: Option.getOrElse(from, () => 0) }, (acc, e) => {
          const raw = e.rawPayload as Record<string, unknown> | null
          const user = raw !== null && typeof raw === "object" && typeof raw["user"] === "string" ? raw["user"] : undefined
          // an invitation by email names no login yet: it becomes an account when accepted (org.add_member)
          if (user !== undefined) acc.logins.set(user.toLowerCase(), user)
          return { logins: acc.logins, newest: Math.max(acc.newest, e.occurredAt.getTime()) }
        })
      )
      const withRole = req.request.custom_attributes?.includes(orgRoleAttribute) ?? false
      const accounts = yield* Effect.forEach([...changed.logins.values()], (login) => accountNow(client, settings.org, login, withRole), { concurrency: 4 })
      return new ListUpdatedAccountsResponse({ response: new UpdatedAccounts({ accounts, cursor: encodeCursor(changed.newest) }) })
    }))
