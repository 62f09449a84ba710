/**
 * The program's configuration: a JSON file (see `verity.config.example.json`) decoded with Schema, then
 * overridden by the guide's environment variables (`VERITY_KAFKA_BROKERS`, `VERITY_POSTGRES_DSN`,
 * `VERITY_CONNECTOR`; each platform reads `VERITY_<PLATFORM>_*` itself as a fallback for its connector settings).
 *
 * Every failure is a `ConfigError` naming the file and the dotted path of the bad field, written to be
 * printed as one line.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { Config, Duration, Effect, Option, ParseResult, Redacted, Schema } from "effect"
import { ConnectorId, Platform } from "../domain/Ids.js"
import { ConfigError } from "../domain/Errors.js"
import { brokerProblem, KafkaConfig } from "../adapters/KafkaConfig.js"
import { defaultPipelineOptions, defaultRefreshOptions, defaultRefreshPoll, type PipelineOptions } from "../pipeline/Options.js"

/** A duration as a string Effect understands ("90 seconds", "1 hour") or a number of seconds. */
export const DurationFromConfig = Schema.transformOrFail(
  Schema.Union(Schema.String, Schema.Number.pipe(Schema.nonNegative())),
  Schema.DurationFromSelf,
  {
    strict: true,
    decode: (input, _, ast) => {
      const decoded = typeof input === "number"
        ? Option.some(Duration.seconds(input))
        : Duration.decodeUnknown(input.trim())
      return Option.match(decoded, {
        onNone: () =>
          ParseResult.fail(
            new ParseResult.Type(ast, input, `expected a duration such as "90 seconds" or "1 hour", or a number of seconds`)
          ),
        onSome: (d) => ParseResult.succeed(d)
      })
    },
    encode: (d) => ParseResult.succeed(Duration.toSeconds(d))
  }
)

const PositiveInt = Schema.Number.pipe(Schema.int(), Schema.positive())

/**
 * Why a DSN cannot be a PostgreSQL URL, or `undefined`. The message never quotes the DSN: it may hold
 * a password. (Without this check an unparsable DSN surfaced only as "Failed to connect", exit 1.)
 */
export const dsnProblem = (dsn: string): string | undefined => {
  const example = `expected a PostgreSQL URL such as "postgres://user:password@host:5432/database"`
  let url: URL
  try {
    url = new URL(dsn.trim())
  } catch {
    return `${example} (the value is not a URL; it is not shown, as it may hold a password)`
  }
  return url.protocol === "postgres:" || url.protocol === "postgresql:"
    ? undefined
    : `${example} (the scheme is "${url.protocol.replace(/:$/, "")}")`
}

const Dsn = Schema.Redacted(Schema.String).pipe(Schema.filter((d) => dsnProblem(Redacted.value(d)) ?? true))

export const PostgresConfig = Schema.Struct({
  dsn: Schema.optional(Dsn)
})

export const PipelineConfig = Schema.Struct({
  batchSize: Schema.optional(PositiveInt),
  inFlight: Schema.optional(PositiveInt),
  batchWindow: Schema.optional(DurationFromConfig),
  dedupCapacity: Schema.optional(PositiveInt),
  prefetch: Schema.optional(PositiveInt),
  progressEvery: Schema.optional(DurationFromConfig),
  publishRetry: Schema.optional(Schema.Struct({
    times: Schema.Number.pipe(Schema.int(), Schema.nonNegative()),
    base: DurationFromConfig,
    cap: DurationFromConfig
  })),
  /** the audit-driven refresh: on by default, 2 s of debounce, queued requests looked for every second */
  refresh: Schema.optional(Schema.Struct({
    enabled: Schema.optional(Schema.Boolean),
    debounce: Schema.optional(DurationFromConfig),
    poll: Schema.optional(DurationFromConfig)
  }))
})

export const ScheduleConfig = Schema.Struct({
  permissions: Schema.optionalWith(DurationFromConfig, { default: () => Duration.hours(1) }),
  audit: Schema.optionalWith(DurationFromConfig, { default: () => Duration.minutes(1) })
})
export type ScheduleConfig = typeof ScheduleConfig.Type

export const ConnectorConfig = Schema.Struct({
  id: ConnectorId,
  platform: Platform,
  /** handed to the platform's connector, which decodes it itself */
  settings: Schema.optionalWith(Schema.Unknown, { default: () => ({}) }),
  schedule: Schema.optionalWith(ScheduleConfig, { default: () => ({ permissions: Duration.hours(1), audit: Duration.minutes(1) }) })
})
export type ConnectorConfig = typeof ConnectorConfig.Type

/** `api`: the HTTP API, served by `run` (and the demo's `--serve`). */
export const ApiConfigFile = Schema.Struct({
  port: Schema.optionalWith(Schema.Number.pipe(Schema.int(), Schema.between(0, 65535)), { default: () => 8000 }),
  host: Schema.optionalWith(Schema.NonEmptyTrimmedString, { default: () => "127.0.0.1" }),
  /** bearer token the mutating endpoints require (and reads too, unless `readsOpen`) */
  token: Schema.optional(Schema.Redacted(Schema.NonEmptyString)),
  /** reads (grants, connectors, metrics) without a token; default true */
  readsOpen: Schema.optionalWith(Schema.Boolean, { default: () => true })
})
export type ApiConfig = typeof ApiConfigFile.Type

/** Loopback hosts: the only ones an API without a token may listen on. */
export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host)

/**
 * Several `run` processes on one PostgreSQL form one cluster (each connector stream on one runner). All
 * optional: with the same file, processes on one host or many join without any of it.
 */
export const ClusterConfig = Schema.Struct({
  /** default: on with a PostgreSQL DSN (never with the embedded PGlite) */
  enabled: Schema.optional(Schema.Boolean),
  /** the host other runners reach this one at (default: this machine's hostname) */
  address: Schema.optional(Schema.NonEmptyString),
  /** the runner's port (default 0: a free port, so processes on one host share the file) */
  port: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.between(0, 65535))),
  /** shards the streams are spread over; the same on every runner (default 300) */
  shards: Schema.optional(PositiveInt),
  /** how long a silent runner keeps its streams (default 9 seconds; a killed runner's streams move within about this plus 3 s) */
  lockExpiration: Schema.optional(DurationFromConfig)
})

export interface ClusterSettings {
  readonly enabled: boolean
  readonly address: string | undefined
  readonly port: number
  readonly shards: number
  readonly lockExpiration: Duration.Duration
}

/** No cluster: every stream in this process (the embedded stores, the demo). */
export const singleProcess: ClusterSettings = {
  enabled: false,
  address: undefined,
  port: 0,
  shards: 300,
  lockExpiration: Duration.seconds(9)
}

export const AppConfigFile = Schema.Struct({
  kafka: Schema.optional(KafkaConfig),
  postgres: Schema.optional(PostgresConfig),
  pipeline: Schema.optional(PipelineConfig),
  cluster: Schema.optional(ClusterConfig),
  /** where the embedded defaults keep their data (PGlite, JSON lines) */
  dataDir: Schema.optionalWith(Schema.NonEmptyString, { default: () => ".verity" }),
  connectors: Schema.optionalWith(Schema.Array(ConnectorConfig), { default: () => [] }),
  api: Schema.optional(ApiConfigFile)
})
export type AppConfigFile = typeof AppConfigFile.Type

export interface AppConfig {
  /** the file it came from, for messages */
  readonly file: string | undefined
  /** `undefined`: no brokers, the embedded JSON-lines sink */
  readonly kafka: KafkaConfig | undefined
  /** `undefined`: no DSN, the embedded PGlite store */
  readonly postgresDsn: Redacted.Redacted<string> | undefined
  readonly pipeline: PipelineOptions
  /** `run` (the service) on a cluster of runners; off without a PostgreSQL DSN */
  readonly cluster: ClusterSettings
  readonly dataDir: string
  readonly connectors: ReadonlyArray<ConnectorConfig>
  /** `undefined`: no HTTP API */
  readonly api?: ApiConfig | undefined
}

const pathOf = (path: ReadonlyArray<PropertyKey>) => path.map(String).join(".")

/** One line: the first issue's field and message (plus how many more there are). */
export const formatIssues = (error: ParseResult.ParseError): { field: string | undefined; message: string } => {
  const all = ParseResult.ArrayFormatter.formatErrorSync(error)
  // an optional field is `X | undefined`: its "Expected undefined" branch (and its parents') is noise
  const meaningful = all.filter((i) => !i.message.startsWith("Expected undefined, actual"))
  const issues = meaningful.length > 0 ? meaningful : all
  const head = issues[0]
  if (head === undefined) return { field: undefined, message: "invalid" }
  // a union reports one issue per member ("expected an array" beside the member's own complaint about
  // an element): say the most specific one under the first issue's path, and count unrelated fields only
  const within = (inner: ReadonlyArray<PropertyKey>, outer: ReadonlyArray<PropertyKey>) =>
    inner.length >= outer.length && outer.every((k, i) => String(k) === String(inner[i]))
  const first = issues.reduce((best, i) => (within(i.path, head.path) && i.path.length > best.path.length ? i : best), head)
  const others = new Set(
    issues.filter((i) => !within(i.path, first.path) && !within(first.path, i.path)).map((i) => pathOf(i.path))
  )
  const more = others.size > 0 ? ` (and ${others.size} more field${others.size > 1 ? "s" : ""} with problems)` : ""
  // a union of literals reports one "Expected X, actual Y" per member: say all of them at once
  const expectedActual = /^Expected (.*), actual (.*)$/s
  const actualOfFirst = expectedActual.exec(first.message)?.[2]
  const alternatives = issues
    .filter((i) => pathOf(i.path) === pathOf(first.path))
    .map((i) => expectedActual.exec(i.message))
    .filter((m): m is RegExpExecArray => m !== null && m[2] === actualOfFirst)
    .map((m) => m[1])
  const message = actualOfFirst !== undefined && alternatives.length > 1
    ? `Expected ${alternatives.join(" | ")}, actual ${actualOfFirst}`
    : first.message
  return {
    field: first.path.length > 0 ? pathOf(first.path) : undefined,
    message: `${message.replace(/\s*\n\s*/g, " ")}${more}`
  }
}

/** The one line an operator reads for a `ConfigError`. */
export const describeConfigError = (e: ConfigError): string => {
  const where = e.file !== undefined ? ` in ${e.file}` : ""
  const field = e.field !== undefined ? `: field "${e.field}"` : ""
  return `config error${where}${field}: ${e.message}`
}

const toPipelineOptions = (p: typeof PipelineConfig.Type | undefined): PipelineOptions => ({
  batchSize: p?.batchSize ?? defaultPipelineOptions.batchSize,
  inFlight: p?.inFlight ?? defaultPipelineOptions.inFlight,
  batchWindow: p?.batchWindow ?? defaultPipelineOptions.batchWindow,
  dedupCapacity: p?.dedupCapacity ?? defaultPipelineOptions.dedupCapacity,
  prefetch: p?.prefetch ?? defaultPipelineOptions.prefetch,
  progressEvery: p?.progressEvery ?? defaultPipelineOptions.progressEvery,
  publishRetry: p?.publishRetry ?? defaultPipelineOptions.publishRetry,
  refresh: {
    enabled: p?.refresh?.enabled ?? defaultRefreshOptions.enabled,
    debounce: p?.refresh?.debounce ?? defaultRefreshOptions.debounce,
    poll: p?.refresh?.poll ?? defaultRefreshPoll
  }
})

const decodeFile = Schema.decodeUnknown(AppConfigFile, { errors: "all", onExcessProperty: "error" })

/** Decode a parsed JSON document (no environment applied). */
export const decodeAppConfigFile = (json: unknown, file: string | undefined) =>
  decodeFile(json).pipe(
    Effect.mapError((error) => {
      const { field, message } = formatIssues(error)
      return new ConfigError({ file, field, message })
    })
  )

/** The environment variables that override the file. Read through Effect's `Config`, so tests can provide them. */
const envOverrides = Config.all({
  brokers: Config.option(Config.string("VERITY_KAFKA_BROKERS")),
  dsn: Config.option(Config.redacted("VERITY_POSTGRES_DSN")),
  only: Config.option(Config.string("VERITY_CONNECTOR")),
  apiToken: Config.option(Config.redacted("VERITY_API_TOKEN"))
})

export const applyEnvironment = (decoded: AppConfigFile, file: string | undefined) =>
  Effect.gen(function*() {
    const env = yield* envOverrides.pipe(
      Effect.mapError((e) => new ConfigError({ file, message: `environment: ${String(e).replace(/\s*\n\s*/g, " ")}` }))
    )
    const brokersOverride = env.brokers.pipe(
      Option.map((s) => s.split(",").map((b) => b.trim()).filter((b) => b.length > 0)),
      Option.filter((bs) => bs.length > 0)
    )
    if (Option.isSome(brokersOverride)) {
      const problem = brokersOverride.value.map(brokerProblem).find((p) => p !== undefined)
      if (problem !== undefined) return yield* new ConfigError({ file, field: "VERITY_KAFKA_BROKERS", message: problem })
    }
    if (Option.isSome(env.dsn) && Redacted.value(env.dsn.value).trim() !== "") {
      const problem = dsnProblem(Redacted.value(env.dsn.value))
      if (problem !== undefined) return yield* new ConfigError({ file, field: "VERITY_POSTGRES_DSN", message: problem })
    }
    const brokers = Option.getOrElse(brokersOverride, () => decoded.kafka?.brokers ?? [])
    const kafkaBase = decoded.kafka ?? Schema.decodeUnknownSync(KafkaConfig)({})
    const kafka = brokers.length > 0 ? { ...kafkaBase, brokers } : undefined
    const dsn = Option.getOrElse(
      Option.filter(env.dsn, (d) => Redacted.value(d).trim() !== ""),
      () => decoded.postgres?.dsn
    )
    const only = Option.filter(env.only, (s) => s.trim() !== "")
    let connectors = decoded.connectors
    if (Option.isSome(only)) {
      connectors = decoded.connectors.filter((c) => c.id === only.value.trim())
      if (connectors.length === 0) {
        return yield* new ConfigError({
          file,
          field: "VERITY_CONNECTOR",
          message: `no connector with id "${only.value}"; configured: ${decoded.connectors.map((c) => c.id).join(", ") || "(none)"}`
        })
      }
    }
    const ids = new Set<string>()
    for (const [i, c] of connectors.entries()) {
      if (ids.has(c.id)) {
        return yield* new ConfigError({ file, field: `connectors.${i}.id`, message: `duplicate connector id "${c.id}"` })
      }
      ids.add(c.id)
    }
    const apiToken = Option.getOrElse(
      Option.filter(env.apiToken, (t) => Redacted.value(t).trim() !== ""),
      () => decoded.api?.token
    )
    const api = decoded.api === undefined ? undefined : { ...decoded.api, token: apiToken }
    if (api !== undefined && api.token === undefined && !isLoopback(api.host)) {
      return yield* new ConfigError({
        file,
        field: "api.token",
        message: `the API listens on ${api.host}, beyond this machine, and has no token: set api.token (or VERITY_API_TOKEN), or listen on 127.0.0.1`
      })
    }
    return {
      file,
      kafka,
      postgresDsn: dsn,
      pipeline: toPipelineOptions(decoded.pipeline),
      cluster: {
        enabled: dsn !== undefined && (decoded.cluster?.enabled ?? true),
        address: decoded.cluster?.address,
        port: decoded.cluster?.port ?? singleProcess.port,
        shards: decoded.cluster?.shards ?? singleProcess.shards,
        lockExpiration: decoded.cluster?.lockExpiration ?? singleProcess.lockExpiration
      },
      dataDir: decoded.dataDir,
      connectors,
      api
    } satisfies AppConfig
  })

/** Read, parse, decode and apply the environment. Without a file: defaults (embedded stores), then the environment. */
export const loadAppConfig = (file: Option.Option<string>) =>
  Effect.gen(function*() {
    if (Option.isNone(file)) {
      const decoded = yield* decodeAppConfigFile({}, undefined)
      return yield* applyEnvironment(decoded, undefined)
    }
    const path = file.value
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(path).pipe(
      Effect.mapError((e) =>
        new ConfigError({
          file: path,
          message: e._tag === "SystemError" && e.reason === "NotFound" ? "file not found" : `cannot read the file (${e.message})`
        })
      )
    )
    const json = yield* Effect.try({
      try: (): unknown => JSON.parse(text),
      catch: (e) => new ConfigError({ file: path, message: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` })
    })
    const decoded = yield* decodeAppConfigFile(json, path)
    return yield* applyEnvironment(decoded, path)
  })

/** A DSN without its password, for summaries and logs. */
export const describeDsn = (dsn: Redacted.Redacted<string>): string => {
  try {
    const url = new URL(Redacted.value(dsn))
    return `postgres ${url.hostname}${url.port ? `:${url.port}` : ""}${url.pathname}`
  } catch {
    return "postgres (unparsable DSN)"
  }
}
