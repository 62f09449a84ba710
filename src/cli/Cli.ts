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

type Subcommand =
  | typeof import("./RunCommand.js")["runCommand"]
  | typeof import("./DemoCommand.js")["demoCommand"]
  | typeof import("./SimulateCommand.js")["simulateCommand"]
  | typeof import("./ConnectorCommand.js")["connectorCommand"]
  | typeof import("./CheckpointCommand.js")["checkpointCommand"]
  | typeof import("./GrantsCommand.js")["grantsCommand"]
  | typeof import("./ScaffoldCommand.js")["scaffoldCommand"]

/** Each subcommand by name, in the order the root's help lists them. */
const subcommands: ReadonlyArray<readonly [string, () => Promise<Subcommand>]> = [
  ["run", () => import("./RunCommand.js").then((m) => m.runCommand)],
  ["demo", () => import("./DemoCommand.js").then((m) => m.demoCommand)],
  ["simulate", () => import("./SimulateCommand.js").then((m) => m.simulateCommand)],
  ["connector", () => import("./ConnectorCommand.js").then((m) => m.connectorCommand)],
  ["checkpoint", () => import("./CheckpointCommand.js").then((m) => m.checkpointCommand)],
  ["grants", () => import("./GrantsCommand.js").then((m) => m.grantsCommand)],
  ["scaffold", () => import("./ScaffoldCommand.js").then((m) => m.scaffoldCommand)]
]

const globalOptionsWithValue = ["--log-format", "--log-level"]

/** The subcommand the arguments name (after the global options), if they name one. */
export const commandNamed = (args: ReadonlyArray<string>): string | undefined => {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (globalOptionsWithValue.includes(arg)) {
      i++
      continue
    }
    if (globalOptionsWithValue.some((o) => arg.startsWith(`${o}=`))) continue
    return subcommands.some(([name]) => name === arg) ? arg : undefined
  }
  return undefined
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
    const chosen = subcommands.filter(([name]) => named === undefined || name === named)
    const [first, ...rest] = yield* Effect.promise(() => Promise.all(chosen.map(([, load]) => load())))
    return yield* Command.run(verity([first!, ...rest]), { name: "verity", version: "0.1.0" })(argv)
  })
