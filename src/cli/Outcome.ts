/**
 * How a command line ends: the program main.ts runs (the command the arguments name, a config error
 * reported once as one line on stderr, anything else unexpected logged once) and the exit code its
 * outcome maps to. main.ts alone ends the process with that code; tests run the same program in-process
 * and read the same code.
 *
 * Exit codes: 0 success (or interrupted, as by Ctrl-C); 1 a connector failed (`run --once`, `demo`) or the
 * infrastructure did not start; 2 a configuration or usage error. A command chooses another with `ExitCode`.
 */
import { ValidationError } from "@effect/cli"
import { Cause, Console, Effect, Exit, Option } from "effect"
import { describeConfigError } from "../app/AppConfig.js"
import { ExitCode } from "../app/ExitCode.js"
import { cli } from "./Cli.js"

/** Whether a failure was already reported where it happened (a command's own message, @effect/cli's usage text). */
const reported = (e: unknown) => e instanceof ExitCode || ValidationError.isValidationError(e)

/** Run the command `argv` (node, script, then the arguments) names, reporting what went wrong once. */
export const program = (argv: ReadonlyArray<string>) =>
  cli(argv).pipe(
    Effect.catchTag("ConfigError", (e) => Console.error(describeConfigError(e)).pipe(Effect.zipRight(new ExitCode({ code: 2 })))),
    // anything else unexpected is reported once, here (main.ts turns the runtime's own reporting off)
    Effect.tapErrorCause((cause) =>
      Cause.isInterruptedOnly(cause) || Cause.failureOption(cause).pipe(Option.exists(reported)) ? Effect.void : Effect.logError(cause)
    )
  )

/** The exit code of the program's outcome. */
export const exitCodeOf = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit) || Cause.isInterruptedOnly(exit.cause)) return 0
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure) && failure.value instanceof ExitCode) return failure.value.code
  if (Option.isSome(failure) && ValidationError.isValidationError(failure.value)) return 2
  return 1
}
