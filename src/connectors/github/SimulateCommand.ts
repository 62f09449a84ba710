// Placeholder: issue 3 (GitHub simulator) replaces this file.
import { Command } from "@effect/cli"
import { Effect } from "effect"

export const githubSimulateCommand = Command.make("github", {}, () => Effect.logWarning("simulate github: not built yet"))
