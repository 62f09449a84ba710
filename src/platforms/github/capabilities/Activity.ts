/**
 * GitHub's activity capabilities, from the org's audit log (the connector's audit stream):
 * get_last_activity is each requested account's newest event; list_activity_records lists the
 * requested actors' events since `since_date`, oldest first, behind a page token.
 */
import { Effect, Option, Stream } from "effect"
import { CapabilityError } from "../../../sdk/capabilities/Errors.js"
import type { CapabilityHandler } from "../../../sdk/capabilities/Executor.js"
import { PageCursor, paginate } from "../../../sdk/capabilities/PageToken.js"
import {
  ActivityRecord,
  ActivityRecordActor,
  LastActivityData
} from "../../../sdk/capabilities/Records.js"
import { GetLastActivityResponse, ListActivityRecordsResponse } from "../../../sdk/capabilities/Responses.js"
import { auditStream } from "../AuditLog.js"
import { appId, type GitHubCapabilitySettings, withClient } from "./Common.js"

export const getLastActivity: CapabilityHandler<"get_last_activity", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, 100, (client) => {
    const wanted = new Map(req.request.account_ids.map((id) => [id.toLowerCase(), id]))
    return auditStream(client)(Option.none()).pipe(
      Stream.runFold(new Map<string, number>(), (latest, { record }) => {
        if (record._tag !== "Valid") return latest
        const who = record.value.principalRef.toLowerCase()
        const at = record.value.occurredAt.getTime()
        if (wanted.has(who) && at > (latest.get(who) ?? Number.NEGATIVE_INFINITY)) latest.set(who, at)
        return latest
      }),
      Effect.map((latest) =>
        new GetLastActivityResponse({
          response: [...wanted.entries()].flatMap(([key, id]) => {
            const at = latest.get(key)
            return at === undefined
              ? []
              : [new LastActivityData({ account_id: id, event_type: "last_activity", happened_at: new Date(at).toISOString() })]
          })
        })
      )
    )
  })

export const listActivityRecords: CapabilityHandler<"list_activity_records", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, 100, (client) =>
    Effect.gen(function*() {
      const since = new Date(req.request.since_date).getTime()
      if (Number.isNaN(since)) {
        return yield* new CapabilityError({
          code: "invalid_value",
          raisedBy: "ValueError",
          message: `since_date must be an ISO 8601 date or time (got "${req.request.since_date}")`
        })
      }
      const actors = new Set(req.request.actors.map((a) => a.account_id.toLowerCase()))
      // the audit log is read oldest first; a page is a slice of the matching events at an offset
      const matching = auditStream(client)(Option.none()).pipe(
        Stream.filterMap(({ record }) => (record._tag === "Valid" ? Option.some(record.value) : Option.none())),
        Stream.filter((e) => e.occurredAt.getTime() >= since && (actors.size === 0 || actors.has(e.principalRef.toLowerCase())))
      )
      const { items, page } = yield* paginate({
        appId,
        capability: "list_activity_records",
        endpoints: ["audit-log"],
        page: req.page,
        defaultSize: 100,
        fetch: (cursor, size) =>
          matching.pipe(
            Stream.drop(cursor.offset),
            Stream.take(size + 1),
            Stream.runCollect,
            Effect.map((chunk) => {
              const got = Array.from(chunk)
              return {
                items: got.slice(0, size),
                next: got.length > size ? Option.some(new PageCursor({ endpoint: cursor.endpoint, offset: cursor.offset + size })) : Option.none()
              }
            })
          )
      })
      return new ListActivityRecordsResponse({
        response: items.map((e) =>
          new ActivityRecord({
            id: e.eventId,
            activity_type: e.operation,
            timestamp: e.occurredAt.toISOString(),
            actor: new ActivityRecordActor({ account_id: e.principalRef }),
            targets: [],
            metadata: { asset: e.assetRef }
          })
        ),
        raw_data: items.map((e) => e.rawPayload),
        page
      })
    }))
