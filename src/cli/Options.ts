/** Options more than one command takes. */
import { Options } from "@effect/cli"

export const configOption = Options.text("config").pipe(
  Options.withAlias("c"),
  Options.withDescription("the JSON config file (see verity.config.example.json); VERITY_* environment variables override it")
)
