/**
 * The record of every stream run (see `domain/Run.ts`). Implementations: memory (tests) and SQL
 * (PostgreSQL, or the embedded PGlite, beside the checkpoints).
 */
import { Context, Effect, Layer, Option, Ref } from "effect"
import type { CheckpointStream } from "../domain/Checkpoint.js"
import type { CheckpointError } from "../domain/Errors.js"
import { RunRecord, type RunResult } from "../domain/Run.js"

export interface RunStart {
  readonly connectorId: string
  readonly platform: string
  readonly stream: CheckpointStream
}

export interface RunFilter {
  readonly connectorId?: string
  readonly stream?: CheckpointStream
  /** newest first, at most this many (default 20) */
  readonly limit?: number
}

/** Which process runs the pipeline; the app provides `host:pid`, a cluster runner its address. */
export class RunnerName extends Context.Reference<RunnerName>()("verity/RunnerName", {
  defaultValue: () => "local"
}) {}

export class RunStore extends Context.Tag("verity/RunStore")<RunStore, {
  /** Record a run as started by `runner`; returns it with its new id. */
  readonly start: (run: RunStart, runner: string) => Effect.Effect<RunRecord, CheckpointError>
  readonly finish: (runId: string, result: RunResult) => Effect.Effect<void, CheckpointError>
  /** Runs, newest first. */
  readonly list: (filter?: RunFilter) => Effect.Effect<ReadonlyArray<RunRecord>, CheckpointError>
}>() {
  static readonly memory: Layer.Layer<RunStore> = Layer.effect(
    RunStore,
    Ref.make<ReadonlyArray<RunRecord>>([]).pipe(Effect.map((runs) => makeMemory(runs)))
  )
}

export const matchesFilter = (filter: RunFilter) => (run: RunRecord): boolean =>
  (filter.connectorId === undefined || run.connectorId === filter.connectorId) &&
  (filter.stream === undefined || run.stream === filter.stream)

const makeMemory = (runs: Ref.Ref<ReadonlyArray<RunRecord>>) =>
  RunStore.of({
    start: (run, runner) =>
      Effect.sync(() =>
        new RunRecord({
          ...run,
          runId: crypto.randomUUID(),
          runner,
          startedAt: new Date(),
          finishedAt: Option.none(),
          outcome: "running",
          published: 0,
          deadLettered: 0,
          duplicates: 0,
          error: Option.none()
        })
      ).pipe(Effect.tap((record) => Ref.update(runs, (all) => [record, ...all]))),
    finish: (runId, result) =>
      Ref.update(runs, (all) =>
        all.map((r) =>
          r.runId !== runId ? r : new RunRecord({
            ...r,
            finishedAt: Option.some(new Date()),
            outcome: result.outcome,
            published: result.published,
            deadLettered: result.deadLettered,
            duplicates: result.duplicates,
            error: Option.fromNullable(result.error)
          })
        )),
    list: (filter = {}) => Ref.get(runs).pipe(Effect.map((all) => all.filter(matchesFilter(filter)).slice(0, filter.limit ?? 20)))
  })
