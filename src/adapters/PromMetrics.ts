/**
 * The `Metrics` service on prom-client: one registry per program (never the library's global one, so
 * two programs in one process, or two tests, do not count into each other), exposed in the Prometheus
 * text format by the library. Checkpoint lag is computed when scraped, from the last known position.
 */
import { Clock, Effect, Layer } from "effect"
import { Counter, Gauge, Histogram, Registry } from "prom-client"
import { Metrics, type MetricsShape, type RateBudget } from "../services/Metrics.js"

const streamLabels = ["connector", "platform", "stream"] as const
const recordLabels = ["connector", "platform", "stream", "kind"] as const
const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

const header = (headers: Readonly<Record<string, string | undefined>>, name: string): number | undefined => {
  const raw = headers[name]
  if (raw === undefined || raw.trim() === "") return undefined
  const n = Number(raw)
  return Number.isFinite(n) ? n : undefined
}

export const makePromMetrics = Effect.sync((): MetricsShape => {
  const registry = new Registry()
  const registers = [registry]
  const published = new Counter({
    name: "verity_records_published_total",
    help: "Records acknowledged by the sink, by connector, stream and kind",
    labelNames: recordLabels,
    registers
  })
  const deadLetters = new Counter({
    name: "verity_dead_letters_total",
    help: "Records dead-lettered (undecodable or not normalisable), by connector, stream and kind",
    labelNames: recordLabels,
    registers
  })
  const duplicates = new Counter({
    name: "verity_duplicates_total",
    help: "Audit events dropped as already published, by connector, stream and kind",
    labelNames: recordLabels,
    registers
  })
  const publishLatency = new Histogram({
    name: "verity_publish_duration_seconds",
    help: "Time from handing a batch to the sink to its acknowledgement",
    labelNames: streamLabels,
    buckets: latencyBuckets,
    registers
  })
  const saveLatency = new Histogram({
    name: "verity_checkpoint_save_duration_seconds",
    help: "Time to save a checkpoint",
    labelNames: streamLabels,
    buckets: latencyBuckets,
    registers
  })
  const requests = new Counter({
    name: "verity_source_requests_total",
    help: "Requests to a platform's API (each attempt), by connector and HTTP status",
    labelNames: ["connector", "status"] as const,
    registers
  })
  const rateRemaining = new Gauge({
    name: "verity_rate_limit_remaining",
    help: "Requests left in the platform's rate budget, as its last answer said",
    labelNames: ["connector", "key"] as const,
    registers
  })
  const runs = new Counter({
    name: "verity_runs_total",
    help: "Stream runs ended, by connector, stream and outcome",
    labelNames: ["connector", "platform", "stream", "outcome"] as const,
    registers
  })
  const refreshes = new Counter({
    name: "verity_refreshes_total",
    help: "Audit-driven refresh rounds ended, by connector and outcome (complete, snapshot: an org-wide change ran a snapshot instead, failed)",
    labelNames: ["connector", "platform", "outcome"] as const,
    registers
  })
  const lastSuccess = new Gauge({
    name: "verity_last_success_timestamp_seconds",
    help: "When the stream's last run completed (Unix time)",
    labelNames: streamLabels,
    registers
  })
  const positions = new Map<string, { readonly labels: Record<(typeof streamLabels)[number], string>; readonly at: number }>()
  new Gauge({
    name: "verity_checkpoint_lag_seconds",
    help: "How far the stream's checkpoint is behind now (audit: the last published event's time; permissions: the last complete snapshot's)",
    labelNames: streamLabels,
    registers,
    collect() {
      const now = Date.now()
      this.reset()
      for (const { labels, at } of positions.values()) this.set(labels, Math.max(0, (now - at) / 1000))
    }
  })
  const budgets = new Map<string, RateBudget>()

  return {
    batch: (labels, kind, counts) =>
      Effect.sync(() => {
        const l = { ...labels, kind }
        if (counts.published > 0) published.inc(l, counts.published)
        if (counts.deadLettered > 0) deadLetters.inc(l, counts.deadLettered)
        if (counts.duplicates > 0) duplicates.inc(l, counts.duplicates)
        // a series that exists at 0 lets an alert tell "nothing yet" from "not running"
        published.inc(l, 0)
      }),
    publishLatency: (labels, seconds) => Effect.sync(() => publishLatency.observe({ ...labels }, seconds)),
    checkpointSaveLatency: (labels, seconds) => Effect.sync(() => saveLatency.observe({ ...labels }, seconds)),
    sourceResponse: (response) =>
      Effect.gen(function*() {
        const connector = response.connector ?? "unknown"
        requests.inc({ connector, status: String(response.status) })
        const remaining = header(response.headers, "x-ratelimit-remaining")
        if (remaining === undefined) return
        rateRemaining.set({ connector, key: response.key }, remaining)
        const reset = header(response.headers, "x-ratelimit-reset")
        budgets.set(`${connector}\u0000${response.key}`, {
          connector,
          key: response.key,
          remaining,
          limit: header(response.headers, "x-ratelimit-limit"),
          resetAt: reset === undefined ? undefined : reset * 1000,
          observedAt: yield* Clock.currentTimeMillis
        })
      }),
    runEnded: (labels, outcome, at, position) =>
      Effect.sync(() => {
        runs.inc({ ...labels, outcome })
        if (outcome === "complete") lastSuccess.set({ ...labels }, at / 1000)
        if (position !== undefined) positions.set(`${labels.connector}\u0000${labels.stream}`, { labels: { ...labels }, at: position })
      }),
    refreshEnded: (labels, outcome) => Effect.sync(() => refreshes.inc({ connector: labels.connector, platform: labels.platform, outcome })),
    rateBudgets: Effect.sync(() => Array.from(budgets.values())),
    exposition: Effect.promise(() => registry.metrics()).pipe(
      Effect.map((text) => ({ contentType: registry.contentType, text }))
    )
  }
})

/** Prometheus metrics for the program's life. */
export const promMetricsLayer = Layer.effect(Metrics, makePromMetrics)
