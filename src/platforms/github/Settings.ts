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

export const GitHubSettings = Schema.Struct({
  /** the organization's login */
  org: Schema.NonEmptyString,
  /** a token with read:org, read:audit_log and repo (for private repositories) */
  token: Schema.Redacted(Schema.NonEmptyString),
  /** base URL of the API, no trailing slash */
  apiUrl: Schema.optionalWith(ApiUrl, { default: () => defaultApiUrl }),
  /** items per page, 1..100 (GitHub's maximum) */
  pageSize: Schema.optionalWith(boundedInt(1, 100), { default: () => 100 }),
  /**
   * Repositories checked at once. Default 4: each repository costs one request (usually a free 304)
   * and GitHub asks integrators to avoid concurrent requests; 4 keeps a pull of thousands of repos
   * quick on latency while staying far below the 100-concurrent-request secondary limit, and well
   * inside the rate limiter's per-key concurrency (8 by default).
   */
  concurrency: Schema.optionalWith(boundedInt(1, 64), { default: () => defaultConcurrency }),
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
})
export type GitHubSettings = typeof GitHubSettings.Type

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
