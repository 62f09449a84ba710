/** How a command ends the program with a given exit code (main.ts maps it); whatever had to be said was already printed. */
import { Data } from "effect"

export class ExitCode extends Data.TaggedError("ExitCode")<{ readonly code: number }> {}
