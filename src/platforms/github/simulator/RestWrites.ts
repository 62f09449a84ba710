/**
 * The REST write routes, as GitHub answers them, over `Writes`:
 *   - `PUT`/`DELETE /repos/{owner}/{repo}/collaborators/{username}` (201 with a pending invitation for
 *     someone outside the org, 204 otherwise; 422 for a member's role below the base permission);
 *   - `PUT`/`DELETE /orgs/{org}/teams/{team_slug}/memberships/{username}` (200 with the membership);
 *   - `PUT`/`DELETE /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}` (204);
 *   - `PATCH /orgs/{org}` with `default_repository_permission`;
 *   - `GET`/`PUT`/`DELETE /orgs/{org}/memberships/{username}` (200 with the membership, pending for an invitee);
 *   - `POST /orgs/{org}/invitations` (201 with the invitation; by `invitee_id` or `email`),
 *     `DELETE /orgs/{org}/invitations/{invitation_id}` and `DELETE /orgs/{org}/members/{username}` (204);
 * and the pending invitations they create (`GET /repos/{owner}/{repo}/invitations`, `GET /orgs/{org}/invitations`).
 */
import { type Invitation, levelFromParam, type Model, repoByName } from "./Model.js"
import { type Answer, invitationJson, list, notFound, orgSimpleJson, userJson } from "./RestShapes.js"
import type { WriteContext, WriteResult, Writes } from "./Writes.js"

const doc = "https://docs.github.com/rest"

/** The JSON body's string fields (a body that is not a JSON object has none). */
const fieldsOf = (bodyText: string): Record<string, string> | undefined => {
  if (bodyText.trim().length === 0) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(bodyText)
  } catch {
    return undefined
  }
  if (typeof parsed !== "object" || parsed === null) return {}
  return Object.fromEntries(Object.entries(parsed).filter((kv): kv is [string, string] => typeof kv[1] === "string"))
}

/** The JSON body as an object (undefined when it is not JSON; an empty body is an empty object). */
const jsonObjectOf = (bodyText: string): Record<string, unknown> | undefined => {
  if (bodyText.trim().length === 0) return {}
  try {
    const parsed: unknown = JSON.parse(bodyText)
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? { ...parsed } : undefined
  } catch {
    return undefined
  }
}

const problemsParsing: Answer = { status: 400, body: { message: "Problems parsing JSON", documentation_url: doc } }
const invalid = (resource: string, field: string, message?: string): Answer => ({
  status: 422,
  body: { message: "Validation Failed", errors: [{ resource, field, code: message ? "custom" : "invalid", ...(message ? { message } : {}) }], documentation_url: doc }
})

export const makeRestWrites = (model: Model, writes: Writes, orgJson: (base: string) => unknown) => {
  const org = model.org.login
  const userJsonOf = (base: string, login: string) => {
    const u = model.users.get(login.toLowerCase())
    return u ? userJson(base, u) : { login }
  }
  /** A repository invitation in GitHub's shape; an org invitation in GitHub's `organization-invitation` shape. */
  const invitationOf = (base: string, inv: Invitation) => {
    const repo = inv.repo ? repoByName(model, inv.repo.name) : undefined
    const invitee = model.users.get(inv.login.toLowerCase()) ?? { login: inv.login, id: 0 }
    if (repo && inv.repo) return invitationJson(base, model, repo, invitee, inv.id, inv.repo.level, inv.createdAt)
    return {
      id: inv.id,
      node_id: `OI_${inv.id}`,
      login: inv.login === "" ? null : inv.login,
      email: inv.email ?? null,
      role: inv.org?.role === "admin" ? "admin" : "direct_member",
      created_at: new Date(inv.createdAt).toISOString().replace(/\.\d{3}Z$/, "Z"),
      inviter: userJsonOf(base, inv.inviter),
      team_count: inv.org?.teams.length ?? 0,
      invitation_teams_url: `${base}/organizations/${model.org.id}/invitations/${inv.id}/teams`
    }
  }
  const refusedOr = (result: WriteResult, otherwise: () => Answer, resource = "Repository", field = "permission"): Answer =>
    result._tag === "refused"
      ? result.status === 404 ? notFound(doc) : invalid(resource, field, result.message)
      : otherwise()
  const orgMembershipJson = (base: string, login: string, state: "active" | "pending", role: "admin" | "member") => ({
    url: `${base}/orgs/${org}/memberships/${login}`,
    state,
    role,
    organization_url: `${base}/orgs/${org}`,
    organization: orgSimpleJson(base, model),
    user: userJsonOf(base, login)
  })

  /** Answers a write (or an invitations list); undefined for any other request. */
  return (method: string, url: URL, parts: ReadonlyArray<string>, bodyText: string, base: string, now: number): Answer | undefined => {
    const ctx: WriteContext = { actor: [...model.owners][0] ?? "ghost", now }
    const [a, b, c, d, e, f, g] = parts
    const sameOrg = (o: string | undefined) => o !== undefined && o.toLowerCase() === org.toLowerCase()
    if (a === "repos" && sameOrg(b) && c !== undefined && parts.length === 4 && d === "invitations" && method === "GET") {
      const repo = repoByName(model, c)
      if (!repo) return notFound(doc)
      return list([...model.invitations.values()].filter((i) => i.repo?.name === repo.name).map((i) => invitationOf(base, i)), url, base)
    }
    if (a === "repos" && b !== undefined && c !== undefined && d === "collaborators" && e !== undefined && parts.length === 5) {
      if (!sameOrg(b)) return notFound(doc)
      if (method === "DELETE") return refusedOr(writes.removeCollaborator(ctx, c, e), () => ({ status: 204 }))
      if (method !== "PUT") return undefined
      const fields = fieldsOf(bodyText)
      if (!fields) return problemsParsing
      const level = levelFromParam(fields["permission"] ?? "push")
      if (level === undefined) return invalid("Repository", "permission")
      const result = writes.addCollaborator(ctx, c, e, level)
      return refusedOr(result, () => (result._tag === "invited" ? { status: 201, body: invitationOf(base, result.invitation) } : { status: 204 }))
    }
    if (a !== "orgs" || !sameOrg(b)) return undefined
    if (method === "GET" && c === "invitations" && parts.length === 3) {
      return list([...model.invitations.values()].filter((i) => i.org !== undefined).map((i) => invitationOf(base, i)), url, base)
    }
    if (method === "PATCH" && parts.length === 2) {
      const fields = fieldsOf(bodyText)
      if (!fields) return problemsParsing
      const wanted = fields["default_repository_permission"]
      if (wanted !== undefined) {
        if (wanted !== "none" && wanted !== "read" && wanted !== "write" && wanted !== "admin") return invalid("Organization", "default_repository_permission")
        writes.setBasePermission(ctx, wanted)
      }
      return { status: 200, body: orgJson(base) }
    }
    if (c === "invitations" && parts.length === 3 && method === "POST") {
      const body = jsonObjectOf(bodyText)
      if (!body) return problemsParsing
      const role = body["role"] ?? "direct_member"
      if (role !== "admin" && role !== "direct_member") return invalid("OrganizationInvitation", "role")
      const id = body["invitee_id"]
      const email = body["email"]
      if ((id === undefined) === (email === undefined)) return invalid("OrganizationInvitation", "invitee_id", "give exactly one of invitee_id and email")
      const invitee = typeof id === "number" ? [...model.users.values()].find((u) => u.id === id) : undefined
      if (id !== undefined && !invitee) return invalid("OrganizationInvitation", "invitee_id", "Invitee is not a valid user")
      if (email !== undefined && (typeof email !== "string" || !/^[^@\s]+@[^@\s]+$/.test(email))) return invalid("OrganizationInvitation", "email")
      const result = writes.createOrgInvitation(ctx, invitee ? { login: invitee.login } : { email: String(email) }, role === "admin" ? "admin" : "member")
      return refusedOr(result, () => (result._tag === "invited" ? { status: 201, body: invitationOf(base, result.invitation) } : { status: 204 }), "OrganizationInvitation", "invitee_id")
    }
    if (c === "invitations" && d !== undefined && parts.length === 4 && method === "DELETE") {
      return /^\d+$/.test(d) ? refusedOr(writes.cancelOrgInvitation(ctx, Number(d)), () => ({ status: 204 })) : notFound(doc)
    }
    if (c === "members" && d !== undefined && parts.length === 4 && method === "DELETE") {
      return refusedOr(writes.removeOrgMember(ctx, d), () => ({ status: 204 }))
    }
    if (c === "memberships" && d !== undefined && parts.length === 4) {
      if (method === "GET") {
        const login = model.users.get(d.toLowerCase())?.login
        if (login !== undefined && model.members.includes(login)) {
          return { status: 200, body: orgMembershipJson(base, login, "active", model.owners.has(login) ? "admin" : "member") }
        }
        const pending = [...model.invitations.values()].find((i) => i.org !== undefined && login !== undefined && i.login === login)
        return pending?.org && login !== undefined ? { status: 200, body: orgMembershipJson(base, login, "pending", pending.org.role) } : notFound(doc)
      }
      if (method === "DELETE") return refusedOr(writes.removeOrgMember(ctx, d), () => ({ status: 204 }))
      if (method !== "PUT") return undefined
      const fields = fieldsOf(bodyText)
      if (!fields) return problemsParsing
      const role = fields["role"] ?? "member"
      if (role !== "admin" && role !== "member") return invalid("Membership", "role")
      const result = writes.setOrgMembership(ctx, d, role)
      return refusedOr(result, () => ({ status: 200, body: orgMembershipJson(base, d, result._tag === "invited" ? "pending" : "active", role) }))
    }
    if (c === "teams" && d !== undefined && e === "memberships" && f !== undefined && parts.length === 6) {
      if (method === "DELETE") return refusedOr(writes.removeTeamMembership(ctx, d, f), () => ({ status: 204 }))
      if (method !== "PUT") return undefined
      const fields = fieldsOf(bodyText)
      if (!fields) return problemsParsing
      const role = fields["role"] ?? "member"
      if (role !== "member" && role !== "maintainer") return invalid("TeamMember", "role")
      const result = writes.setTeamMembership(ctx, d, f)
      return refusedOr(result, () => ({
        status: 200,
        body: { url: `${base}/orgs/${org}/teams/${d}/memberships/${f}`, role, state: result._tag === "invited" ? "pending" : "active" }
      }))
    }
    if (c === "teams" && d !== undefined && e === "repos" && f !== undefined && g !== undefined && parts.length === 7) {
      if (!sameOrg(f)) return notFound(doc)
      if (method === "DELETE") return refusedOr(writes.removeTeamRepo(ctx, d, g), () => ({ status: 204 }))
      if (method !== "PUT") return undefined
      const fields = fieldsOf(bodyText)
      if (!fields) return problemsParsing
      const level = levelFromParam(fields["permission"] ?? "push")
      if (level === undefined) return invalid("Team", "permission")
      return refusedOr(writes.setTeamRepo(ctx, d, g, level), () => ({ status: 204 }))
    }
    return undefined
  }
}
