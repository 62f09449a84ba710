/**
 * The REST routes the connector and the capabilities use, after auth, limits and faults: the org, its
 * members (and owners), outside collaborators, teams (their members and repositories), repositories and
 * their collaborators, the audit log, `/rate_limit`, and the writes `PUT`/`DELETE
 * /repos/{owner}/{repo}/collaborators/{username}` (an invitation is accepted at once, so the grant shows
 * up in the truth and the API straight away). `POST /graphql` goes to `graphql`.
 */
import { auditLogAnswer } from "./AuditLogSearch.js"
import { collaboratorsOf, type Level, levelFromParam, type Model, repoByName, roleNames, sourcesOf } from "./Model.js"
import type { RateWindows } from "./RateWindows.js"
import { type Answer, invitationJson, list, notFound, orgJson, permissionsJson, repoJson, teamJson, userJson } from "./RestShapes.js"

export const makeRestRoutes = (
  model: Model,
  windows: RateWindows,
  auditLogEnabled: boolean,
  graphql: (bodyText: string, now: number) => Answer
) => {
  const org = model.org.login
  const teamBySlug = (slug: string) => model.teams.find((t) => t.slug === slug)
  return (method: string, url: URL, bodyText: string, base: string, now: number): Answer => {
    const parts = url.pathname.split("/").filter((p) => p.length > 0).map(decodeURIComponent)
    const [a, b, c, d, e, f] = parts
    if (method === "POST" && url.pathname === "/graphql") return graphql(bodyText, now)
    if (a === "orgs" && b !== undefined) {
      if (b.toLowerCase() !== org.toLowerCase()) return notFound("https://docs.github.com/rest/orgs/orgs#get-an-organization")
      if (method !== "GET") return notFound("https://docs.github.com/rest")
      if (parts.length === 2) {
        return { status: 200, body: orgJson(base, model) }
      }
      if (c === "repos" && parts.length === 3) return list(model.repos.map((r) => repoJson(base, model, r)), url, base)
      if (c === "members" && parts.length === 3) {
        const role = url.searchParams.get("role") ?? "all"
        const logins = model.members.filter((m) => role === "all" || (role === "admin") === model.owners.has(m))
        return list(logins.flatMap((l) => { const u = model.users.get(l.toLowerCase()); return u ? [userJson(base, u)] : [] }), url, base)
      }
      if (c === "outside_collaborators" && parts.length === 3) {
        return list(model.outside.flatMap((l) => { const u = model.users.get(l.toLowerCase()); return u ? [userJson(base, u)] : [] }), url, base)
      }
      if (c === "audit-log" && parts.length === 3) return auditLogAnswer(model, auditLogEnabled, url, base)
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
      if (parts.length === 5 && e !== undefined && f === undefined) {
        const grants = model.direct.get(repo.name) ?? new Map<string, Level>()
        model.direct.set(repo.name, grants)
        const known = model.users.get(e.toLowerCase())
        if (method === "DELETE") {
          if (known) grants.delete(known.login)
          return { status: 204 }
        }
        if (method === "PUT") {
          let permission = "push"
          if (bodyText.trim().length > 0) {
            try {
              const parsed = JSON.parse(bodyText) as { permission?: unknown }
              if (typeof parsed.permission === "string") permission = parsed.permission
            } catch {
              return { status: 400, body: { message: "Problems parsing JSON", documentation_url: "https://docs.github.com/rest" } }
            }
          }
          const level = levelFromParam(permission)
          if (level === undefined) {
            return { status: 422, body: { message: "Validation Failed", errors: [{ resource: "Repository", field: "permission", code: "invalid" }], documentation_url: "https://docs.github.com/rest/collaborators/collaborators#add-a-repository-collaborator" } }
          }
          const user = known ?? (() => {
            const created = { login: e, id: model.nextUserId++ }
            model.users.set(e.toLowerCase(), created)
            return created
          })()
          const hadAccess = sourcesOf(model, user.login, repo.name).length > 0
          const isMember = model.members.includes(user.login)
          if (!isMember && !model.outside.includes(user.login)) model.outside.push(user.login)
          grants.set(user.login, level)
          if (hadAccess || isMember) return { status: 204 }
          return { status: 201, body: invitationJson(base, model, repo, user, 100_000 + model.nextUserId, level, now) }
        }
      }
    }
    if (method === "GET" && url.pathname === "/rate_limit") {
      const resources = Object.fromEntries(["core", "graphql", "audit_log"].map((r) => {
        const h = windows.rateHeaders(r, now)
        return [r, { limit: windows.limit, remaining: Number(h["x-ratelimit-remaining"]), used: Number(h["x-ratelimit-used"]), reset: Number(h["x-ratelimit-reset"]) }]
      }))
      return { status: 200, body: { resources, rate: resources["core"] }, cost: 0 }
    }
    return notFound("https://docs.github.com/rest")
  }
}
