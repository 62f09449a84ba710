/** The `verity` command: global logging options and every subcommand (one per file beside this one). */
import { Command, Options } from "@effect/cli"
import { Option } from "effect"
import * as Layers from "../app/Layers.js"
import { logFormats, logLevels, resolveLogging } from "../app/Logging.js"
import { checkpointCommand } from "./CheckpointCommand.js"
import { connectorCommand } from "./ConnectorCommand.js"
import { demoCommand } from "./DemoCommand.js"
import { runCommand } from "./RunCommand.js"
import { scaffoldCommand } from "./ScaffoldCommand.js"
import { simulateCommand } from "./SimulateCommand.js"

const verity = Command.make("verity", {
  logFormat: Options.choice("log-format", logFormats).pipe(
    Options.optional,
    Options.withDescription("log lines on stderr as logfmt (default), json or pretty; env VERITY_LOG_FORMAT")
  ),
  logLevel: Options.choice("log-level", logLevels).pipe(
    Options.optional,
    Options.withDescription("minimum log level (default info); env VERITY_LOG_LEVEL")
  )
}).pipe(
  Command.withDescription("Verity ingest: permission snapshots and audit events from SaaS platforms to Kafka"),
  Command.withSubcommands([runCommand, demoCommand, simulateCommand, connectorCommand, checkpointCommand, scaffoldCommand]),
  Command.provide(({ logFormat, logLevel }) => {
    const { format, level } = resolveLogging(Option.getOrUndefined(logFormat), Option.getOrUndefined(logLevel), process.env)
    return Layers.logging(format, level)
  })
)

export const cli = Command.run(verity, { name: "verity", version: "0.1.0" })
