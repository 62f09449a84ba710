/**
 * One run of a connector's stream: a permission snapshot or an audit pull. Each run is recorded when it
 * starts and again when it ends, with the process that ran it, so an operator (and the status API) can
 * see what ran where, and a run that never finished (its process died) stays `running` without a
 * `finishedAt`. A permissions run's id is its snapshot id.
 */
import { Schema } from "effect"
import { CheckpointStream } from "./Checkpoint.js"

export const RunOutcome = Schema.Literal("running", "complete", "failed")
export type RunOutcome = typeof RunOutcome.Type

export class RunRecord extends Schema.Class<RunRecord>("RunRecord")({
  runId: Schema.NonEmptyString,
  connectorId: Schema.String,
  platform: Schema.String,
  stream: CheckpointStream,
  /** the process that ran it (`host:pid`, or the cluster runner's address) */
  runner: Schema.String,
  startedAt: Schema.DateFromSelf,
  finishedAt: Schema.OptionFromSelf(Schema.DateFromSelf),
  outcome: RunOutcome,
  /** records acknowledged by the sink */
  published: Schema.Number,
  deadLettered: Schema.Number,
  duplicates: Schema.Number,
  /** why a failed run failed */
  error: Schema.OptionFromSelf(Schema.String)
}) {}

/** How a run ended, as the pipeline reports it. */
export interface RunResult {
  readonly outcome: Exclude<RunOutcome, "running">
  readonly published: number
  readonly deadLettered: number
  readonly duplicates: number
  readonly error?: string
}
