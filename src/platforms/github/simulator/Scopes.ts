/**
 * Token scopes as GitHub checks them for classic tokens: every answer says what the token has
 * (`X-OAuth-Scopes`) and what the endpoint accepts (`X-Accepted-OAuth-Scopes`); a missing scope is
 * refused with 403, or 404 where a 403 would reveal that a private repository exists. GraphQL answers
 * HTTP 200 with an `INSUFFICIENT_SCOPES` error.
 */
import { type Model, repoByName } from "./Model.js"

/** A classic token with every scope the connector needs (admin:org covers read:org, and the org writes). */
export const defaultTokenScopes: ReadonlyArray<string> = ["admin:org", "read:audit_log", "repo"]

/** Scopes that include others (GitHub's hierarchy, the parts that matter here). */
const implied: Record<string, ReadonlyArray<string>> = {
  repo: ["public_repo", "repo:status"],
  "admin:org": ["write:org", "read:org"],
  "write:org": ["read:org"]
}

export const hasScope = (scopes: ReadonlyArray<string>, wanted: string) =>
  scopes.includes(wanted) || scopes.some((s) => (implied[s] ?? []).includes(wanted))

/** What an endpoint wants: the scopes it accepts (any one will do), and whether a refusal reads as 404. */
export interface ScopeRule {
  readonly accepted: ReadonlyArray<string>
  readonly hideAs404: boolean
}

export const scopeRuleOf = (model: Model, method: string, path: string): ScopeRule | undefined => {
  const parts = path.split("/").filter((p) => p.length > 0).map(decodeURIComponent)
  const [a, , c, d] = parts
  if (path === "/graphql") return { accepted: ["read:org", "repo"], hideAs404: false }
  if (a === "repos" && c !== undefined) {
    const repo = repoByName(model, c)
    return { accepted: ["repo"], hideAs404: repo?.private ?? true }
  }
  if (a === "orgs" && parts.length >= 3) {
    if (c === "audit-log") return { accepted: ["read:audit_log"], hideAs404: false }
    if (method !== "GET" || d === "memberships" || (c === "teams" && parts.length > 4 && method !== "GET")) {
      return { accepted: ["admin:org", "write:org"], hideAs404: false }
    }
    return { accepted: ["read:org", "admin:org", "write:org"], hideAs404: false }
  }
  if (a === "orgs" && method !== "GET") return { accepted: ["admin:org"], hideAs404: false }
  return undefined
}

export const scopeHeaders = (scopes: ReadonlyArray<string>, rule: ScopeRule | undefined): Record<string, string> => ({
  "x-oauth-scopes": scopes.join(", "),
  "x-accepted-oauth-scopes": (rule?.accepted ?? []).join(", ")
})

/** The refusal for a token without any accepted scope; undefined when it may go on. */
export const scopeRefusal = (
  scopes: ReadonlyArray<string>,
  rule: ScopeRule | undefined,
  path: string
): { readonly status: number; readonly body: unknown } | undefined => {
  if (!rule || rule.accepted.some((s) => hasScope(scopes, s))) return undefined
  if (path === "/graphql") {
    return {
      status: 200,
      body: {
        errors: [{
          type: "INSUFFICIENT_SCOPES",
          message: `Your token has not been granted the required scopes to execute this query. The query requires one of the following scopes: ['${
            rule.accepted.join("', '")
          }'], but your token has only been granted the: ['${scopes.join("', '")}'] scopes. Please modify your token's scopes at: https://github.com/settings/tokens.`
        }]
      }
    }
  }
  if (rule.hideAs404) return { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" } }
  return {
    status: 403,
    body: { message: "Resource not accessible by personal access token", documentation_url: "https://docs.github.com/rest", status: "403" }
  }
}
