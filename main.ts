/**
 * The verity CLI's entry: parse the arguments (every command lives in `src/cli/`), report what went
 * wrong once, and map the outcome to an exit code.
 *
 * `run` and `demo` run with heap limits the program sets (src/app/HeapLimits.ts): when node was not
 * started with them, this process re-launches itself once with them and passes the child's exit code on.
 * That check comes first, so everything else loads (lazily, per command) in the process that does the work.
 *
 * Exit codes: 0 success; 1 a connector failed (`run --once`, `demo`) or the infrastructure did not start;
 * 2 a configuration or usage error (one line on stderr, no stack trace).
 */
import { relaunchWithHeapLimits } from "./src/app/HeapLimits.js"
import { commandNamed } from "./src/cli/CommandName.js"

const command = commandNamed(process.argv.slice(2))
const relaunched = (command === "run" || command === "demo") && relaunchWithHeapLimits()

if (!relaunched) {
  // the outcome's reporting and its exit code live in src/cli/Outcome.ts (tests run the same program in-process)
  const [NodeRuntime, { Effect, Layer }, { exitCodeOf, program }] = await Promise.all([
    import("@effect/platform-node/NodeRuntime"),
    import("effect"),
    import("./src/cli/Outcome.js")
  ])

  program(process.argv).pipe(
    // the composition root loads with the command that needs it (src/cli/Cli.ts loads commands lazily)
    Effect.provide(Layer.unwrapEffect(Effect.promise(() => import("./src/app/Layers.js")).pipe(Effect.map((L) => L.platform)))),
    (main) =>
      NodeRuntime.runMain(main, {
        disableErrorReporting: true,
        disablePrettyLogger: true,
        teardown: (exit, onExit) => onExit(exitCodeOf(exit))
      })
  )
}
