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
  const [{ ValidationError }, { NodeRuntime }, { Cause, Console, Effect, Exit, Layer, Option }, { describeConfigError }, { ExitCode }, { cli }] =
    await Promise.all([
      import("@effect/cli"),
      import("@effect/platform-node"),
      import("effect"),
      import("./src/app/AppConfig.js"),
      import("./src/app/ExitCode.js"),
      import("./src/cli/Cli.js")
    ])

  cli(process.argv).pipe(
    Effect.catchTag("ConfigError", (e) => Console.error(describeConfigError(e)).pipe(Effect.zipRight(new ExitCode({ code: 2 })))),
    // anything else unexpected is reported once, here (runMain's own reporting is off so ExitCode stays quiet)
    Effect.tapErrorCause((cause) =>
      Cause.isInterruptedOnly(cause) ||
        Cause.failureOption(cause).pipe(Option.exists((e) => e instanceof ExitCode || ValidationError.isValidationError(e)))
        ? Effect.void
        : Effect.logError(cause)
    ),
    // the composition root loads with the command that needs it (src/cli/Cli.ts loads commands lazily)
    Effect.provide(Layer.unwrapEffect(Effect.promise(() => import("./src/app/Layers.js")).pipe(Effect.map((L) => L.platform)))),
    (program) =>
      NodeRuntime.runMain(program, {
        disableErrorReporting: true,
        disablePrettyLogger: true,
        teardown: (exit, onExit) => {
          if (Exit.isSuccess(exit) || Cause.isInterruptedOnly(exit.cause)) return onExit(0)
          const failure = Cause.failureOption(exit.cause)
          if (Option.isSome(failure) && failure.value instanceof ExitCode) return onExit(failure.value.code)
          if (Option.isSome(failure) && ValidationError.isValidationError(failure.value)) return onExit(2)
          onExit(1)
        }
      })
  )
}
