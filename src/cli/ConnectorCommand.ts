/**
 * `connector <app> <capability> [--json J | --json-file F] [--result-file-path F.gz]`: call one
 * capability of a connector, as connector-py's CLI (`mockapp-connector <capability> --json ...`) does:
 *   - the answer is one line of JSON on stdout (or gzipped into `--result-file-path`), exit 0, for a
 *     response and for an `ErrorResponse` alike (a capability error, a request that fails validation);
 *   - `info` takes no request and prints its answer with sorted keys;
 *   - usage errors exit 2: an unknown app, a capability the app does not register, no request, both
 *     `--json` and `--json-file`, an unreadable file, a result file not ending in `.gz`.
 */
import { Args, Command, Options } from "@effect/cli"
import * as FileSystem from "@effect/platform/FileSystem"
import { Console, Effect, Option } from "effect"
import { gzipSync } from "node:zlib"
import { ExitCode } from "../app/ExitCode.js"
import * as Layers from "../app/Layers.js"
import { knownPlatforms, lookup } from "../platforms/registry.js"

const usage = (message: string) => Console.error(message).pipe(Effect.zipRight(new ExitCode({ code: 2 })))

/** JSON with every object's keys sorted (Python's `json.dumps(..., sort_keys=True)`) */
const sortedJson = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v)

export const connectorCommand = Command.make(
  "connector",
  {
    app: Args.text({ name: "app" }).pipe(Args.withDescription(`the connector's platform: one of ${knownPlatforms().join(", ")}`)),
    capability: Args.text({ name: "capability" }).pipe(
      Args.withDescription("a capability the connector registers (`info` lists them)")
    ),
    json: Options.text("json").pipe(Options.optional, Options.withDescription("the request as JSON")),
    jsonFile: Options.file("json-file").pipe(Options.optional, Options.withDescription("a file holding the request JSON")),
    resultFilePath: Options.text("result-file-path").pipe(
      Options.optional,
      Options.withDescription("write the answer gzipped to this file (its name ends in .gz) instead of stdout")
    )
  },
  ({ app, capability, json, jsonFile, resultFilePath }) =>
    Effect.gen(function*() {
      const plugin = yield* lookup(app).pipe(Effect.option)
      if (Option.isNone(plugin)) {
        return yield* usage(`unknown app "${app}"; known apps: ${knownPlatforms().join(", ") || "(none)"}`)
      }
      const integration = plugin.value.capabilities
      if (integration === undefined) {
        return yield* usage(`app "${app}" has no capabilities (only a pipeline connector)`)
      }
      const choices = ["info", ...integration.capabilities]
      if (!choices.includes(capability)) {
        return yield* usage(`argument command: invalid choice: '${capability}' (choose from ${choices.map((c) => `'${c}'`).join(", ")})`)
      }
      const target = Option.map(resultFilePath, (p) => p.replace(/^["']|["']$/g, ""))
      if (Option.isSome(target) && !target.value.endsWith(".gz")) {
        return yield* usage("The result file name must end with the .gz extension.")
      }
      const fs = yield* FileSystem.FileSystem

      let output: string
      if (capability === "info") output = sortedJson(integration.info)
      else {
        if (Option.isSome(json) && Option.isSome(jsonFile)) {
          return yield* usage("argument --json-file: not allowed with argument --json")
        }
        let text: string
        if (Option.isSome(json)) text = json.value
        else if (Option.isSome(jsonFile)) {
          const read = yield* fs.readFileString(jsonFile.value).pipe(Effect.either)
          if (read._tag === "Left") {
            const why = read.left._tag === "SystemError" && read.left.reason === "NotFound" ? "file not found" : read.left.message
            return yield* usage(`cannot read --json-file ${jsonFile.value}: ${why}`)
          }
          text = read.right
        } else return yield* usage(`${capability}: one of the arguments --json --json-file is required`)
        const answer = yield* integration.dispatch(capability, text).pipe(Effect.provide(Layers.connectorRuntime))
        output = JSON.stringify(answer)
      }

      if (Option.isSome(target)) {
        yield* fs.writeFile(target.value, gzipSync(Buffer.from(output, "utf8")))
      } else yield* Console.log(output)
    })
).pipe(Command.withDescription("Call one capability of a connector with a JSON request (the Lumos connector CLI)"))
