/**
 * Who the classic token belongs to. By default an owner of the org; with `tokenOwner: false` a member
 * who is not, and then the audit log answers 404, as GitHub answers anyone but an owner (the same 404
 * an org not on Enterprise Cloud gets). `GET /user/memberships/orgs/{org}` says which it is.
 */
import type { Model } from "./Model.js"
import { type Answer, notFound, orgSimpleJson, userJson } from "./RestShapes.js"

const auditDoc = "https://docs.github.com/rest/orgs/orgs#get-the-audit-log-for-an-organization"

export const makeTokenUser = (model: Model, owner: boolean) => {
  const org = model.org.login
  /** the token's login: the first owner, or the first member who is not one */
  const login = () => (owner ? [...model.owners][0] : model.members.find((m) => !model.owners.has(m))) ?? "ghost"
  /** The answer only the token's user decides, for a classic token; undefined for anything else. */
  return (method: string, path: string, base: string): Answer | undefined => {
    if (method !== "GET") return undefined
    if (!owner && /^\/orgs\/[^/]+\/audit-log$/.test(path)) return notFound(auditDoc)
    const membership = /^\/user\/memberships\/orgs\/([^/]+)$/.exec(path)
    if (!membership) return undefined
    if (decodeURIComponent(membership[1] ?? "").toLowerCase() !== org.toLowerCase()) {
      return notFound("https://docs.github.com/rest/orgs/members#get-an-organization-membership-for-the-authenticated-user")
    }
    const who = login()
    const user = model.users.get(who.toLowerCase()) ?? { login: who, id: 0 }
    return {
      status: 200,
      body: {
        url: `${base}/orgs/${org}/memberships/${user.login}`,
        state: "active",
        role: model.owners.has(user.login) ? "admin" : "member",
        organization_url: `${base}/orgs/${org}`,
        organization: orgSimpleJson(base, model),
        user: userJson(base, user)
      }
    }
  }
}
