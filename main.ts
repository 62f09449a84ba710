/**
 * The verity CLI. Every command lives in `src/cli/` (or, for a platform's simulator, beside its
 * connector); this file only assembles them and runs the program once.
 *
 * Exit codes: 0 success; 1 a connector failed (`run --once`, `demo`) or the infrastructure did not start;
 * 2 a configuration or usage error (one line on stderr, no stack trace).
 */
import { Command, Options, ValidationError } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Cause, Console, Effect, Exit, Option } from "effect"
import { checkpointCommand, demoCommand, runCommand } from "./src/cli/ProgramCommands.js"
import { ExitCode } from "./src/cli/Program.js"
import { connectorCommand } from "./src/cli/ConnectorCommand.js"
import { scaffoldCommand } from "./src/cli/ScaffoldCommand.js"
import { simulateCommand } from "./src/cli/SimulateCommand.js"
import { describeConfigError } from "./src/app/AppConfig.js"
import { logFormats, loggingLayer, logLevels, resolveLogging } from "./src/app/Logging.js"

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
    return loggingLayer(format, level)
  })
)

const cli = Command.run(verity, { name: "verity", version: "0.1.0" })

cli(process.argv).pipe(
  Effect.catchTag("ConfigError", (e) => Console.error(describeConfigError(e)).pipe(Effect.zipRight(new ExitCode({ code: 2 })))),
  // anything else unexpected is reported once, here (runMain's own reporting is off so ExitCode stays quiet)
  Effect.tapErrorCause((cause) =>
    Cause.isInterruptedOnly(cause) || Cause.failureOption(cause).pipe(Option.exists((e) => e instanceof ExitCode || ValidationError.isValidationError(e)))
      ? Effect.void
      : Effect.logError(cause)
  ),
  Effect.provide(NodeContext.layer),
  (program) =>
    NodeRuntime.runMain(program, {
      disableErrorReporting: true,
      disablePrettyLogger: true,
      teardown: (exit, onExit) => {
        if (Exit.isSuccess(exit) || Cause.isInterruptedOnly(exit.cause)) return onExit(0)
        const failure = Cause.failureOption(exit.cause)
        if (Option.isSome(failure) && failure.value instanceof ExitCode) return onExit(failure.value.code)
        if (Option.isSome(failure) && ValidationError.isValidationError(failure.value)) return onExit(2)
        onExit(1)
      }
    })
)
