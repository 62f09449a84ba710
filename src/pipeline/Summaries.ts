/** What a run reports: per stream, and per connector cycle (what the CLI's summary prints). */
import type { Option } from "effect"
import type { Checkpoint, CheckpointStream } from "../domain/Checkpoint.js"

export interface StreamSummary {
  /** the run's record (`RunStore`); a permissions run's id is its snapshot id */
  readonly runId: string
  readonly stream: CheckpointStream
  /** events or snapshots acknowledged by the sink */
  readonly published: number
  readonly duplicates: number
  readonly deadLettered: number
  readonly batches: number
  readonly checkpointBefore: Option.Option<Checkpoint>
  readonly checkpointAfter: Option.Option<Checkpoint>
  readonly durationMs: number
}

export interface ConnectorSummary {
  readonly connectorId: string
  readonly platform: string
  readonly snapshots: number
  readonly events: number
  readonly duplicates: number
  readonly deadLettered: number
  /** the audit stream's checkpoint before and after the run */
  readonly checkpointBefore: Option.Option<Checkpoint>
  readonly checkpointAfter: Option.Option<Checkpoint>
  readonly durationMs: number
  /** one line per stream that failed; empty when the run succeeded */
  readonly errors: ReadonlyArray<string>
}
