/**
 * The GitHub connector's settings. They come from the connector's `settings` object in the config
 * file and fall back to the guide's environment variables (`VERITY_GITHUB_ORG`, `VERITY_GITHUB_TOKEN`,
 * `VERITY_GITHUB_API_URL`, `VERITY_GITHUB_PAGE_SIZE`, `VERITY_GITHUB_CONCURRENCY`).
 */
import { Config, ConfigError as EffectConfigError, ConfigProvider, Effect, Either, type Redacted } from "effect"
import { ConfigError } from "../../domain/Errors.js"

export interface GitHubSettings {
  readonly org: string
  readonly token: Redacted.Redacted<string>
  /** base URL of the API, no trailing slash */
  readonly apiUrl: string
  /** items per page, 1..100 (GitHub's maximum) */
  readonly pageSize: number
  /**
   * Repositories checked at once. Default 4: each repository costs one request (usually a free 304)
   * and GitHub asks integrators to avoid concurrent requests; 4 keeps a pull of thousands of repos
   * quick on latency while staying far below the 100-concurrent-request secondary limit, and well
   * inside the rate limiter's per-key concurrency (8 by default).
   */
  readonly concurrency: number
}

export const defaultApiUrl = "https://api.github.com"
export const defaultConcurrency = 4

/** A bounded integer whose error names the field (`Config.validate` would lose the path). */
const boundedInt = (name: string, fallback: number, min: number, max: number) =>
  Config.integer(name).pipe(
    Config.withDefault(fallback),
    Config.mapOrFail((n) =>
      n >= min && n <= max
        ? Either.right(n)
        : Either.left(EffectConfigError.InvalidData([name], `${name} must be between ${min} and ${max}, got ${n}`))
    )
  )

export const GitHubSettingsConfig: Config.Config<GitHubSettings> = Config.all({
  org: Config.nonEmptyString("org"),
  token: Config.redacted("token"),
  apiUrl: Config.string("apiUrl").pipe(
    Config.withDefault(defaultApiUrl),
    Config.mapOrFail((u) =>
      /^https?:\/\/\S+$/i.test(u)
        ? Either.right(u.replace(/\/+$/, ""))
        : Either.left(EffectConfigError.InvalidData(["apiUrl"], "apiUrl must be an http(s) URL"))
    )
  ),
  pageSize: boundedInt("pageSize", 100, 1, 100),
  concurrency: boundedInt("concurrency", defaultConcurrency, 1, 64)
})

/** `settings` first, then `VERITY_GITHUB_*` from the environment (or from `env` when given, for tests). */
export const settingsProvider = (settings: unknown, env?: ReadonlyMap<string, string>): ConfigProvider.ConfigProvider => {
  const envProvider = env === undefined ? ConfigProvider.fromEnv() : ConfigProvider.fromMap(new Map(env), { pathDelim: "_" })
  return ConfigProvider.fromJson(settings ?? {}).pipe(
    ConfigProvider.orElse(() => envProvider.pipe(ConfigProvider.constantCase, ConfigProvider.nested("VERITY_GITHUB")))
  )
}

const firstPath = (error: EffectConfigError.ConfigError): ReadonlyArray<string> => {
  switch (error._op) {
    case "And":
    case "Or":
      return firstPath(error.left).length > 0 ? firstPath(error.left) : firstPath(error.right)
    default:
      return error.path
  }
}

/** The first leaf that is about the `settings` object (not the environment fallback). */
const firstLeaf = (error: EffectConfigError.ConfigError): EffectConfigError.ConfigError => {
  switch (error._op) {
    case "And":
    case "Or": {
      const left = firstLeaf(error.left)
      return "path" in left && left.path[0] === "VERITY_GITHUB" ? firstLeaf(error.right) : left
    }
    default:
      return error
  }
}

const envName = (field: string) => `VERITY_GITHUB_${field.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase()}`

/**
 * One readable sentence. Effect's own text of a missing `Config.redacted` is "<redacted>", and it
 * lists the environment fallback as a second failure; say instead what to set.
 */
const describeSettingsError = (error: EffectConfigError.ConfigError, field: string | undefined): string => {
  const leaf = firstLeaf(error)
  if (leaf._op === "MissingData" && field !== undefined) {
    return `"${field}" is missing: set it in the connector's settings or in ${envName(field)}`
  }
  if (leaf._op === "InvalidData") return leaf.message.replace(/\s+/g, " ").slice(0, 400)
  return String(error).replace(/\s+/g, " ").slice(0, 400)
}

/** Read the settings; a missing or wrongly typed field fails with a `ConfigError` naming it. */
export const loadGitHubSettings = (
  settings: unknown,
  env?: ReadonlyMap<string, string>
): Effect.Effect<GitHubSettings, ConfigError> =>
  Effect.withConfigProvider(GitHubSettingsConfig, settingsProvider(settings, env)).pipe(
    Effect.either,
    Effect.flatMap(Either.match({
      onRight: Effect.succeed,
      onLeft: (error) => {
        const path = firstPath(error).filter((p) => p !== "VERITY_GITHUB")
        const field = path.join(".") || undefined
        return Effect.fail(
          new ConfigError({
            ...(field === undefined ? {} : { field }),
            message: `github settings: ${describeSettingsError(error, field)}`
          })
        )
      }
    }))
  )
