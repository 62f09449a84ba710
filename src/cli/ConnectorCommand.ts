// Placeholder: issue 4 (the capability CLI) replaces this file.
import { Command } from "@effect/cli"
import { Effect } from "effect"

export const connectorCommand = Command.make("connector", {}, () => Effect.logWarning("connector: not built yet"))
