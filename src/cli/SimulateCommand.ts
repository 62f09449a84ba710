/** `simulate <platform>`: serve a registered platform's simulator over HTTP until stopped. */
import { Command } from "@effect/cli"
import { Array as Arr, Effect } from "effect"
import { plugins } from "../platforms/registry.js"

const platformCommands = plugins.flatMap((plugin) =>
  plugin.simulator === undefined ? [] : [
    Command.make(plugin.platform, { serve: plugin.simulator.command }, ({ serve }) =>
      serve.pipe(Effect.zipRight(Effect.never), Effect.scoped)).pipe(Command.withDescription(plugin.simulator.description))
  ]
)

const simulate = Command.make("simulate").pipe(
  Command.withDescription("Serve a platform's API simulator over HTTP (deterministic from a seed, with fault injection)")
)

export const simulateCommand = Arr.isNonEmptyReadonlyArray(platformCommands)
  ? simulate.pipe(Command.withSubcommands(platformCommands))
  : simulate
