/**
 * A connector's status as the API answers it, from what the program keeps: the configured schedule, the
 * run records (`RunStore`), the stored checkpoints, the scheduler's next runs (`RunTriggers`) and the
 * rate budgets the platforms last reported (`Metrics`). A stream is `stalled` when it has had no
 * success for twice its schedule (since its last success, or since the program started).
 */
import { Clock, Context, Duration, Effect, Option } from "effect"
import type { CheckpointStream } from "../../domain/Checkpoint.js"
import type { RunRecord } from "../../domain/Run.js"
import { CheckpointStore, type StoredCheckpoint } from "../../services/CheckpointStore.js"
import { Metrics, type RateBudget } from "../../services/Metrics.js"
import { RunStore } from "../../services/RunStore.js"
import { RunTriggers } from "../../services/RunTriggers.js"
import type { ConnectorConfig } from "../AppConfig.js"
import type { ConnectorStatus, RunView } from "./Api.js"

/** What the API serves: the configured connectors, when this process started, and its runner name. */
export class Served extends Context.Tag("verity/api/Served")<Served, {
  readonly connectors: ReadonlyArray<ConnectorConfig>
  readonly startedAt: number
  readonly runner: string
}>() {}

const streams: ReadonlyArray<CheckpointStream> = ["permissions", "audit"]
const iso = (ms: number) => new Date(ms).toISOString()

export const runView = (r: RunRecord): RunView => ({
  run_id: r.runId,
  stream: r.stream,
  runner: r.runner,
  started_at: r.startedAt.toISOString(),
  finished_at: Option.match(r.finishedAt, { onNone: () => null, onSome: (d) => d.toISOString() }),
  outcome: r.outcome,
  published: r.published,
  dead_lettered: r.deadLettered,
  duplicates: r.duplicates,
  duration_ms: Option.match(r.finishedAt, { onNone: () => null, onSome: (d) => d.getTime() - r.startedAt.getTime() }),
  error: Option.getOrNull(r.error)
})

const budgetView = (b: RateBudget) => ({
  key: b.key,
  remaining: b.remaining,
  limit: b.limit ?? null,
  reset_at: b.resetAt === undefined ? null : iso(b.resetAt),
  observed_at: iso(b.observedAt)
})

const worst = (hs: ReadonlyArray<"ok" | "starting" | "stalled">) =>
  hs.includes("stalled") ? "stalled" as const : hs.includes("starting") ? "starting" as const : "ok" as const

export const connectorStatus = (
  connector: ConnectorConfig,
  checkpoints: ReadonlyArray<StoredCheckpoint>,
  budgets: ReadonlyArray<RateBudget>
) =>
  Effect.gen(function*() {
    const served = yield* Served
    const runStore = yield* RunStore
    const triggers = yield* RunTriggers
    const now = yield* Clock.currentTimeMillis
    const perStream = yield* Effect.forEach(streams, (stream) =>
      Effect.gen(function*() {
        const runs = yield* runStore.list({ connectorId: connector.id, stream, limit: 20 })
        const interval = Duration.toMillis(connector.schedule[stream])
        const lastSuccess = runs.find((r) => r.outcome === "complete" && Option.isSome(r.finishedAt))
        const lastSuccessAt = lastSuccess === undefined ? undefined : Option.getOrThrow(lastSuccess.finishedAt).getTime()
        const lastFailure = runs.find((r) => r.outcome === "failed")
        const since = lastSuccessAt ?? served.startedAt
        const health = now - since <= 2 * interval ? (lastSuccessAt === undefined ? "starting" as const : "ok" as const) : "stalled" as const
        const stored = checkpoints.find((c) => c.connectorId === connector.id && c.stream === stream)
        const next = yield* triggers.nextRun(connector.id, stream)
        return {
          stream,
          schedule_seconds: interval / 1000,
          health,
          running: runs[0]?.outcome === "running",
          next_run_at: Option.match(next, { onNone: () => null, onSome: iso }),
          last_success_at: lastSuccessAt === undefined ? null : iso(lastSuccessAt),
          last_error: lastFailure === undefined ? null : {
            message: Option.getOrElse(lastFailure.error, () => "failed"),
            at: Option.getOrElse(lastFailure.finishedAt, () => lastFailure.startedAt).toISOString()
          },
          checkpoint: stored === undefined ? null : {
            position: stored.checkpoint.timestamp === undefined ? null : iso(stored.checkpoint.timestamp),
            description: stored.checkpoint.describe(),
            count: stored.checkpoint.count,
            updated_at: stored.updatedAt.toISOString()
          },
          last_runs: runs.slice(0, 10).map(runView),
          latest: runs[0]
        }
      }))
    const latest = perStream.flatMap((s) => (s.latest === undefined ? [] : [s.latest]))
      .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())[0]
    return {
      id: connector.id,
      platform: connector.platform,
      health: worst(perStream.map((s) => s.health)),
      runner: latest?.runner ?? null,
      streams: perStream.map(({ latest: _, ...s }) => s),
      rate_budget: budgets.filter((b) => b.connector === connector.id).map(budgetView)
    } satisfies ConnectorStatus
  })

/** Every configured connector's status (one read of the checkpoints and budgets for all). */
export const allStatuses = Effect.gen(function*() {
  const served = yield* Served
  const checkpoints = yield* Effect.flatMap(CheckpointStore, (s) => s.list)
  const budgets = yield* Effect.flatMap(Metrics, (m) => m.rateBudgets)
  return yield* Effect.forEach(served.connectors, (c) => connectorStatus(c, checkpoints, budgets), { concurrency: 4 })
})
