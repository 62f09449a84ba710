/**
 * The verity CLI. Every command lives in `src/cli/` (or, for a platform's simulator, beside its
 * connector); this file only assembles them and runs the program once.
 */
import { Command } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import { checkpointCommand, demoCommand, runCommand } from "./src/cli/ProgramCommands.js"
import { connectorCommand } from "./src/cli/ConnectorCommand.js"
import { scaffoldCommand } from "./src/cli/ScaffoldCommand.js"
import { simulateCommand } from "./src/cli/SimulateCommand.js"

const verity = Command.make("verity").pipe(
  Command.withDescription("Verity ingest: permission snapshots and audit events from SaaS platforms to Kafka"),
  Command.withSubcommands([runCommand, demoCommand, simulateCommand, connectorCommand, checkpointCommand, scaffoldCommand])
)

const cli = Command.run(verity, { name: "verity", version: "0.1.0" })

cli(process.argv).pipe(Effect.provide(NodeContext.layer), NodeRuntime.runMain)
