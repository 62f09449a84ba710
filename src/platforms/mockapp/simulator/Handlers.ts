/** The MockApp API's handlers over the simulator's state, and its bearer-token check. */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect, Layer, Redacted } from "effect"
import type { Association, User } from "../Payloads.js"
import { Authorization, conflict, MockAppApi, notFound, unauthorized, unprocessable } from "./Api.js"
import { type MutableState, userId } from "./State.js"

const notFoundUser = (id: string) => notFound(`User ${id} not found`)

const pageOf = <A>(all: ReadonlyArray<A>, limit: number | undefined, offset: number | undefined) => {
  const from = offset ?? 0
  const items = all.slice(from, from + (limit ?? 100))
  return { items, total: all.length, has_more: from + items.length < all.length }
}

export const handlersLayer = (state: MutableState) => {
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

export const authorizationLayer = (token: string) =>
  Layer.succeed(
    Authorization,
    Authorization.of({
      bearer: (given) =>
        Redacted.value(given) === token
          ? Effect.void
          : Effect.fail(unauthorized("Invalid or missing authentication token"))
    })
  )
