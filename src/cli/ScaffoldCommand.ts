/** `scaffold <platform>`: generate a platform plugin (settings, payloads, client, connector, capabilities, simulator), register it, and write its test. */
import { Args, Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { scaffold } from "../app/Scaffold.js"
import { ExitCode } from "../app/ExitCode.js"

export const scaffoldCommand = Command.make(
  "scaffold",
  { platform: Args.text({ name: "platform" }).pipe(Args.withDescription("the new platform's name, a lower-case identifier such as acme")) },
  ({ platform }) =>
    scaffold(process.cwd(), platform).pipe(
      Effect.flatMap((result) =>
        Console.log(
          [
            `Scaffolded the ${result.platform} connector:`,
            ...result.files.map((f) => `  ${f}`),
            `Next: npx vitest run ${result.test}`
          ].join("\n")
        )
      ),
      Effect.catchTag("ScaffoldError", (e) => Console.error(`scaffold: ${e.message}`).pipe(Effect.zipRight(new ExitCode({ code: 2 }))))
    )
).pipe(Command.withDescription("Generate a new connector with its simulator and a passing test, and register it"))
