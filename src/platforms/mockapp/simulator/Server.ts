/**
 * The MockApp mock API server (the Lumos tutorial's FastAPI `mock_api_server.py`), in memory and
 * deterministic from a seed. Built with `HttpApi`, so `/openapi.json` and the `/docs` page are derived
 * from the same schemas the handlers use. Errors answer FastAPI's `{"detail": "..."}` bodies.
 *
 * Besides the tutorial's routes it serves `GET /api/logins?since&limit&offset`: each user's login
 * history, oldest first, so an audit stream can resume from a checkpoint (`last_login` alone cannot).
 */
import {
  HttpApi,
  HttpApiBuilder,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpApiMiddleware,
  HttpApiSchema,
  HttpApiSecurity,
  HttpApiSwagger,
  type HttpApp,
  HttpServer,
  HttpServerRequest,
  HttpServerResponse,
  OpenApi
} from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Context, Effect, Layer, Redacted, Schema, type Scope } from "effect"
import { createServer } from "node:http"
import {
  AssignEntitlement,
  Association,
  Entitlement,
  Health,
  Login,
  LoginPage,
  NewUser,
  Resource,
  User,
  UserPage,
  UserUpdate
} from "../Payloads.js"
import { mulberry32 } from "../../../sdk/simulator/SeededRandom.js"

// ---------------------------------------------------------------------------------------------
// Errors: FastAPI's `{"detail": ...}`, one class per status (classes, so encoding picks the status)

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
const unauthorized = (detail: string) => ({ _tag: "Unauthorized" as const, detail })
const notFound = (detail: string) => ({ _tag: "NotFound" as const, detail })
const conflict = (detail: string) => ({ _tag: "Conflict" as const, detail })
const unprocessable = (detail: string) => ({ _tag: "Unprocessable" as const, detail })

export class Authorization extends HttpApiMiddleware.Tag<Authorization>()("MockApp/Authorization", {
  failure: Unauthorized,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

// ---------------------------------------------------------------------------------------------
// The API

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

// ---------------------------------------------------------------------------------------------
// State, seeded

export interface MockAppState {
  readonly users: ReadonlyArray<User>
  readonly resources: ReadonlyArray<Resource>
  readonly entitlements: ReadonlyArray<Entitlement>
  readonly associations: ReadonlyArray<Association>
  readonly logins: ReadonlyArray<Login>
  /** API requests answered with an injected 503 or 429 so far */
  readonly injectedFaults: number
}

interface MutableState {
  users: Array<User>
  resources: ReadonlyArray<Resource>
  entitlements: ReadonlyArray<Entitlement>
  associations: Array<Association>
  logins: Array<Login>
  nextUser: number
  injectedFaults: number
}

const prng = mulberry32

const firstNames = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Linus", "Radia", "Tim"]
const lastNames = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen", "Torvalds"]

const resources: ReadonlyArray<Resource> = [
  { id: "proj-alpha", name: "Project Alpha", type: "project", description: "The flagship project" },
  { id: "proj-beta", name: "Project Beta", type: "project", description: "The experimental project" },
  { id: "team-eng", name: "Engineering", type: "team", description: "Engineering team" },
  { id: "team-ops", name: "Operations", type: "team", description: "Operations team" },
  { id: "global", name: "MockApp", type: "global", description: "Application-wide settings" }
]

const entitlements: ReadonlyArray<Entitlement> = [
  { id: "proj-alpha-viewer", name: "Alpha Viewer", type: "project_role", resource_id: "proj-alpha", description: "Read Project Alpha" },
  { id: "proj-alpha-editor", name: "Alpha Editor", type: "project_role", resource_id: "proj-alpha", description: "Edit Project Alpha" },
  { id: "proj-beta-viewer", name: "Beta Viewer", type: "project_role", resource_id: "proj-beta", description: "Read Project Beta" },
  { id: "proj-beta-editor", name: "Beta Editor", type: "project_role", resource_id: "proj-beta", description: "Edit Project Beta" },
  { id: "team-eng-member", name: "Engineering Member", type: "team_member", resource_id: "team-eng", description: "Member of Engineering" },
  { id: "team-ops-member", name: "Operations Member", type: "team_member", resource_id: "team-ops", description: "Member of Operations" },
  { id: "admin-super", name: "Super Admin", type: "admin_role", resource_id: "global", description: "Administers everything" },
  { id: "admin-billing", name: "Billing Admin", type: "admin_role", resource_id: "global", description: "Administers billing" }
]

const iso = (ms: number) => new Date(ms).toISOString()
const userId = (n: number) => `user-${String(n).padStart(4, "0")}`
const seedEpoch = Date.UTC(2025, 0, 1)
const minute = 60_000
const day = 24 * 60 * minute

export const seedState = (seed: number, userCount: number): Omit<MockAppState, "injectedFaults"> & { readonly nextUser: number } => {
  const random = prng(seed)
  const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(random() * xs.length)] as A
  const users: Array<User> = []
  const assoc: Array<Association> = []
  const loginTimes: Array<{ user: string; at: number }> = []
  for (let n = 1; n <= userCount; n++) {
    const id = userId(n)
    const first = pick(firstNames)
    const last = pick(lastNames)
    const roll = random()
    const status = roll < 0.75 ? "active" : roll < 0.9 ? "inactive" : "deleted"
    const createdAt = seedEpoch - Math.floor(random() * 365) * day
    // a few logins each, on a minute grid: some users share a minute, as real logs do
    const count = Math.floor(random() * 4)
    const times: Array<number> = []
    for (let i = 0; i < count; i++) times.push(seedEpoch + Math.floor(random() * 30 * 24 * 60) * minute)
    times.sort((a, b) => a - b)
    for (const at of times) loginTimes.push({ user: id, at })
    users.push({
      id,
      email: `${first}.${last}.${n}@mockapp.example`.toLowerCase(),
      name: `${first} ${last}`,
      status,
      last_login: times.length > 0 ? iso(times[times.length - 1] as number) : null,
      created_at: iso(createdAt)
    })
    const grant = (e: Entitlement) =>
      assoc.push({ user_id: id, entitlement_id: e.id, resource_id: e.resource_id, created_at: iso(createdAt + day) })
    for (const e of entitlements) {
      if (e.type !== "admin_role" && random() < 0.3) grant(e)
    }
    // at most one admin role per user (the entitlement type's max)
    if (random() < 0.15) grant(pick(entitlements.filter((e) => e.type === "admin_role")))
  }
  loginTimes.sort((a, b) => a.at - b.at || a.user.localeCompare(b.user))
  const logins = loginTimes.map(({ at, user }, i) => ({ id: `login-${String(i + 1).padStart(6, "0")}`, user_id: user, at: iso(at) }))
  return { users, resources, entitlements, associations: assoc, logins, nextUser: userCount + 1 }
}

// ---------------------------------------------------------------------------------------------
// Handlers

const notFoundUser = (id: string) => notFound(`User ${id} not found`)

const pageOf = <A>(all: ReadonlyArray<A>, limit: number | undefined, offset: number | undefined) => {
  const from = offset ?? 0
  const items = all.slice(from, from + (limit ?? 100))
  return { items, total: all.length, has_more: from + items.length < all.length }
}

const handlersLayer = (state: MutableState) => {
  const findUser = (id: string) =>
    Effect.suspend(() => {
      const user = state.users.find((u) => u.id === id)
      return user ? Effect.succeed(user) : Effect.fail(notFoundUser(id))
    })
  const emailTaken = (email: string, except?: string) =>
    state.users.some((u) => u.email.toLowerCase() === email.toLowerCase() && u.id !== except)

  const HealthLive = HttpApiBuilder.group(MockAppApi, "health", (h) => h.handle("health", () => Effect.succeed({ status: "ok" as const })))

  const UsersLive = HttpApiBuilder.group(MockAppApi, "users", (h) =>
    h
      .handle("listUsers", ({ urlParams }) => Effect.sync(() => pageOf(state.users, urlParams.limit, urlParams.offset)))
      .handle("getUser", ({ path }) => findUser(path.id))
      .handle("createUser", ({ payload }) =>
        Effect.suspend(() => {
          if (emailTaken(payload.email)) {
            return Effect.fail(conflict(`A user with email ${payload.email} already exists`))
          }
          const user: User = {
            id: userId(state.nextUser++),
            email: payload.email,
            name: payload.name,
            status: payload.status ?? "active",
            last_login: null,
            created_at: new Date().toISOString()
          }
          state.users.push(user)
          return Effect.succeed(user)
        }))
      .handle("updateUser", ({ path, payload }) =>
        Effect.gen(function*() {
          const user = yield* findUser(path.id)
          if (payload.email !== undefined && emailTaken(payload.email, user.id)) {
            return yield* Effect.fail(conflict(`A user with email ${payload.email} already exists`))
          }
          const updated: User = {
            ...user,
            ...(payload.email !== undefined ? { email: payload.email } : {}),
            ...(payload.name !== undefined ? { name: payload.name } : {}),
            ...(payload.status !== undefined ? { status: payload.status } : {})
          }
          state.users = state.users.map((u) => (u.id === user.id ? updated : u))
          return updated
        }))
      .handle("deleteUser", ({ path }) =>
        Effect.gen(function*() {
          yield* findUser(path.id)
          state.users = state.users.filter((u) => u.id !== path.id)
          state.associations = state.associations.filter((a) => a.user_id !== path.id)
        })))

  const CatalogueLive = HttpApiBuilder.group(MockAppApi, "catalogue", (h) =>
    h
      .handle("listResources", () => Effect.succeed(state.resources))
      .handle("listEntitlements", () => Effect.succeed(state.entitlements)))

  const AssociationsLive = HttpApiBuilder.group(MockAppApi, "associations", (h) =>
    h
      .handle("listAssociations", ({ urlParams: q }) =>
        Effect.sync(() => {
          const matching = state.associations.filter((a) =>
            (q.user_id === undefined || a.user_id === q.user_id) &&
            (q.entitlement_id === undefined || a.entitlement_id === q.entitlement_id) &&
            (q.resource_id === undefined || a.resource_id === q.resource_id)
          )
          const from = q.offset ?? 0
          return q.limit === undefined ? matching.slice(from) : matching.slice(from, from + q.limit)
        }))
      .handle("assignEntitlement", ({ path, payload }) =>
        Effect.gen(function*() {
          yield* findUser(path.id)
          const entitlement = state.entitlements.find((e) => e.id === payload.entitlement_id)
          if (!entitlement) return yield* Effect.fail(notFound(`Entitlement ${payload.entitlement_id} not found`))
          if (!state.resources.some((r) => r.id === payload.resource_id)) {
            return yield* Effect.fail(notFound(`Resource ${payload.resource_id} not found`))
          }
          if (entitlement.resource_id !== payload.resource_id) {
            return yield* Effect.fail(
              unprocessable(`Entitlement ${entitlement.id} does not belong to resource ${payload.resource_id}`)
            )
          }
          const exists = state.associations.some((a) =>
            a.user_id === path.id && a.entitlement_id === entitlement.id && a.resource_id === payload.resource_id
          )
          if (exists) return yield* Effect.fail(conflict(`User ${path.id} already has entitlement ${entitlement.id}`))
          const association: Association = {
            user_id: path.id,
            entitlement_id: entitlement.id,
            resource_id: payload.resource_id,
            created_at: new Date().toISOString()
          }
          state.associations.push(association)
          return association
        }))
      .handle("unassignEntitlement", ({ path, urlParams }) =>
        Effect.gen(function*() {
          yield* findUser(path.id)
          const before = state.associations.length
          state.associations = state.associations.filter((a) =>
            !(a.user_id === path.id && a.entitlement_id === path.entitlement_id && a.resource_id === urlParams.resource_id)
          )
          if (state.associations.length === before) {
            return yield* Effect.fail(
              notFound(`User ${path.id} does not have entitlement ${path.entitlement_id} on ${urlParams.resource_id}`)
            )
          }
        })))

  const LoginsLive = HttpApiBuilder.group(MockAppApi, "logins", (h) =>
    h.handle("listLogins", ({ urlParams: q }) =>
      Effect.sync(() => {
        const since = q.since === undefined ? Number.NEGATIVE_INFINITY : Date.parse(q.since)
        const matching = Number.isNaN(since) ? state.logins : state.logins.filter((l) => Date.parse(l.at) >= since)
        return pageOf(matching, q.limit, q.offset)
      })))

  return Layer.mergeAll(HealthLive, UsersLive, CatalogueLive, AssociationsLive, LoginsLive)
}

const authorizationLayer = (token: string) =>
  Layer.succeed(
    Authorization,
    Authorization.of({
      bearer: (given) =>
        Redacted.value(given) === token
          ? Effect.void
          : Effect.fail(unauthorized("Invalid or missing authentication token"))
    })
  )

// ---------------------------------------------------------------------------------------------
// Start

export interface MockAppSimulatorOptions {
  /** 0 (the default) picks a free port */
  readonly port?: number
  /** the bearer token every route but health expects; default `valid-token` */
  readonly token?: string
  readonly seed?: number
  /** seeded users; default 12 */
  readonly users?: number
  /** fault injection (deterministic from the seed): share of API requests answered 503 */
  readonly errorRate?: number
  /** share of API requests refused with 429 and `retry-after: 1` */
  readonly rateLimitRate?: number
  /** added to every response */
  readonly latencyMs?: number
}

export interface MockAppSimulator {
  /** base URL, no trailing slash */
  readonly url: string
  readonly token: string
  /** a copy of what the server holds now */
  readonly state: Effect.Effect<MockAppState>
}

/** Serve the MockApp API on 127.0.0.1 until the scope closes. */
export const startMockAppSimulator = (
  options: MockAppSimulatorOptions = {}
): Effect.Effect<MockAppSimulator, never, Scope.Scope> =>
  Effect.gen(function*() {
    const token = options.token ?? "valid-token"
    const seeded = seedState(options.seed ?? 42, options.users ?? 12)
    const state: MutableState = {
      users: [...seeded.users],
      resources: seeded.resources,
      entitlements: seeded.entitlements,
      associations: [...seeded.associations],
      logins: [...seeded.logins],
      nextUser: seeded.nextUser,
      injectedFaults: 0
    }
    const ApiLive = HttpApiBuilder.api(MockAppApi).pipe(
      Layer.provide(handlersLayer(state)),
      Layer.provide(authorizationLayer(token))
    )
    // faults hit the API only: health, the docs and the OpenAPI document always answer
    const faults = prng((options.seed ?? 42) ^ 0x5eed)
    const errorRate = options.errorRate ?? 0
    const rateLimitRate = options.rateLimitRate ?? 0
    const latency = options.latencyMs ?? 0
    const withFaults = (app: HttpApp.Default): HttpApp.Default =>
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        if (latency > 0) yield* Effect.sleep(latency)
        if (request.url.startsWith("/api/") && !request.url.startsWith("/api/health")) {
          const roll = faults()
          if (roll < errorRate + rateLimitRate) state.injectedFaults++
          if (roll < errorRate) {
            return HttpServerResponse.unsafeJson({ detail: "Service temporarily unavailable (injected)" }, { status: 503 })
          }
          if (roll < errorRate + rateLimitRate) {
            return HttpServerResponse.unsafeJson({ detail: "Too many requests (injected)" }, {
              status: 429,
              headers: { "retry-after": "1" }
            })
          }
        }
        return yield* app
      })
    const ServerLive = HttpApiBuilder.serve(withFaults).pipe(
      Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
      Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
      Layer.provide(ApiLive),
      Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: options.port ?? 0, host: "127.0.0.1" }))
    )
    const context = yield* Layer.build(ServerLive).pipe(Effect.orDie)
    const address = Context.get(context, HttpServer.HttpServer).address
    const url = address._tag === "TcpAddress" ? `http://127.0.0.1:${address.port}` : `unix://${address.path}`
    yield* Effect.logInfo(`MockApp simulator listening on ${url}`)
    return {
      url,
      token,
      state: Effect.sync((): MockAppState => ({
        users: state.users.map((u) => ({ ...u })),
        resources: state.resources,
        entitlements: state.entitlements,
        associations: state.associations.map((a) => ({ ...a })),
        logins: [...state.logins],
        injectedFaults: state.injectedFaults
      }))
    }
  })
