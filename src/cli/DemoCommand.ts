/** `demo` (what `npm start` runs): every registered simulator, PGlite and JSON lines; no servers needed. */
import { Command, Options } from "@effect/cli"
import { runDemo } from "../app/Demo.js"

export const demoCommand = Command.make(
  "demo",
  {
    dataDir: Options.text("data-dir").pipe(
      Options.withDefault(".verity"),
      Options.withDescription("where the embedded PostgreSQL (PGlite) and the JSON-lines output live")
    ),
    serve: Options.boolean("serve").pipe(
      Options.withDescription("keep running: the simulators in live mode, the connectors on short schedules, the dashboard and API up until Ctrl-C")
    ),
    port: Options.integer("port").pipe(
      Options.withDefault(8000),
      Options.withDescription("with --serve: the dashboard's and API's port on 127.0.0.1")
    )
  },
  ({ dataDir, port, serve }) => runDemo(dataDir, serve ? { port } : undefined)
).pipe(
  Command.withDescription(
    "The built-in demo (npm start): starts every registered platform's simulator, runs one cycle of each connector into " +
      "PGlite and JSON-lines files under .verity/, and prints a summary. Run it again to see the checkpoints resume. " +
      "With --serve (npm start -- --serve) it keeps running with the dashboard at http://127.0.0.1:8000/."
  )
)
