/**
 * What the pipeline and the connectors' HTTP client report for monitoring: records published, dead
 * letters and duplicates; publish and checkpoint-save latencies; source requests by status; the rate
 * budget left; when each stream last succeeded and how far its checkpoint lags. The Prometheus
 * implementation lives in `adapters/PromMetrics.ts`; without it (tests, embedding programs that do not
 * serve metrics) every report is a no-op, so the pipeline never needs it in its requirements.
 */
import { Context, Duration, Effect } from "effect"
import type { CheckpointStream } from "../domain/Checkpoint.js"

export type RecordKind = "event" | "snapshot"

export interface StreamLabels {
  readonly connector: string
  readonly platform: string
  readonly stream: CheckpointStream
}

/** What the platform said about the rate budget on its last answer to a connector. */
export interface RateBudget {
  readonly connector: string
  /** the limiter's key (one per token and API resource) */
  readonly key: string
  readonly remaining: number
  readonly limit: number | undefined
  /** epoch ms when the budget resets, when the platform says */
  readonly resetAt: number | undefined
  /** epoch ms of the answer */
  readonly observedAt: number
}

export interface SourceResponse {
  readonly connector: string | undefined
  readonly key: string
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
}

export interface MetricsShape {
  /** One acknowledged batch's counts. */
  readonly batch: (
    labels: StreamLabels,
    kind: RecordKind,
    counts: { readonly published: number; readonly deadLettered: number; readonly duplicates: number }
  ) => Effect.Effect<void>
  readonly publishLatency: (labels: StreamLabels, seconds: number) => Effect.Effect<void>
  readonly checkpointSaveLatency: (labels: StreamLabels, seconds: number) => Effect.Effect<void>
  /** One answer from a platform's API (every attempt, retries included). */
  readonly sourceResponse: (response: SourceResponse) => Effect.Effect<void>
  /** A run ended; `position` is the checkpoint's time (epoch ms) after it, when it has one. */
  readonly runEnded: (
    labels: StreamLabels,
    outcome: "complete" | "failed",
    at: number,
    position: number | undefined
  ) => Effect.Effect<void>
  /**
   * An audit-driven refresh round ended: `complete` (its assets re-read and diffed), `snapshot` (an
   * org-wide change asked for a full snapshot instead) or `failed`.
   */
  readonly refreshEnded: (
    labels: { readonly connector: string; readonly platform: string },
    outcome: "complete" | "snapshot" | "failed"
  ) => Effect.Effect<void>
  /** The last rate budget each connector's API reported. */
  readonly rateBudgets: Effect.Effect<ReadonlyArray<RateBudget>>
  /** The Prometheus text exposition, and its content type. */
  readonly exposition: Effect.Effect<{ readonly contentType: string; readonly text: string }>
}

export const noopMetrics: MetricsShape = {
  batch: () => Effect.void,
  publishLatency: () => Effect.void,
  checkpointSaveLatency: () => Effect.void,
  sourceResponse: () => Effect.void,
  runEnded: () => Effect.void,
  refreshEnded: () => Effect.void,
  rateBudgets: Effect.succeed([]),
  exposition: Effect.succeed({ contentType: "text/plain; version=0.0.4; charset=utf-8", text: "" })
}

export class Metrics extends Context.Reference<Metrics>()("verity/Metrics", {
  defaultValue: (): MetricsShape => noopMetrics
}) {}

/** Run `effect` and report how long it took, in seconds, once it succeeded. */
export const timed = <A, E, R>(effect: Effect.Effect<A, E, R>, report: (seconds: number) => Effect.Effect<void>) =>
  Effect.timed(effect).pipe(
    Effect.flatMap(([duration, a]) => report(Duration.toSeconds(duration)).pipe(Effect.as(a)))
  )
