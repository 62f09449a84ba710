/**
 * The GitHub connector's settings: the connector's `settings` object in the config file, each field
 * falling back to the guide's environment variables (`VERITY_GITHUB_ORG`, `VERITY_GITHUB_TOKEN`,
 * `VERITY_GITHUB_API_URL`, `VERITY_GITHUB_PAGE_SIZE`, `VERITY_GITHUB_CONCURRENCY`, `VERITY_GITHUB_USER_AGENT`,
 * `VERITY_GITHUB_INCLUDE`, `VERITY_GITHUB_SINCE`) through the SDK's `decodeSettings`.
 */
import { type Effect, Schema } from "effect"
import packageJson from "../../../package.json" with { type: "json" }
import type { ConfigError } from "../../domain/Errors.js"
import { decodeSettings } from "../../sdk/Settings.js"

export const platform = "github"
export const defaultApiUrl = "https://api.github.com"
export const defaultConcurrency = 4
/** GitHub refuses requests without a User-Agent; it asks for the application's name. */
export const defaultUserAgent = `verity-ingest/${packageJson.version}`
/** The audit log's `include`: GitHub answers web events only without it. */
export const defaultInclude = "all"
/** GitHub: after a secondary limit without `retry-after`, wait at least a minute. */
export const defaultSecondaryWaitSeconds = 60
/** How far back the first audit pull asks (`created:>=`): GitHub keeps about 180 days, Git events 7. */
export const defaultSinceDays = 90

const show = (value: unknown) => (typeof value === "string" ? JSON.stringify(value) : String(value))

/** An integer in a range, whose message says so whatever was given ("lots", 500). */
const boundedInt = (min: number, max: number) =>
  Schema.Int.pipe(Schema.between(min, max)).annotations({
    message: (issue) => ({
      message: `Expected an integer between ${min} and ${max}, actual ${show(issue.actual)}`,
      override: true
    })
  })

/** An http(s) base URL, kept without its trailing slashes. */
const ApiUrl = Schema.transform(
  Schema.String.pipe(Schema.pattern(/^https?:\/\/\S+$/i, { message: () => "apiUrl must be an http(s) URL" })),
  Schema.String,
  { strict: true, decode: (url) => url.replace(/\/+$/, ""), encode: (url) => url }
)

/** An id GitHub gives as a number; settings may carry it as a number or a string. */
const NumericId = Schema.Union(Schema.NonEmptyString.pipe(Schema.pattern(/^\d+$/)), Schema.Int.pipe(Schema.positive()))

export const GitHubSettings = Schema.Struct({
  /** the organization's login */
  org: Schema.NonEmptyString,
  /** a token with read:org, read:audit_log and repo (for private repositories); or the GitHub App settings below */
  token: Schema.optional(Schema.Redacted(Schema.NonEmptyString)),
  /** GitHub App authentication (instead of `token`): the app's id */
  appId: Schema.optional(NumericId),
  /** GitHub App authentication: the installation's id in the org */
  installationId: Schema.optional(NumericId),
  /** GitHub App authentication: the app's private key (PEM) */
  privateKey: Schema.optional(Schema.Redacted(Schema.NonEmptyString)),
  /** base URL of the API, no trailing slash */
  apiUrl: Schema.optionalWith(ApiUrl, { default: () => defaultApiUrl }),
  /** items per page, 1..100 (GitHub's maximum) */
  pageSize: Schema.optionalWith(boundedInt(1, 100), { default: () => 100 }),
  /**
   * Repositories checked at once. Default 4: each repository costs one request (usually a free 304)
   * and GitHub asks integrators to avoid concurrent requests; 4 keeps a pull of thousands of repos
   * quick on latency while staying far below the 100-concurrent-request secondary limit, and well
   * inside the rate limiter's per-key concurrency (8 by default): three budgets of 8 stay below 100.
   */
  concurrency: Schema.optionalWith(boundedInt(1, 64), { default: () => defaultConcurrency }),
  /**
   * points a minute the connector spends on one REST endpoint (GET 1, writes 5); default 900, GitHub's
   * secondary limit. Lower it to leave room for other clients of the same token.
   */
  restPointsPerMinute: Schema.optional(boundedInt(1, 100_000)),
  /** GraphQL points a minute (query 1, mutation 5); default 2,000, GitHub's secondary limit */
  graphqlPointsPerMinute: Schema.optional(boundedInt(1, 100_000)),
  /** pacing of writes (content creation) across endpoints, per minute (GitHub's secondary limit: 80) */
  contentCreationPerMinute: Schema.optional(boundedInt(1, 100_000)),
  /** seconds to wait after a secondary limit without `retry-after`, doubling on each repeat (GitHub asks for at least 60) */
  secondaryWaitSeconds: Schema.optional(boundedInt(1, 3600)),
  /** the User-Agent sent on every request (default `verity-ingest/<version>`) */
  userAgent: Schema.optional(Schema.NonEmptyString),
  /** which audit events: `web`, `git` (clone, fetch, push) or `all` (default) */
  include: Schema.optional(Schema.Literal("web", "git", "all")),
  /**
   * where the first audit pull starts: an ISO date or time (`2024-05-01`, `2024-05-01T00:00:00Z`), or a
   * number of days back (`30d`); default 90 days back
   */
  since: Schema.optional(
    Schema.String.pipe(
      Schema.filter((s) => /^\d+d$/.test(s) || !Number.isNaN(Date.parse(s)), {
        message: (issue) => `since must be an ISO date or time, or a number of days back like "90d"; actual ${show(issue.actual)}`
      })
    )
  )
}).pipe(
  Schema.filter((s) => {
    const app = [s.appId, s.installationId, s.privateKey].filter((v) => v !== undefined).length
    if (s.token !== undefined && app > 0) {
      return { path: ["token"], message: "set either token or the GitHub App settings (appId, installationId, privateKey), not both" }
    }
    if (s.token === undefined && app < 3) {
      return {
        path: [app === 0 ? "token" : "privateKey"],
        message: "set token (or VERITY_GITHUB_TOKEN), or all of appId, installationId and privateKey for a GitHub App"
      }
    }
    return true
  })
)
export type GitHubSettings = typeof GitHubSettings.Type

/** The GitHub App credentials, when the settings use an app instead of a token. */
export const appCredentialsOf = (s: GitHubSettings) =>
  s.appId !== undefined && s.installationId !== undefined && s.privateKey !== undefined
    ? { appId: String(s.appId), installationId: String(s.installationId), privateKey: s.privateKey }
    : undefined

/** Epoch ms the first audit pull starts at (`since`, default 90 days before `now`). */
export const sinceMs = (settings: GitHubSettings, now: number): number => {
  const since = settings.since ?? `${defaultSinceDays}d`
  const days = /^(\d+)d$/.exec(since)
  return days ? now - Number(days[1]) * 86_400_000 : Date.parse(since)
}

/** Read the settings (`env` instead of the environment, for tests); a bad field is a `ConfigError` naming it. */
export const loadGitHubSettings = (
  settings: unknown,
  env?: ReadonlyMap<string, string>
): Effect.Effect<GitHubSettings, ConfigError> => decodeSettings(platform, GitHubSettings, settings, env)
