// Placeholder: issue 4 (MockApp mock API server) replaces this file.
import { Command } from "@effect/cli"
import { Effect } from "effect"

export const mockappSimulateCommand = Command.make("mockapp", {}, () => Effect.logWarning("simulate mockapp: not built yet"))
