/**
 * The MockApp API client (the tutorial's `MockappClient`), on the foundation's `Http.makeApiClient`:
 * rate-limit permits, retries of 5xx and transport failures, a Redacted bearer token, and every
 * answer decoded with the API's payload schemas. Non-2xx answers become `ConnectorError`s whose
 * message carries the API's `detail`.
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Effect, Option, type Redacted, Schema } from "effect"
import type { ConnectorError } from "../../domain/Errors.js"
import { getJson, makeApiClient, statusError, transportError } from "../../sdk/Http.js"
import { Association, Entitlement, type NewUser, Resource, User, UserPage, type UserUpdate } from "./Payloads.js"

export const platform = "mockapp"
const base = "/api"

export interface MockAppClientOptions {
  readonly apiUrl: string
  readonly token: Redacted.Redacted<string>
}

export const makeMockAppClient = (options: MockAppClientOptions) =>
  Effect.gen(function*() {
    const client = yield* makeApiClient({
      platform,
      baseUrl: options.apiUrl,
      token: Option.some(options.token),
      limiterKey: `mockapp:${options.apiUrl}`
    })
    const get = <A, I>(path: string, schema: Schema.Schema<A, I, never>, what: string, params: Record<string, string | number | undefined> = {}) => {
      const defined = Object.entries(params).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)] as const]))
      return getJson(client, platform, HttpClientRequest.get(base + path).pipe(HttpClientRequest.setUrlParams(defined)), schema, what).pipe(
        Effect.map((r) => r.body)
      )
    }
    const send = <A, I>(request: HttpClientRequest.HttpClientRequest, schema: Schema.Schema<A, I, never>, what: string) =>
      getJson(client, platform, request, schema, what, 0).pipe(Effect.map((r) => r.body))
    /** a write answered with no body (204) */
    const sendEmpty = (request: HttpClientRequest.HttpClientRequest, what: string): Effect.Effect<void, ConnectorError> =>
      client.execute(request).pipe(
        Effect.mapError(transportError(platform)),
        Effect.flatMap((response) =>
          response.status >= 200 && response.status < 300 ? Effect.void : Effect.flatMap(statusError(platform, response, what), Effect.fail)
        )
      )

    return {
      health: get("/health", Schema.Unknown, "health check"),
      getUsers: (limit: number, offset: number) => get("/users", UserPage, "list users", { limit, offset }),
      getUser: (id: string) => get(`/users/${encodeURIComponent(id)}`, User, `get user ${id}`),
      getResources: get("/resources", Schema.Array(Resource), "list resources"),
      getEntitlements: get("/entitlements", Schema.Array(Entitlement), "list entitlements"),
      getAssociations: (filter: {
        readonly user_id?: string
        readonly entitlement_id?: string
        readonly resource_id?: string
        readonly limit?: number
        readonly offset?: number
      }) => get("/associations", Schema.Array(Association), "list associations", filter),
      /** raw association pages, for the permission stream (decoded record by record there) */
      getAssociationsRaw: (limit: number, offset: number) =>
        get("/associations", Schema.Array(Schema.Unknown), "list associations", { limit, offset }),
      getLogins: (since: string | undefined, limit: number, offset: number) =>
        get("/logins", Schema.Struct({ items: Schema.Array(Schema.Unknown), total: Schema.Int, has_more: Schema.Boolean }), "list logins", {
          since,
          limit,
          offset
        }),
      createUser: (user: NewUser) =>
        send(HttpClientRequest.post(`${base}/users`).pipe(HttpClientRequest.bodyUnsafeJson(user)), User, "create user"),
      updateUser: (id: string, update: UserUpdate) =>
        send(
          HttpClientRequest.put(`${base}/users/${encodeURIComponent(id)}`).pipe(HttpClientRequest.bodyUnsafeJson(update)),
          User,
          `update user ${id}`
        ),
      deleteUser: (id: string) => sendEmpty(HttpClientRequest.del(`${base}/users/${encodeURIComponent(id)}`), `delete user ${id}`),
      assignEntitlement: (userId: string, entitlementId: string, resourceId: string) =>
        send(
          HttpClientRequest.post(`${base}/users/${encodeURIComponent(userId)}/entitlements`).pipe(
            HttpClientRequest.bodyUnsafeJson({ entitlement_id: entitlementId, resource_id: resourceId })
          ),
          Association,
          `assign ${entitlementId} to ${userId}`
        ),
      unassignEntitlement: (userId: string, entitlementId: string, resourceId: string) =>
        sendEmpty(
          HttpClientRequest.del(`${base}/users/${encodeURIComponent(userId)}/entitlements/${encodeURIComponent(entitlementId)}`).pipe(
            HttpClientRequest.setUrlParam("resource_id", resourceId)
          ),
          `unassign ${entitlementId} from ${userId}`
        )
    }
  })

export type MockAppClient = Effect.Effect.Success<ReturnType<typeof makeMockAppClient>>
