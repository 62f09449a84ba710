// Placeholder: issue 5 (the program: run, demo, checkpoint) replaces this file.
import { Command } from "@effect/cli"
import { Effect } from "effect"

export const runCommand = Command.make("run", {}, () => Effect.logWarning("run: not built yet"))
export const demoCommand = Command.make("demo", {}, () => Effect.logWarning("demo: not built yet"))
export const checkpointCommand = Command.make("checkpoint", {}, () => Effect.logWarning("checkpoint: not built yet"))
