/**
 * What a pipeline run may be told: batch sizes and windows, read-ahead, dedup memory, retries, progress
 * logs, the audit-driven refresh.
 */
import type { Duration } from "effect"
import { defaultDedupCapacity } from "./Dedup.js"

export interface PipelineOptions {
  /** records per publish */
  readonly batchSize: number
  /**
   * batches published at once (acknowledged in any order); checkpoints are still saved in order, each
   * only once every earlier batch is acknowledged. Default 1: the bench showed no gain from more on a
   * CPU-bound pipeline, and a crash or takeover replays up to this many batches per stream
   */
  readonly inFlight: number
  /** a partial batch is published after this long */
  readonly batchWindow: Duration.DurationInput
  /** keys the dedup remembers (memory stays flat past it) */
  readonly dedupCapacity: number
  /**
   * records read ahead of publishing, so fetching overlaps publishing; bounds memory. Read-ahead is
   * counted in connector pages (chunks) of up to 100 records: buffering per record costs a handoff each.
   */
  readonly prefetch: number
  /** retries of a refused or timed-out publish, and of a failed checkpoint save */
  readonly publishRetry: { readonly times: number; readonly base: Duration.DurationInput; readonly cap: Duration.DurationInput }
  /** how often a long run logs its progress */
  readonly progressEvery: Duration.DurationInput
  /** the audit-driven refresh (docs/access-over-time.md); absent means `defaultRefreshOptions` */
  readonly refresh?: RefreshOptions
}

export interface RefreshOptions {
  /** re-read the grants an access-changing audit event touched, without waiting for the next snapshot */
  readonly enabled: boolean
  /** after the first request, wait this long for more before re-reading (many events, one refresh) */
  readonly debounce: Duration.DurationInput
  /**
   * how often the refresher looks for requests another runner's audit stream queued (this process's
   * wake it at once); absent means `defaultRefreshPoll`
   */
  readonly poll?: Duration.DurationInput
}

export const defaultRefreshPoll: Duration.DurationInput = "1 second"

export const defaultRefreshOptions: RefreshOptions = { enabled: true, debounce: "2 seconds" }

export const defaultPipelineOptions: PipelineOptions = {
  batchSize: 500,
  inFlight: 1,
  batchWindow: "1 second",
  dedupCapacity: defaultDedupCapacity,
  prefetch: 1000,
  publishRetry: { times: 8, base: "500 millis", cap: "30 seconds" },
  progressEvery: "10 seconds"
}
