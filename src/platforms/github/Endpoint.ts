/**
 * GitHub's secondary limits count points per REST endpoint: the route template, not the URL
 * (`GET /repos/{owner}/{repo}/collaborators` is one endpoint for every repository). A GET or HEAD
 * costs 1 point, a write 5; a GraphQL query 1 and a mutation 5, against 2,000 points a minute.
 */

/** Segments after which GitHub's routes put a name or id. */
const named = new Set(["orgs", "teams", "collaborators", "users", "members", "memberships", "invitations", "installations", "outside_collaborators"])

/** `METHOD /route/{template}` of a REST path (query string excluded). */
export const endpointOf = (method: string, path: string): string => {
  const parts = path.split("?")[0]!.split("/")
  const out: Array<string> = []
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!
    const previous = parts[i - 1]
    if (previous === "repos" && i === 2) {
      out.push("{owner}", "{repo}")
      i++
    } else if (previous !== undefined && named.has(previous) && i > 1) {
      out.push("{}")
    } else {
      out.push(part)
    }
  }
  return `${method.toUpperCase()} ${out.join("/")}`
}

const queryOf = (body: string): string => {
  try {
    const parsed: unknown = JSON.parse(body)
    return typeof parsed === "object" && parsed !== null && "query" in parsed && typeof parsed.query === "string" ? parsed.query : ""
  } catch {
    return ""
  }
}

/** Secondary-limit points of one request: 1 for GET/HEAD (and a GraphQL query), 5 for a write (or a mutation). */
export const secondaryPointsOf = (method: string, path: string, body: string): number => {
  if (path === "/graphql") return /^\s*mutation\b/.test(queryOf(body)) ? 5 : 1
  const m = method.toUpperCase()
  return m === "GET" || m === "HEAD" ? 1 : 5
}

/**
 * A request that creates content, which GitHub also limits on its own (80 a minute): a REST write or a
 * GraphQL mutation. Buying an App installation token is not one.
 */
export const isContentCreation = (method: string, path: string, body: string): boolean => {
  if (path === "/graphql") return /^\s*mutation\b/.test(queryOf(body))
  const m = method.toUpperCase()
  return m !== "GET" && m !== "HEAD" && m !== "OPTIONS" && !/^\/app\/installations\/[^/]+\/access_tokens$/.test(path)
}

/** GitHub's documented secondary limits. */
export const restPointsPerMinutePerEndpoint = 900
export const contentCreationPerMinute = 80
export const graphqlPointsPerMinute = 2000
export const maxConcurrentRequests = 100
