/** `demo` (what `npm start` runs): every registered simulator, PGlite and JSON lines; no servers needed. */
import { Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { runDemo } from "../app/Demo.js"
import { describeHeapLimits } from "../app/HeapLimits.js"

export const demoCommand = Command.make(
  "demo",
  {
    dataDir: Options.text("data-dir").pipe(
      Options.withDefault(".verity"),
      Options.withDescription("where the embedded PostgreSQL (PGlite) and the JSON-lines output live")
    )
  },
  ({ dataDir }) =>
    Effect.logInfo("heap limits").pipe(
      Effect.annotateLogs("heap", describeHeapLimits(process.execArgv, process.env)),
      Effect.zipRight(runDemo(dataDir))
    )
).pipe(
  Command.withDescription(
    "The built-in demo (npm start): starts every registered platform's simulator, runs one cycle of each connector into " +
      "PGlite and JSON-lines files under .verity/, and prints a summary. Run it again to see the checkpoints resume."
  )
)
