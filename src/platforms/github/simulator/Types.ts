/** The GitHub simulator's options and what it hands back: its URL, its ground truth, its counters. */
import type { Effect } from "effect"
import type { AppOptions } from "./AppTokens.js"

export interface GitHubSimulatorOptions {
  readonly port?: number
  readonly org?: string
  readonly token?: string
  readonly repos?: number
  readonly members?: number
  readonly teams?: number
  readonly outsideCollaborators?: number
  readonly events?: number
  /** audit entries with wrong field types (`@timestamp` as a string); not in the truth */
  readonly badEvents?: number
  readonly seed?: number
  /** the org's base permission; by default picked from the seed */
  readonly basePermission?: "none" | "read" | "write" | "admin"
  readonly latencyMs?: number
  readonly latencyJitterMs?: number
  /** share of requests answered with a 5xx */
  readonly errorRate?: number
  /** share of 200 GET pages whose JSON is truncated */
  readonly malformedRate?: number
  /** share of requests refused with a secondary limit (403 or 429, `retry-after`) */
  readonly secondaryRateLimitRate?: number
  /** share of secondary-limit answers sent without `retry-after` (GitHub sometimes omits it; default 0) */
  readonly secondaryWithoutRetryAfterShare?: number
  /** GraphQL partial errors: these repositories resolve to null with an error (`times` queries each, default 1) */
  readonly graphqlPartialErrors?: { readonly repos: ReadonlyArray<string>; readonly times?: number }
  /** logins whose GraphQL `permissionSources` answer null (the schema allows it) */
  readonly nullPermissionSources?: ReadonlyArray<string>
  /** a GitHub App installed in the org: installation tokens beside the personal token (15,000/h) */
  readonly app?: AppOptions
  /** the classic token's scopes (default admin:org, read:audit_log, repo); a missing one is refused as GitHub does */
  readonly tokenScopes?: ReadonlyArray<string>
  /** seconds a secondary limit asks to wait (default 1) */
  readonly retryAfterSeconds?: number
  /** primary budget per resource (REST requests; GraphQL points) and its window */
  readonly rateLimit?: { readonly limit: number; readonly windowSeconds: number }
  /**
   * GitHub's secondary limits on points (defaults GitHub's: 900 points/min per REST endpoint, GET/HEAD 1
   * and writes 5; 2,000 GraphQL points/min). A shorter window with smaller budgets lets a test run in seconds.
   */
  readonly secondaryLimits?: {
    readonly restPointsPerEndpoint?: number
    readonly graphqlPoints?: number
    /** writes (content creation) per window across endpoints (default 80, GitHub's a minute) */
    readonly contentCreation?: number
    readonly windowSeconds?: number
  }
  /** requests in flight above this are refused with a secondary limit (default 100, GitHub's) */
  readonly maxConcurrency?: number
  /** false: the classic token belongs to a member who is not an owner (the audit log answers 404, as GitHub does) */
  readonly tokenOwner?: boolean
  /** false: the audit log answers 404, like an org not on Enterprise Cloud */
  readonly auditLogEnabled?: boolean
  /** epoch ms of the newest seeded audit event (default: the start of the current UTC day, so dates follow the clock) */
  readonly historyEndsAt?: number
  /**
   * Seeded access changes (the same writes live mode makes, each audited) applied before the simulator
   * serves: the demo's `VERITY_DEMO_CHANGES` uses it, so a second `npm start` shows drift.
   */
  readonly changesAtStart?: number
  /** live mode: audit events and access changes keep coming while the simulator runs */
  readonly live?: LiveOptions
}

/** A pending invitation, as the simulator's own endpoint lists it. */
export interface PendingInvitation {
  readonly id: number
  /** "" for an org invitation by email */
  readonly login: string
  /** the address of an org invitation by email */
  readonly email?: string
  /** `owner/repo` for a repository invitation */
  readonly repo?: string
  /** the role for an org invitation */
  readonly role?: "admin" | "member"
}

export interface LiveOptions {
  /** audit events appended per second (0: none) */
  readonly eventsPerSec?: number
  /** access changes made per minute (0: none) */
  readonly changesPerMin?: number
  /** seed of live mode's PRNG (default: derived from the simulator's seed) */
  readonly seed?: number
}

/** What live mode has done so far. */
export interface LiveCounters {
  events: number
  changes: number
}

export interface RequestLogEntry {
  /** epoch ms the request arrived */
  readonly at: number
  /** epoch ms the response was sent */
  readonly finishedAt: number
  readonly method: string
  readonly path: string
  readonly status: number
  readonly resource: string
  /** the `retry-after` sent, in seconds */
  readonly retryAfter?: number
  readonly conditional: boolean
}

export interface SimulatorStats {
  readonly requests: number
  /** 403/429 answers for primary or secondary rate limits (and GraphQL RATE_LIMITED) */
  readonly rateLimitedResponses: number
  /** of those, secondary limits: too many in flight, over the points per endpoint or GraphQL, or injected */
  readonly secondaryLimitedResponses: number
  /** rate budget spent, all resources: REST requests + GraphQL points (304s are free) */
  readonly budgetSpent: number
  readonly budgetByResource: Readonly<Record<string, number>>
  readonly notModified: number
  readonly serverErrors: number
  readonly malformed: number
  /** secondary-limit points of the requests served, per endpoint (`GET /repos/{owner}/{repo}/collaborators`; GraphQL is `POST /graphql`) */
  readonly secondaryPointsByEndpoint: Readonly<Record<string, number>>
  /** the secondary limits enforced: points per window on each REST endpoint and on GraphQL */
  readonly secondaryLimits: { readonly restPointsPerEndpoint: number; readonly graphqlPoints: number; readonly windowSeconds: number }
}

export interface GitHubSimulator {
  /** base URL, no trailing slash */
  readonly url: string
  readonly token: string
  readonly org: string
  readonly truthGrants: Effect.Effect<ReadonlyArray<TruthGrant>>
  readonly truthEvents: Effect.Effect<ReadonlyArray<TruthEvent>>
  readonly requestLog: Effect.Effect<ReadonlyArray<RequestLogEntry>>
  /** invitations waiting for their invitee (outside collaborators, people invited to the org) */
  readonly pendingInvitations: Effect.Effect<ReadonlyArray<PendingInvitation>>
  /** the invitee accepts: the grant or membership takes effect (false: no such invitation) */
  readonly acceptInvitation: (id: number) => Effect.Effect<boolean>
  /** someone pushes to the repository: its `pushed_at` and `updated_at` move, and so do the ETags of every list that carries it (false: no such repository) */
  readonly push: (repo: string) => Effect.Effect<boolean>
  /** what live mode has done so far */
  readonly live: Effect.Effect<LiveCounters>
  /** live mode stops (no more events or changes): the truth holds still from here (a quiesce point) */
  readonly stopLive: Effect.Effect<void>
  /** append `n` audit events stamped now; returns them in wire format */
  readonly addAuditEvents: (n: number) => Effect.Effect<ReadonlyArray<TruthEvent>>
  readonly stats: Effect.Effect<SimulatorStats>
  /** zero the counters and the request log (e.g. between two pulls) */
  readonly resetStats: Effect.Effect<void>
  /** change fault injection at run time */
  readonly setFaults: (
    faults: Partial<Pick<GitHubSimulatorOptions, "errorRate" | "malformedRate" | "secondaryRateLimitRate" | "secondaryWithoutRetryAfterShare" | "latencyMs" | "latencyJitterMs">>
  ) => Effect.Effect<void>
}

/** A grant in the wire format (snapshot without `snapshot_at`). */
export interface TruthGrant {
  readonly platform: "github"
  readonly principal_ref: string
  readonly asset_ref: string
  readonly privilege: string
  readonly grant_mechanism: "direct" | "group" | "role"
}

export interface TruthEvent {
  readonly platform: "github"
  readonly event_id: string
  readonly occurred_at: string
  readonly principal_ref: string
  readonly asset_ref: string
  readonly operation: string
  readonly operation_category: string
  readonly operation_verb: string
  readonly raw_payload: unknown
}
