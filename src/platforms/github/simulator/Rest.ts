/**
 * The REST routes the connector and the capabilities use, after auth, limits and faults: the org, its
 * members (and owners), outside collaborators, teams (their members and repositories), repositories and
 * their collaborators, users (`GET /users/{username}`), the audit log and `/rate_limit`. The writes (and the invitations they create) are
 * in RestWrites; `POST /graphql` goes to `graphql`.
 */
import { auditLogAnswer } from "./AuditLogSearch.js"
import { collaboratorsOf, type Model, repoByName, roleNames } from "./Model.js"
import type { RateWindows } from "./RateWindows.js"
import { type Answer, list, notFound, orgJson, permissionsJson, publicUserJson, repoJson, teamJson, userJson } from "./RestShapes.js"
import { makeRestWrites } from "./RestWrites.js"
import type { Writes } from "./Writes.js"

export const makeRestRoutes = (
  model: Model,
  windows: RateWindows,
  auditLogEnabled: boolean,
  writes: Writes,
  graphql: (bodyText: string, now: number) => Answer
) => {
  const org = model.org.login
  const teamBySlug = (slug: string) => model.teams.find((t) => t.slug === slug)
  const writeRoute = makeRestWrites(model, writes, (base) => orgJson(base, model))
  return (method: string, url: URL, bodyText: string, base: string, now: number): Answer => {
    const parts = url.pathname.split("/").filter((p) => p.length > 0).map(decodeURIComponent)
    const [a, b, c, d, e] = parts
    if (method === "POST" && url.pathname === "/graphql") return graphql(bodyText, now)
    const written = writeRoute(method, url, parts, bodyText, base, now)
    if (written !== undefined) return written
    if (a === "orgs" && b !== undefined) {
      if (b.toLowerCase() !== org.toLowerCase()) return notFound("https://docs.github.com/rest/orgs/orgs#get-an-organization")
      if (method !== "GET") return notFound("https://docs.github.com/rest")
      if (parts.length === 2) return { status: 200, body: orgJson(base, model) }
      if (c === "repos" && parts.length === 3) return list(model.repos.map((r) => repoJson(base, model, r)), url, base)
      if (c === "members" && parts.length === 3) {
        const role = url.searchParams.get("role") ?? "all"
        const logins = model.members.filter((m) => role === "all" || (role === "admin") === model.owners.has(m))
        return list(logins.flatMap((l) => { const u = model.users.get(l.toLowerCase()); return u ? [userJson(base, u)] : [] }), url, base)
      }
      if (c === "outside_collaborators" && parts.length === 3) {
        return list(model.outside.flatMap((l) => { const u = model.users.get(l.toLowerCase()); return u ? [userJson(base, u)] : [] }), url, base)
      }
      if (c === "audit-log" && parts.length === 3) return auditLogAnswer(model, auditLogEnabled, url, base, now)
      if (c === "teams" && parts.length === 3) {
        return list(model.teams.map((t) => teamJson(base, model, t)), url, base)
      }
      if (c === "teams" && d !== undefined && parts.length === 5) {
        const team = teamBySlug(d)
        if (!team) return notFound("https://docs.github.com/rest/teams/teams")
        if (e === "members") {
          return list(team.members.flatMap((l) => { const u = model.users.get(l.toLowerCase()); return u ? [userJson(base, u)] : [] }), url, base)
        }
        if (e === "repos") {
          return list([...team.repos.entries()].flatMap(([name, level]) => {
            const r = repoByName(model, name)
            return r ? [{ ...repoJson(base, model, r), permissions: permissionsJson(level), role_name: roleNames[level] }] : []
          }), url, base)
        }
      }
      return notFound("https://docs.github.com/rest")
    }
    if (a === "repos" && b !== undefined && c !== undefined && d === "collaborators") {
      const repo = b.toLowerCase() === org.toLowerCase() ? repoByName(model, c) : undefined
      if (!repo) return notFound("https://docs.github.com/rest/collaborators/collaborators")
      if (parts.length === 4 && method === "GET") {
        const affiliation = url.searchParams.get("affiliation") ?? "all"
        return list(collaboratorsOf(model, repo.name, affiliation).map((co) => ({
          ...userJson(base, co.user),
          permissions: permissionsJson(co.level),
          role_name: roleNames[co.level]
        })), url, base)
      }
    }
    if (method === "GET" && a === "users" && b !== undefined && parts.length === 2) {
      const user = model.users.get(b.toLowerCase())
      return user ? { status: 200, body: publicUserJson(base, user) } : notFound("https://docs.github.com/rest/users/users#get-a-user")
    }
    if (method === "GET" && url.pathname === "/rate_limit") {
      const resources = Object.fromEntries(["core", "graphql", "audit_log"].map((r) => {
        const h = windows.rateHeaders(r, now)
        return [r, { limit: windows.limitOf(r), remaining: Number(h["x-ratelimit-remaining"]), used: Number(h["x-ratelimit-used"]), reset: Number(h["x-ratelimit-reset"]) }]
      }))
      return { status: 200, body: { resources, rate: resources["core"] }, cost: 0 }
    }
    return notFound("https://docs.github.com/rest")
  }
}
