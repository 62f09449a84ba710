/**
 * What GitHub's capabilities share: their settings (the token travels in `auth`), a GitHub client per
 * request on the connector's own client code (its budgets, retries and readable errors), and paging
 * through GitHub's `Link` next URLs behind one of our page tokens.
 */
import { Effect, Option, Redacted, Schema } from "effect"
import type { ConnectorError } from "../../../domain/Errors.js"
import { type AuthCredential, bearerToken } from "../../../sdk/capabilities/Auth.js"
import { CapabilityError } from "../../../sdk/capabilities/Errors.js"
import type { CapabilityServices } from "../../../sdk/capabilities/Executor.js"
import { PageCursor, type PageRequest, paginate } from "../../../sdk/capabilities/PageToken.js"
import { type GitHubClient, makeGitHubClient } from "../Client.js"
import { defaultApiUrl, defaultConcurrency } from "../Settings.js"

export const appId = "github"

/** the one custom attribute of a GitHub account: its role in the org (admin = owner, or member) */
export const orgRoleAttribute = "org_role"

/** What a capability request's `settings` holds for GitHub (the token travels in `auth`). */
export class GitHubCapabilitySettings extends Schema.Class<GitHubCapabilitySettings>("GitHubCapabilitySettings")({
  org: Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9-]*$/)).annotations({ description: "The GitHub organization's login" }),
  api_url: Schema.optionalWith(
    Schema.String.pipe(Schema.pattern(/^https?:\/\/\S+$/)).annotations({ description: "The GitHub API base URL" }),
    { default: () => defaultApiUrl }
  )
}) {}

export const repositoryLevels = ["pull", "triage", "push", "maintain", "admin"] as const
export type Level = typeof repositoryLevels[number]
export const isLevel = (s: string): s is Level => (repositoryLevels as ReadonlyArray<string>).includes(s)

export const levelLabels: Record<Level, string> = { pull: "Read", triage: "Triage", push: "Write", maintain: "Maintain", admin: "Admin" }

export const withClient = <A>(
  auth: AuthCredential | null | undefined,
  settings: GitHubCapabilitySettings,
  pageSize: number,
  use: (client: GitHubClient) => Effect.Effect<A, ConnectorError | CapabilityError, CapabilityServices>
): Effect.Effect<A, CapabilityError, CapabilityServices> =>
  Effect.gen(function*() {
    const token = yield* bearerToken(auth)
    const client = yield* makeGitHubClient({
      org: settings.org,
      token: Redacted.make(Redacted.value(token)),
      apiUrl: settings.api_url.replace(/\/+$/, ""),
      pageSize: Math.min(100, Math.max(1, pageSize)),
      concurrency: defaultConcurrency
    })
    return yield* use(client)
  }).pipe(Effect.mapError((e) => (e._tag === "ConnectorError" ? CapabilityError.fromConnectorError(e) : e)))

/**
 * Page through GitHub list endpoints (following `Link` next URLs) behind one of our page tokens. A
 * token holds a next URL relative to the API's base URL: the same token works wherever the API is
 * reached from, and names no host.
 */
export const linkPages = <A>(
  apiUrl: string,
  capability: string,
  page: PageRequest | null | undefined,
  endpoints: ReadonlyArray<string>,
  fetchOne: (endpoint: string, url: string) => Effect.Effect<{ readonly items: ReadonlyArray<A>; readonly next: Option.Option<string> }, ConnectorError>
) =>
  paginate({
    appId,
    capability,
    endpoints,
    page,
    defaultSize: 100,
    fetch: (cursor, size) => {
      const first = `${cursor.endpoint}?per_page=${Math.min(100, size)}`
      return fetchOne(cursor.endpoint, cursor.cursor ?? first).pipe(
        Effect.map(({ items, next }) => ({
          items,
          next: Option.map(next, (url) => {
            const base = apiUrl.replace(/\/+$/, "")
            return new PageCursor({ endpoint: cursor.endpoint, offset: 0, cursor: url.startsWith(`${base}/`) ? url.slice(base.length) : url })
          })
        }))
      )
    }
  })

export const splitRepo = (resourceId: string, org: string) => {
  const [owner, repo, ...rest] = resourceId.split("/")
  return owner !== undefined && repo !== undefined && rest.length === 0 && owner.toLowerCase() === org.toLowerCase() && repo !== ""
    ? Option.some({ owner, repo })
    : Option.none()
}

