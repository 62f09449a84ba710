/**
 * Which scope a classic token lacks, from what GitHub says on a refusal: `X-Accepted-OAuth-Scopes`
 * (any one of them will do) against `X-OAuth-Scopes` (what the token has), with GitHub's scope
 * hierarchy (`repo` covers `public_repo`, `admin:org` covers `write:org` and `read:org`).
 */

const implied: Record<string, ReadonlyArray<string>> = {
  repo: ["public_repo", "repo:status"],
  "admin:org": ["write:org", "read:org"],
  "write:org": ["read:org"]
}

const list = (header: string | undefined) => (header ?? "").split(",").map((s) => s.trim()).filter((s) => s.length > 0)

/** The scopes the endpoint accepts when the token has none of them (undefined when nothing is missing or GitHub did not say). */
export const missingScopes = (accepted: string | undefined, granted: string | undefined): ReadonlyArray<string> | undefined => {
  const wanted = list(accepted)
  if (wanted.length === 0 || granted === undefined) return undefined
  const has = list(granted)
  const covered = (scope: string) => has.includes(scope) || has.some((s) => (implied[s] ?? []).includes(scope))
  return wanted.some(covered) ? undefined : wanted
}

/** One readable sentence naming the missing scope and what the token has. */
export const missingScopeMessage = (what: string, status: number, wanted: ReadonlyArray<string>, granted: string | undefined): string => {
  const has = list(granted)
  const first = wanted[0] ?? ""
  const others = wanted.slice(1)
  return `GitHub refused to ${what} (HTTP ${status}): the token lacks the ${first} scope${
    others.length > 0 ? ` (or one of ${others.join(", ")})` : ""
  }; it has ${has.length > 0 ? has.join(", ") : "no scopes"}. Add ${first} to the token.`
}
