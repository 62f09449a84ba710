/** `simulate <platform>`: serve a platform's simulator over HTTP until stopped. */
import { Command } from "@effect/cli"
import { githubSimulateCommand } from "../platforms/github/simulator/Command.js"
import { mockappSimulateCommand } from "../platforms/mockapp/simulator/Command.js"

export const simulateCommand = Command.make("simulate").pipe(
  Command.withDescription("Serve a platform's API simulator over HTTP (deterministic from a seed, with fault injection)"),
  Command.withSubcommands([githubSimulateCommand, mockappSimulateCommand])
)
