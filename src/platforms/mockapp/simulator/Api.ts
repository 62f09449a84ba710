/**
 * The MockApp API (the Lumos tutorial's FastAPI `mock_api_server.py`) as an `HttpApi` definition, so
 * `/openapi.json` and the `/docs` page are derived from the same schemas the handlers use. Errors answer
 * FastAPI's `{"detail": "..."}` bodies, one class per status (classes, so encoding picks the status).
 *
 * Besides the tutorial's routes it serves `GET /api/logins?since&limit&offset`: each user's login
 * history, oldest first, so an audit stream can resume from a checkpoint (`last_login` alone cannot).
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import {
  AssignEntitlement,
  Association,
  Entitlement,
  Health,
  LoginPage,
  NewUser,
  Resource,
  User,
  UserPage,
  UserUpdate
} from "../Payloads.js"

// The type side carries a `_tag`, so the API's error union can tell them apart (their wire bodies
// are all alike); the wire body is FastAPI's `{"detail": ...}`.
const detailError = <const Tag extends string>(tag: Tag, status: number) =>
  Schema.transform(
    Schema.Struct({ detail: Schema.String }),
    Schema.TaggedStruct(tag, { detail: Schema.String }),
    {
      strict: true,
      decode: ({ detail }) => ({ _tag: tag, detail }),
      encode: ({ detail }) => ({ detail })
    }
  ).annotations(HttpApiSchema.annotations({ status, identifier: tag }))

export const Unauthorized = detailError("Unauthorized", 401)
export const NotFound = detailError("NotFound", 404)
export const Conflict = detailError("Conflict", 409)
export const Unprocessable = detailError("Unprocessable", 422)
export const unauthorized = (detail: string) => ({ _tag: "Unauthorized" as const, detail })
export const notFound = (detail: string) => ({ _tag: "NotFound" as const, detail })
export const conflict = (detail: string) => ({ _tag: "Conflict" as const, detail })
export const unprocessable = (detail: string) => ({ _tag: "Unprocessable" as const, detail })

export class Authorization extends HttpApiMiddleware.Tag<Authorization>()("MockApp/Authorization", {
  failure: Unauthorized,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

const IdPath = Schema.Struct({ id: Schema.String })
const Limit = Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 1000))
const Offset = Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative())

const health = HttpApiGroup.make("health").add(
  HttpApiEndpoint.get("health", "/api/health").addSuccess(Health)
)

const users = HttpApiGroup.make("users")
  .add(
    HttpApiEndpoint.get("listUsers", "/api/users")
      .setUrlParams(Schema.Struct({ limit: Schema.optional(Limit), offset: Schema.optional(Offset) }))
      .addSuccess(UserPage)
  )
  .add(HttpApiEndpoint.get("getUser", "/api/users/:id").setPath(IdPath).addSuccess(User).addError(NotFound))
  .add(
    HttpApiEndpoint.post("createUser", "/api/users").setPayload(NewUser).addSuccess(User, { status: 201 }).addError(Conflict)
  )
  .add(
    HttpApiEndpoint.put("updateUser", "/api/users/:id")
      .setPath(IdPath)
      .setPayload(UserUpdate)
      .addSuccess(User)
      .addError(NotFound)
      .addError(Conflict)
  )
  .add(
    HttpApiEndpoint.del("deleteUser", "/api/users/:id").setPath(IdPath).addSuccess(HttpApiSchema.NoContent).addError(NotFound)
  )
  .middleware(Authorization)

const catalogue = HttpApiGroup.make("catalogue")
  .add(HttpApiEndpoint.get("listResources", "/api/resources").addSuccess(Schema.Array(Resource)))
  .add(HttpApiEndpoint.get("listEntitlements", "/api/entitlements").addSuccess(Schema.Array(Entitlement)))
  .middleware(Authorization)

const associations = HttpApiGroup.make("associations")
  .add(
    HttpApiEndpoint.get("listAssociations", "/api/associations")
      .setUrlParams(Schema.Struct({
        user_id: Schema.optional(Schema.String),
        entitlement_id: Schema.optional(Schema.String),
        resource_id: Schema.optional(Schema.String),
        limit: Schema.optional(Limit),
        offset: Schema.optional(Offset)
      }))
      .addSuccess(Schema.Array(Association))
  )
  .add(
    HttpApiEndpoint.post("assignEntitlement", "/api/users/:id/entitlements")
      .setPath(IdPath)
      .setPayload(AssignEntitlement)
      .addSuccess(Association, { status: 201 })
      .addError(NotFound)
      .addError(Conflict)
      .addError(Unprocessable)
  )
  .add(
    HttpApiEndpoint.del("unassignEntitlement", "/api/users/:id/entitlements/:entitlement_id")
      .setPath(Schema.Struct({ id: Schema.String, entitlement_id: Schema.String }))
      .setUrlParams(Schema.Struct({ resource_id: Schema.String }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(NotFound)
  )
  .middleware(Authorization)

const logins = HttpApiGroup.make("logins")
  .add(
    HttpApiEndpoint.get("listLogins", "/api/logins")
      .setUrlParams(Schema.Struct({
        since: Schema.optional(Schema.String.annotations({ description: "ISO-8601; logins at or after it" })),
        limit: Schema.optional(Limit),
        offset: Schema.optional(Offset)
      }))
      .addSuccess(LoginPage)
      .annotate(
        OpenApi.Description,
        "Login history, oldest first (ties by id). `since` keeps logins at or after that instant, so an audit reader resumes inclusively from its checkpoint."
      )
  )
  .middleware(Authorization)

export class MockAppApi extends HttpApi.make("mockapp")
  .add(health)
  .add(users)
  .add(catalogue)
  .add(associations)
  .add(logins)
  .annotate(OpenApi.Title, "MockApp API")
  .annotate(OpenApi.Description, "The Lumos tutorial's mock application API: users, resources, entitlements, associations, login history")
{}
