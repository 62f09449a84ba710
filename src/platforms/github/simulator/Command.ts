/**
 * The GitHub simulator as the program runs it: `simulate github` (its options, and what it prints) and
 * the demo's instance.
 *
 *   node --import tsx main.ts simulate github --port 8787 --org acme-corp --token T --repos 60 \
 *     --members 50 --teams 8 --events 500 --seed 42 [--latency-ms 20] [--error-rate 0.1] \
 *     [--malformed-rate 0.05] [--rate-limit 100 --rate-window-s 10] [--max-concurrency 10] \
 *     [--live-events-per-sec 5 --live-changes-per-min 30 --live-seed 7]
 */
import { Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { readFileSync } from "node:fs"
import { defineSimulator } from "../../../sdk/Plugin.js"
import { startGitHubSimulator } from "./Server.js"

const port = Options.integer("port").pipe(Options.withDefault(8787), Options.withDescription("port on 127.0.0.1 (0: random)"))
const org = Options.text("org").pipe(Options.withDefault("acme-corp"))
const token = Options.text("token").pipe(Options.withDefault("ghp_simulated_token"), Options.withDescription("the token clients must send as Bearer"))
const repos = Options.integer("repos").pipe(Options.withDefault(60))
const members = Options.integer("members").pipe(Options.withDefault(50))
const teams = Options.integer("teams").pipe(Options.withDefault(8))
const outside = Options.integer("outside-collaborators").pipe(Options.withDefault(6))
const events = Options.integer("events").pipe(Options.withDefault(500))
const seed = Options.integer("seed").pipe(Options.withDefault(42))
const latencyMs = Options.integer("latency-ms").pipe(Options.withDefault(0))
const jitterMs = Options.integer("latency-jitter-ms").pipe(Options.withDefault(0))
const errorRate = Options.float("error-rate").pipe(Options.withDefault(0), Options.withDescription("share of requests answered 5xx"))
const malformedRate = Options.float("malformed-rate").pipe(Options.withDefault(0), Options.withDescription("share of pages with truncated JSON"))
const secondaryRate = Options.float("secondary-rate-limit-rate").pipe(Options.withDefault(0))
const rateLimit = Options.integer("rate-limit").pipe(Options.optional, Options.withDescription("budget per window and resource"))
const rateWindow = Options.integer("rate-window-s").pipe(Options.withDefault(3600))
const maxConcurrency = Options.integer("max-concurrency").pipe(Options.withDefault(100))
const basePermission = Options.choice("base-permission", ["none", "read", "write", "admin"]).pipe(
  Options.optional,
  Options.withDescription("the org's base repository permission (default: picked from the seed)")
)
const noAuditLog = Options.boolean("no-audit-log").pipe(Options.withDescription("answer 404 on the audit log, like a non-Enterprise org"))
const tokenNotOwner = Options.boolean("token-not-owner").pipe(
  Options.withDescription("the token belongs to a member who is not an owner: the audit log answers 404, as GitHub does")
)

const secondaryBare = Options.float("secondary-without-retry-after-share").pipe(
  Options.withDefault(0),
  Options.withDescription("share of secondary-limit answers sent without retry-after")
)
const tokenScopes = Options.text("token-scopes").pipe(
  Options.withDefault("admin:org,read:audit_log,repo"),
  Options.withDescription("the token's scopes, comma-separated (a missing one is refused as GitHub does)")
)
const appId = Options.text("app-id").pipe(Options.optional, Options.withDescription("a GitHub App installed in the org: its id"))
const installationId = Options.text("installation-id").pipe(Options.withDefault("1"), Options.withDescription("the app's installation id"))
const appPublicKey = Options.file("app-public-key-file").pipe(Options.optional, Options.withDescription("the app's public key (PEM)"))
const appTokenLifetime = Options.integer("app-token-lifetime-s").pipe(Options.withDefault(3600), Options.withDescription("installation token lifetime"))
const liveEvents = Options.float("live-events-per-sec").pipe(
  Options.withDefault(0),
  Options.withDescription("live mode: audit events appended per second while the simulator runs")
)
const liveChanges = Options.float("live-changes-per-min").pipe(
  Options.withDefault(0),
  Options.withDescription("live mode: access changes (grants added, removed, changed) per minute, made through the same paths as the API's writes")
)
const liveSeed = Options.integer("live-seed").pipe(Options.optional, Options.withDescription("live mode's seed (default: derived from --seed)"))

const options = Options.all({
  port,
  org,
  token,
  repos,
  members,
  teams,
  outside,
  events,
  seed,
  latencyMs,
  jitterMs,
  errorRate,
  malformedRate,
  secondaryRate,
  rateLimit,
  rateWindow,
  maxConcurrency,
  basePermission,
  noAuditLog,
  tokenNotOwner,
  secondaryBare,
  tokenScopes,
  appId,
  installationId,
  appPublicKey,
  appTokenLifetime,
  liveEvents,
  liveChanges,
  liveSeed
})

/**
 * The demo's org (`npm start`): teams, outside collaborators and a base permission like the default org
 * of `simulate github`, at a quarter of its grants (554, not 2,170), so the demo's pull takes seconds.
 */
export const demoOrg = { seed: 42, repos: 15, members: 15, teams: 4, outsideCollaborators: 3 } as const

const demoChanges = () => {
  const n = Number(process.env["VERITY_DEMO_CHANGES"] ?? 0)
  return Number.isInteger(n) && n > 0 ? n : 0
}

export const githubSimulator = defineSimulator({
  description: "Serve a simulator of GitHub's REST and GraphQL APIs (deterministic from --seed, with fault injection)",
  options,
  serve: (o) =>
    Effect.gen(function*() {
      const publicKey = Option.isSome(o.appPublicKey)
        ? Option.some(yield* Effect.sync(() => readFileSync(o.appPublicKey.pipe(Option.getOrElse(() => "")), "utf8")))
        : Option.none<string>()
      if (Option.isSome(o.appId) !== Option.isSome(publicKey)) {
        yield* Effect.logWarning("GitHub App: --app-id and --app-public-key-file go together; no app is served")
      }
      const sim = yield* startGitHubSimulator({
        port: o.port,
        org: o.org,
        token: o.token,
        repos: o.repos,
        members: o.members,
        teams: o.teams,
        outsideCollaborators: o.outside,
        events: o.events,
        seed: o.seed,
        latencyMs: o.latencyMs,
        latencyJitterMs: o.jitterMs,
        errorRate: o.errorRate,
        malformedRate: o.malformedRate,
        secondaryRateLimitRate: o.secondaryRate,
        secondaryWithoutRetryAfterShare: o.secondaryBare,
        ...(Option.isSome(o.appId) && Option.isSome(publicKey)
          ? { app: { appId: o.appId.value, installationId: o.installationId, publicKey: publicKey.value, tokenLifetimeSeconds: o.appTokenLifetime } }
          : {}),
        tokenScopes: o.tokenScopes.split(",").map((x) => x.trim()).filter((x) => x.length > 0),
        ...Option.match(o.rateLimit, {
          onNone: () => ({}),
          onSome: (limit) => ({ rateLimit: { limit, windowSeconds: o.rateWindow } })
        }),
        maxConcurrency: o.maxConcurrency,
        ...Option.match(o.basePermission, { onNone: () => ({}), onSome: (basePermission) => ({ basePermission }) }),
        auditLogEnabled: !o.noAuditLog,
        tokenOwner: !o.tokenNotOwner,
        ...(o.liveEvents > 0 || o.liveChanges > 0
          ? {
            live: {
              eventsPerSec: o.liveEvents,
              changesPerMin: o.liveChanges,
              ...Option.match(o.liveSeed, { onNone: () => ({}), onSome: (seed) => ({ seed }) })
            }
          }
          : {})
      })
      yield* Effect.logInfo(`GitHub simulator for org ${sim.org} listening on ${sim.url}`).pipe(
        Effect.annotateLogs({ url: sim.url, org: sim.org })
      )
      // printing the simulator's own token is the point of this command: clients need it
      yield* Effect.logInfo(`export VERITY_GITHUB_API_URL=${sim.url} VERITY_GITHUB_ORG=${sim.org} VERITY_GITHUB_TOKEN=${sim.token}`)
      yield* Effect.logInfo(`ground truth: ${sim.url}/_simulator/truth/grants and ${sim.url}/_simulator/truth/events`)
      yield* Effect.logInfo(`counters: GET ${sim.url}/_simulator/stats, POST ${sim.url}/_simulator/reset-stats`)
      yield* Effect.logInfo(`invitations: GET ${sim.url}/_simulator/invitations, POST ${sim.url}/_simulator/invitations/{id}/accept`)
      if (o.liveEvents > 0 || o.liveChanges > 0) {
        yield* Effect.logInfo(`live mode: ${o.liveEvents} events/s, ${o.liveChanges} changes/min (GET ${sim.url}/_simulator/live)`)
      }
    }),
  // VERITY_DEMO_CHANGES=n: n seeded access changes before the demo's run, so a second `npm start` shows drift
  demo: startGitHubSimulator({ ...demoOrg, changesAtStart: demoChanges() }).pipe(
    Effect.map((sim) => ({ url: sim.url, settings: { org: sim.org, token: sim.token, apiUrl: sim.url } }))
  ),
  liveDemo: startGitHubSimulator({ ...demoOrg, live: { eventsPerSec: 2, changesPerMin: 12 } }).pipe(
    Effect.map((sim) => ({ url: sim.url, settings: { org: sim.org, token: sim.token, apiUrl: sim.url } }))
  )
})
