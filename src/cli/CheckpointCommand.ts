/** `checkpoint show|reset`: inspect and forget connector checkpoints. */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { loadAppConfig } from "../app/AppConfig.js"
import { ExitCode } from "../app/ExitCode.js"
import * as Layers from "../app/Layers.js"
import type { Checkpoint } from "../domain/Checkpoint.js"
import { CheckpointStore } from "../services/CheckpointStore.js"
import { RunStore } from "../services/RunStore.js"
import { configOption } from "./Options.js"

const describeCp = (cp: Checkpoint) => `${cp.describe()}  count=${cp.count}${cp.cursor !== undefined ? `  cursor=${cp.cursor}` : ""}`

const showCommand = Command.make(
  "show",
  { config: configOption.pipe(Options.optional) },
  ({ config: file }) =>
    Effect.gen(function*() {
      const config = yield* loadAppConfig(file)
      yield* Effect.gen(function*() {
          const store = yield* CheckpointStore
          const runs = yield* RunStore
          const rows = yield* store.list
          // who ran each stream last (the run records; on a cluster, the runner that holds it now)
          const lastRuns = yield* Effect.forEach(rows, (r) => runs.list({ connectorId: r.connectorId, stream: r.stream, limit: 1 }))
          yield* Console.log(`checkpoints: ${Layers.describeStore(config)}`)
          const configured = new Set<string>(config.connectors.map((c) => c.id))
          const lines: Array<string> = []
          for (const [i, row] of rows.entries()) {
            const run = lastRuns[i]?.[0]
            const by = run === undefined ? "" : `  runner ${run.runner} (${run.outcome} since ${run.startedAt.toISOString()})`
            lines.push(
              `${row.connectorId.padEnd(20)} ${row.stream.padEnd(12)} ${row.platform.padEnd(10)} ${describeCp(row.checkpoint)}  updated ${row.updatedAt.toISOString()}${by}`
            )
          }
          for (const c of config.connectors) {
            for (const stream of ["audit", "permissions"] as const) {
              if (!rows.some((r) => r.connectorId === c.id && r.stream === stream)) {
                lines.push(`${c.id.padEnd(20)} ${stream.padEnd(12)} ${c.platform.padEnd(10)} (none: the next run starts from the beginning)`)
              }
            }
          }
          yield* Console.log(lines.length > 0 ? lines.join("\n") : "(no checkpoints)")
          const unknown = rows.filter((r) => configured.size > 0 && !configured.has(r.connectorId))
          if (unknown.length > 0) yield* Effect.logInfo(`${unknown.length} checkpoint(s) belong to connectors not in the config`)
        }).pipe(
        Effect.provide(Layers.checkpointStore(config)),
        Effect.catchTag("CheckpointError", (e) => Console.error(e.message).pipe(Effect.zipRight(new ExitCode({ code: 1 }))))
      )
    })
).pipe(Command.withDescription("Print every connector's checkpoints and the runner that ran each stream last (the embedded store under .verity/ without a DSN)"))

const resetCommand = Command.make(
  "reset",
  {
    connectorId: Args.text({ name: "connector-id" }).pipe(Args.withDescription("the connector whose checkpoints to forget")),
    stream: Options.choice("stream", ["audit", "permissions"]).pipe(
      Options.optional,
      Options.withDescription("only this stream (default: both)")
    ),
    config: configOption.pipe(Options.optional)
  },
  ({ config: file, connectorId, stream }) =>
    Effect.gen(function*() {
      const config = yield* loadAppConfig(file)
      const removed = yield* Effect.gen(function*() {
        const store = yield* CheckpointStore
        return yield* store.reset(connectorId, Option.getOrUndefined(stream))
      }).pipe(
        Effect.provide(Layers.checkpointStore(config)),
        Effect.catchTag("CheckpointError", (e) => Console.error(e.message).pipe(Effect.zipRight(new ExitCode({ code: 1 }))))
      )
      yield* Console.log(
        removed === 0
          ? `no checkpoint of ${connectorId}${Option.isSome(stream) ? ` (${stream.value})` : ""} to reset`
          : `reset ${removed} checkpoint${removed === 1 ? "" : "s"} of ${connectorId}: its next run starts from the beginning`
      )
    })
).pipe(Command.withDescription("Forget a connector's checkpoints (one stream, or both) so its next run starts from the beginning"))

export const checkpointCommand = Command.make("checkpoint").pipe(
  Command.withDescription("Inspect and reset connector checkpoints"),
  Command.withSubcommands([showCommand, resetCommand])
)
