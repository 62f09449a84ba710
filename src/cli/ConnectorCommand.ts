/**
 * `connector <app> <capability> --json '<request>'` (or `--json-file F`): call one capability of a
 * connector, as the Lumos tutorial's `mockapp-connector <capability> --json ...` does.
 *   - prints the response JSON on stdout, exit 0;
 *   - a capability error prints the error envelope on stdout, exit 1;
 *   - a malformed request (not JSON, a field of the wrong type) names the field on stderr, exit 2;
 *   - an unknown app or capability says which exist, exit 2.
 */
import { Args, Command, Options } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { Console, Effect, Option, Schema } from "effect"
import { ExitCode } from "../app/ExitCode.js"
import * as Layers from "../app/Layers.js"
import { knownPlatforms, lookup } from "../platforms/registry.js"
import { ErrorEnvelope } from "../sdk/capabilities/Errors.js"
import { CapabilityNames, isCapabilityName } from "../sdk/capabilities/Names.js"

const usage = (message: string) => Console.error(message).pipe(Effect.zipRight(new ExitCode({ code: 2 })))

export const connectorCommand = Command.make(
  "connector",
  {
    app: Args.text({ name: "app" }).pipe(Args.withDescription(`the connector's platform: one of ${knownPlatforms().join(", ")}`)),
    capability: Args.text({ name: "capability" }).pipe(
      Args.withDescription(`one of: ${CapabilityNames.join(", ")}`)
    ),
    json: Options.text("json").pipe(Options.optional, Options.withDescription("the request as JSON")),
    jsonFile: Options.file("json-file").pipe(Options.optional, Options.withDescription("a file holding the request JSON"))
  },
  ({ app, capability, json, jsonFile }) =>
    Effect.gen(function*() {
      const plugin = yield* lookup(app).pipe(Effect.option)
      if (Option.isNone(plugin)) {
        return yield* usage(`unknown app "${app}"; known apps: ${knownPlatforms().join(", ") || "(none)"}`)
      }
      const integration = plugin.value.capabilities
      if (integration === undefined) {
        return yield* usage(`app "${app}" has no capabilities (only a pipeline connector)`)
      }
      if (!isCapabilityName(capability)) {
        return yield* usage(`unknown capability "${capability}"; capabilities: ${CapabilityNames.join(", ")}`)
      }
      let text: string
      if (Option.isSome(json) && Option.isSome(jsonFile)) return yield* usage("give the request with --json or --json-file, not both")
      if (Option.isSome(json)) text = json.value
      else if (Option.isSome(jsonFile)) {
        const fs = yield* FileSystem.FileSystem
        const read = yield* fs.readFileString(jsonFile.value).pipe(Effect.either)
        if (read._tag === "Left") {
          const why = read.left._tag === "SystemError" && read.left.reason === "NotFound" ? "file not found" : read.left.message
          return yield* usage(`cannot read --json-file ${jsonFile.value}: ${why}`)
        }
        text = read.right
      } else if (capability === "info") text = "{}"
      else return yield* usage(`${capability} needs a request: --json '{"auth":...,"request":{...},"settings":{...}}' or --json-file F`)

      let input: unknown
      try {
        input = JSON.parse(text)
      } catch (cause) {
        return yield* usage(`malformed request: not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`)
      }

      const outcome = yield* integration.run(capability, input).pipe(Effect.provide(Layers.connectorRuntime), Effect.either)
      if (outcome._tag === "Right") {
        yield* Console.log(JSON.stringify(outcome.right, null, 2))
        return
      }
      const error = outcome.left
      switch (error._tag) {
        case "CapabilityFailure":
          yield* Console.log(JSON.stringify(Schema.encodeSync(ErrorEnvelope)(error.envelope), null, 2))
          return yield* new ExitCode({ code: 1 })
        case "MalformedRequest":
        case "UnknownCapability":
          return yield* usage(error.message)
      }
    })
).pipe(Command.withDescription("Call one capability of a connector with a JSON request (the Lumos connector CLI)"))
