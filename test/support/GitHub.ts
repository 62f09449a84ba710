/** Shared wiring for the GitHub tests: a simulator, a connector against it, the pipeline on memory layers. */
import * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer, Logger, LogLevel, Redacted, Schema } from "effect"
import { KafkaConfig } from "../../src/adapters/KafkaConfig.js"
import { kafkaSinkLayer } from "../../src/adapters/KafkaSink.js"
import { SqlStateStoresLive } from "../../src/adapters/SqlStateStores.js"
import type { TestDatabase } from "../../src/testkit/Postgres.js"
import { sqlLayerFor } from "../../src/testkit/Postgres.js"
import { Member, Repository, Team } from "../../src/platforms/github/Payloads.js"
import { makeGitHubConnector, type GitHubConnectorOptions } from "../../src/platforms/github/Connector.js"
import type { GitHubSimulator } from "../../src/platforms/github/simulator/Types.js"
import { makeConnectorId } from "../../src/domain/Ids.js"
import { EventSink, MemorySink } from "../../src/services/EventSink.js"
import { RateLimiter, type RateLimiterConfig } from "../../src/sdk/RateLimiter.js"
import { defaultPipelineOptions, type PipelineOptions } from "../../src/pipeline/Options.js"
import { topics } from "../../src/pipeline/Wire.js"
import { memoryStateStores } from "../../src/services/StateStores.js"

export const fastOptions: GitHubConnectorOptions = {
  retry: { times: 8, base: "10 millis", cap: "200 millis" },
  secondaryBackoff: { base: "200 millis", cap: "1 second" },
  malformedDelay: "10 millis"
}

/**
 * Per-endpoint REST points a minute for tests that are not about pacing, on both sides: the simulator
 * enforces it (`secondaryLimits.restPointsPerEndpoint`) and the connector paces to it
 * (`restPointsPerMinute`). Ten times GitHub's 900, so a pull of 60 repositories takes a second, not ten.
 * Pacing itself is tested at the documented limits (Pacing.test, bench).
 */
export const roomyRestPoints = 9_000

export const pipelineOptions: PipelineOptions = {
  ...defaultPipelineOptions,
  batchSize: 200,
  batchWindow: "20 millis",
  publishRetry: { times: 3, base: "10 millis", cap: "50 millis" }
}

export const connectorFor = (
  sim: GitHubSimulator,
  settings: {
    readonly pageSize?: number
    readonly concurrency?: number
    readonly token?: string
    readonly org?: string
    readonly since?: string
    readonly include?: "web" | "git" | "all"
    readonly restPointsPerMinute?: number
  } = {},
  options: GitHubConnectorOptions = fastOptions
) =>
  makeGitHubConnector(makeConnectorId("github-test"), {
    org: settings.org ?? sim.org,
    token: Redacted.make(settings.token ?? sim.token),
    apiUrl: sim.url,
    pageSize: settings.pageSize ?? 100,
    concurrency: settings.concurrency ?? 4,
    ...(settings.since !== undefined ? { since: settings.since } : {}),
    ...(settings.include !== undefined ? { include: settings.include } : {}),
    ...(settings.restPointsPerMinute !== undefined ? { restPointsPerMinute: settings.restPointsPerMinute } : {})
  }, options)

export const limiterLayer = (config: Partial<RateLimiterConfig> = {}) =>
  RateLimiter.layer({ limit: 2000, interval: "1 second", maxConcurrency: 8, ...config })

/** HttpClient + RateLimiter + memory sink + memory checkpoints, built once per test. */
export const runtimeLayer = (config: Partial<RateLimiterConfig> = {}, records?: Array<ClientRecord>) =>
  Layer.mergeAll(
    records ? recordingHttpClient(records) : NodeHttpClient.layerUndici,
    limiterLayer(config),
    EventSink.memory,
    memoryStateStores
  )

/** What the client itself did: when each request left, when its answer came back. */
export interface ClientRecord {
  readonly url: string
  readonly sentAt: number
  readonly receivedAt: number
  readonly status: number
  readonly retryAfter: string | undefined
}

/** A real HTTP client that records every request it sends (the innermost layer: retries are separate sends). */
export const recordingHttpClient = (records: Array<ClientRecord>) =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) =>
      client.pipe(HttpClient.transform((effect, request) =>
        Effect.suspend(() => {
          const sentAt = Date.now()
          return Effect.tap(effect, (response) =>
            Effect.sync(() => {
              records.push({
                url: request.url,
                sentAt,
                receivedAt: Date.now(),
                status: response.status,
                retryAfter: (response.headers as Record<string, string | undefined>)["retry-after"]
              })
            }))
        })
      )))
  ).pipe(Layer.provide(NodeHttpClient.layerUndici))

/** Log lines captured through a test logger (every level), as the default logfmt output would print them. */
export const captureLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make((options) => {
    lines.push(Logger.logfmtLogger.log(options))
  })
  const layer = Layer.merge(Logger.replace(Logger.defaultLogger, logger), Logger.minimumLogLevel(LogLevel.All))
  return { lines, layer }
}

export interface WireSnapshot {
  readonly principal_ref: string
  readonly asset_ref: string
  readonly privilege: string
  readonly grant_mechanism: string
}

const parseValues = (topic: string) =>
  MemorySink.pipe(
    Effect.flatMap((sink) => sink.messages),
    Effect.map((messages) => messages.filter((m) => m.topic === topic).map((m) => JSON.parse(m.value ?? "null") as Record<string, unknown>))
  )

export const publishedSnapshots = parseValues(topics.snapshots("github"))
export const publishedEvents = parseValues(topics.events("github"))
export const publishedDeadLetters = parseValues(topics.deadLetters("github"))

export const grantKey = (g: { readonly principal_ref: unknown; readonly asset_ref: unknown; readonly privilege: unknown; readonly grant_mechanism: unknown }) =>
  `${String(g.principal_ref)}|${String(g.asset_ref)}|${String(g.privilege)}|${String(g.grant_mechanism)}`

export const sortedKeys = (items: ReadonlyArray<Parameters<typeof grantKey>[0]>) => items.map(grantKey).sort()

/** A request to the simulator's REST API, as a GitHub admin would make it: the parsed answer, or a defect on >= 300. */
export const adminRequest = (sim: GitHubSimulator, method: string, path: string, body?: unknown) =>
  Effect.promise(async () => {
    const response = await fetch(`${sim.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${sim.token}`, "user-agent": "verity-test", accept: "application/vnd.github+json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const text = await response.text()
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`)
    return text === "" ? undefined : (JSON.parse(text) as unknown)
  })

/** GitHub's lists as the connector decodes them (src/platforms/github/Payloads.ts) */
export const Members = Schema.Array(Member)
export const Teams = Schema.Array(Team)
export const Repositories = Schema.Array(Repository)

/** GET `path` from the simulator, decoded (a test's own request: a wrong shape is a defect, so it dies). */
export const adminGet = <A, I>(sim: GitHubSimulator, path: string, schema: Schema.Schema<A, I>) =>
  Effect.flatMap(adminRequest(sim, "GET", path), Schema.decodeUnknown(schema)).pipe(Effect.orDie)

/**
 * A member (not an owner) of a team, on a repository where only the base permission reached them, with
 * that team given PUSH there: their PUSH is a group grant, with no direct grant beside it.
 */
export const teamPushGrant = (sim: GitHubSimulator) =>
  Effect.gen(function*() {
    const owners = (yield* adminGet(sim, `/orgs/${sim.org}/members?role=admin`, Members)).map((o) => o.login.toLowerCase())
    const teams = yield* adminGet(sim, `/orgs/${sim.org}/teams`, Teams)
    const repos = (yield* adminGet(sim, `/orgs/${sim.org}/repos`, Repositories)).map((r) => r.name)
    const truth = yield* sim.truthGrants
    for (const { slug } of teams) {
      const members = (yield* adminGet(sim, `/orgs/${sim.org}/teams/${slug}/members`, Members)).map((m) => m.login.toLowerCase())
      for (const login of members.filter((m) => !owners.includes(m))) {
        const repo = repos.find((name) =>
          truth.every((h) => h.principal_ref !== login || h.asset_ref !== `${sim.org}/${name}` || (h.privilege === "PULL" && h.grant_mechanism === "role"))
        )
        if (repo === undefined) continue
        yield* adminRequest(sim, "PUT", `/orgs/${sim.org}/teams/${slug}/repos/${sim.org}/${repo}`, { permission: "push" })
        return { principal_ref: login, asset_ref: `${sim.org}/${repo}` }
      }
    }
    return yield* Effect.dieMessage("no team member without access beyond the base permission on some repository")
  })

/** The product's Kafka sink and SQL state stores, on a test broker and a throwaway database. */
export const kafkaAndSqlLayer = (brokers: ReadonlyArray<string>, db: TestDatabase) =>
  Layer.mergeAll(
    kafkaSinkLayer(Schema.decodeUnknownSync(KafkaConfig)({ brokers, clientId: "verity-test", logLevel: "nothing" })),
    SqlStateStoresLive.pipe(Layer.provide(sqlLayerFor(db)))
  ).pipe(Layer.orDie)
