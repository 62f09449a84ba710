/**
 * MockApp's activity capabilities: get_last_activity (each user's `last_login`) and
 * list_activity_records (the login history the audit stream reads, `/api/logins`, as ACCOUNT_LOGIN
 * records of the requested actors since `since_date`).
 */
import { Effect, Option, Schema } from "effect"
import { CapabilityError } from "../../../sdk/capabilities/Errors.js"
import type { CapabilityHandler } from "../../../sdk/capabilities/Executor.js"
import { PageCursor, paginate } from "../../../sdk/capabilities/PageToken.js"
import { ActivityRecord, ActivityRecordActor, LastActivityData } from "../../../sdk/capabilities/Records.js"
import { GetLastActivityResponse, ListActivityRecordsResponse } from "../../../sdk/capabilities/Responses.js"
import { Login } from "../Payloads.js"
import type { MockAppSettings } from "../Settings.js"
import { appId, withClient } from "./Common.js"

export const getLastActivity: CapabilityHandler<"get_last_activity", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    Effect.forEach(
      req.request.account_ids,
      (id) =>
        client.getUser(id).pipe(
          Effect.map((user) =>
            user.last_login === null
              ? []
              : [new LastActivityData({ account_id: user.id, event_type: "last_login", happened_at: user.last_login })]
          ),
          // unknown accounts are skipped, as the tutorial does; any other failure is reported
          Effect.catchIf((e) => e.reason === "not_found", () => Effect.succeed([]))
        ),
      { concurrency: 4 }
    ).pipe(Effect.map((found) => new GetLastActivityResponse({ response: found.flat() }))))

const decodeLogin = Schema.decodeUnknownOption(Login)

export const listActivityRecords: CapabilityHandler<"list_activity_records", MockAppSettings> = (req, settings) =>
  withClient(req.auth, settings, (client) =>
    Effect.gen(function*() {
      const since = new Date(req.request.since_date)
      if (Number.isNaN(since.getTime())) {
        return yield* new CapabilityError({
          code: "invalid_value",
          raisedBy: "ValueError",
          message: `since_date must be an ISO 8601 date or time (got "${req.request.since_date}")`
        })
      }
      const actors = new Set(req.request.actors.map((a) => a.account_id))
      const { items, page } = yield* paginate({
        appId,
        capability: "list_activity_records",
        endpoints: ["logins"],
        page: req.page,
        defaultSize: 100,
        fetch: (cursor, size) => {
          const limit = Math.min(size, 1000)
          return client.getLogins(since.toISOString(), limit, cursor.offset).pipe(
            Effect.map((got) => ({
              // the API filters by time only: other actors' logins are read past (and the page holds what is left)
              items: got.items.flatMap((raw) => Option.toArray(decodeLogin(raw))).filter((l) => actors.size === 0 || actors.has(l.user_id)),
              next: got.has_more && got.items.length > 0
                ? Option.some(new PageCursor({ endpoint: cursor.endpoint, offset: cursor.offset + got.items.length }))
                : Option.none()
            }))
          )
        }
      })
      return new ListActivityRecordsResponse({
        response: items.map((login) =>
          new ActivityRecord({
            id: login.id,
            activity_type: "ACCOUNT_LOGIN",
            timestamp: login.at,
            actor: new ActivityRecordActor({ account_id: login.user_id }),
            targets: []
          })
        ),
        raw_data: items,
        page
      })
    }))
