/** The grants endpoints over the grant store. */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect } from "effect"
import { GrantStore } from "../../services/GrantStore.js"
import { VerityApi } from "./Api.js"
import { StoreUnavailable } from "./Errors.js"

const defaultLimit = 100

export const GrantsLive = HttpApiBuilder.group(VerityApi, "grants", (handlers) =>
  handlers
    .handle("list", ({ urlParams: q }) =>
      Effect.flatMap(GrantStore, (store) =>
        store.list({
          platform: q.platform,
          limit: q.limit ?? defaultLimit,
          ...(q.principal !== undefined ? { principal: q.principal } : {}),
          ...(q.asset !== undefined ? { asset: q.asset } : {}),
          ...(q.privilege !== undefined ? { privilege: q.privilege } : {}),
          ...(q.cursor !== undefined ? { cursor: q.cursor } : {})
        })).pipe(
          Effect.map((page) => ({ grants: page.grants, ...(page.nextCursor !== undefined ? { next_cursor: page.nextCursor } : {}) })),
          Effect.catchTag("CheckpointError", (e) => Effect.fail(new StoreUnavailable({ message: `grant state: ${e.message}` })))
        ))
    .handle("changes", ({ urlParams: q }) =>
      Effect.flatMap(GrantStore, (store) =>
        store.changes({
          platform: q.platform,
          since: q.since ?? new Date(0),
          limit: q.limit ?? defaultLimit,
          ...(q.cursor !== undefined ? { cursor: q.cursor } : {})
        })).pipe(
          Effect.map((page) => ({ changes: page.changes, ...(page.nextCursor !== undefined ? { next_cursor: page.nextCursor } : {}) })),
          Effect.catchTag("CheckpointError", (e) => Effect.fail(new StoreUnavailable({ message: `grant state: ${e.message}` })))
        ))
)
