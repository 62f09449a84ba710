// Placeholder: issue 4 (scaffold) replaces this file.
import { Command } from "@effect/cli"
import { Effect } from "effect"

export const scaffoldCommand = Command.make("scaffold", {}, () => Effect.logWarning("scaffold: not built yet"))
