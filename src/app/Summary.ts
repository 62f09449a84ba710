/** The readable summary of one cycle (what `run --once` and the demo print). */
import { Effect, Option } from "effect"
import { JsonlSinkStats } from "../adapters/JsonlSink.js"
import type { Checkpoint } from "../domain/Checkpoint.js"
import type { ConnectorSummary } from "../pipeline/Summaries.js"

const describeCheckpoint = (cp: Option.Option<Checkpoint>) => Option.match(cp, { onNone: () => "(start)", onSome: (c) => c.describe() })

const pad = (label: string) => `  ${label.padEnd(22)}`

/** The readable summary of one cycle, per connector. `files` are the JSON-lines files written (if any). */
export const formatSummary = (
  summaries: ReadonlyArray<ConnectorSummary>,
  context: { readonly sink: string; readonly store: string; readonly files?: ReadonlyMap<string, number> }
): string => {
  const lines: Array<string> = []
  lines.push(`sink: ${context.sink}    checkpoints: ${context.store}`)
  for (const s of summaries) {
    const records = s.snapshots + s.events + s.deadLettered
    const seconds = Math.max(0.001, s.durationMs / 1000)
    lines.push("")
    lines.push(`${s.connectorId} (${s.platform})${s.errors.length > 0 ? "  FAILED" : ""}`)
    lines.push(`${pad("permission snapshots")}${s.snapshots}`)
    lines.push(`${pad("audit events")}${s.events} published, ${s.duplicates} duplicate${s.duplicates === 1 ? "" : "s"} dropped`)
    lines.push(`${pad("dead letters")}${s.deadLettered}`)
    lines.push(`${pad("audit checkpoint")}${describeCheckpoint(s.checkpointAfter)}  (was ${describeCheckpoint(s.checkpointBefore)})`)
    lines.push(`${pad("throughput")}${Math.round(records / seconds)} records/s (${records} in ${seconds.toFixed(2)} s)`)
    if (context.files !== undefined) {
      const mine = Array.from(context.files).filter(([path]) => path.endsWith(`.${s.platform}.jsonl`))
      lines.push(`${pad("files written")}${mine.length === 0 ? "(none)" : mine.map(([p, n]) => `${p} (+${n})`).join(", ")}`)
    }
    for (const e of s.errors) lines.push(`${pad("error")}${e}`)
  }
  return lines.join("\n")
}

/** What the JSON-lines sink wrote, when that is the sink in use. */
export const filesWritten = Effect.serviceOption(JsonlSinkStats).pipe(
  Effect.flatMap(Option.match({ onNone: () => Effect.succeed(undefined), onSome: (s) => s.written }))
)
