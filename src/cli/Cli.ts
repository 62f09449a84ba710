/**
 * The `verity` command: global logging options and every subcommand (one per file beside this one).
 *
 * Commands load lazily: a process started as `verity run ...` imports the `run` command's modules and no
 * other command's (the simulators, the scaffold, the capabilities runner), so a child process starts
 * sooner. Only the root's own help (or an unknown word) loads them all, to list them.
 */
import { Command, Options } from "@effect/cli"
import { Effect, Layer, Option } from "effect"
import { logFormats, logLevels, resolveLogging } from "../app/Logging.js"
import { type CommandName, commandNamed, commandNames } from "./CommandName.js"

type Subcommand =
  | typeof import("./RunCommand.js")["runCommand"]
  | typeof import("./DemoCommand.js")["demoCommand"]
  | typeof import("./SimulateCommand.js")["simulateCommand"]
  | typeof import("./ConnectorCommand.js")["connectorCommand"]
  | typeof import("./CheckpointCommand.js")["checkpointCommand"]
  | typeof import("./GrantsCommand.js")["grantsCommand"]
  | typeof import("./ScaffoldCommand.js")["scaffoldCommand"]

/** Each subcommand's module, loaded when it is named. */
const subcommands: Record<CommandName, () => Promise<Subcommand>> = {
  run: () => import("./RunCommand.js").then((m) => m.runCommand),
  demo: () => import("./DemoCommand.js").then((m) => m.demoCommand),
  simulate: () => import("./SimulateCommand.js").then((m) => m.simulateCommand),
  connector: () => import("./ConnectorCommand.js").then((m) => m.connectorCommand),
  checkpoint: () => import("./CheckpointCommand.js").then((m) => m.checkpointCommand),
  grants: () => import("./GrantsCommand.js").then((m) => m.grantsCommand),
  scaffold: () => import("./ScaffoldCommand.js").then((m) => m.scaffoldCommand)
}

const verity = (loaded: readonly [Subcommand, ...Array<Subcommand>]) =>
  Command.make("verity", {
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
    Command.withSubcommands(loaded),
    Command.provide(({ logFormat, logLevel }) => {
      const { format, level } = resolveLogging(Option.getOrUndefined(logFormat), Option.getOrUndefined(logLevel), process.env)
      return Layer.unwrapEffect(Effect.promise(() => import("../app/Layers.js")).pipe(Effect.map((L) => L.logging(format, level))))
    })
  )

/** Parse `argv` (node, script, then the arguments) and run the command it names. */
export const cli = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const named = commandNamed(argv.slice(2))
    const chosen = named === undefined ? commandNames : [named]
    const [first, ...rest] = yield* Effect.promise(() => Promise.all(chosen.map((name) => subcommands[name]())))
    return yield* Command.run(verity([first!, ...rest]), { name: "verity", version: "0.1.0" })(argv)
  })
