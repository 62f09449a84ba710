/**
 * `scaffold <platform>`: a new platform folder from the templates beside this file (settings, payloads,
 * client, connector, capabilities, simulator, plugin), its entry in `src/platforms/registry.ts` (its
 * import at `// scaffold:imports`, its plugin at `// scaffold:entries`), and a test that passes as
 * generated. Then `simulate`, `connector`, the demo and the public API know the platform, with no other
 * edit. Nothing is written unless every check passes first.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Data, Effect } from "effect"
import { fileURLToPath } from "node:url"

export class ScaffoldError extends Data.TaggedError("ScaffoldError")<{ readonly message: string }> {}

const templatesDir = fileURLToPath(new URL("./templates/", import.meta.url))

export const isPlatformName = (name: string) => /^[a-z][a-z0-9_]*$/.test(name)

export const pascalCase = (name: string) =>
  name.split("_").filter((p) => p !== "").map((p) => p[0]!.toUpperCase() + p.slice(1)).join("")

const importMarker = "// scaffold:imports"
const entryMarker = "// scaffold:entries"

/** Template -> file, relative to the new platform's folder. */
const platformFiles: ReadonlyArray<readonly [template: string, file: string]> = [
  ["Settings.ts.tmpl", "Settings.ts"],
  ["Payloads.ts.tmpl", "Payloads.ts"],
  ["Client.ts.tmpl", "Client.ts"],
  ["Connector.ts.tmpl", "Connector.ts"],
  ["Capabilities.ts.tmpl", "capabilities/Integration.ts"],
  ["SimulatorServer.ts.tmpl", "simulator/Server.ts"],
  ["SimulatorCommand.ts.tmpl", "simulator/Command.ts"],
  ["Plugin.ts.tmpl", "Plugin.ts"]
]

export interface ScaffoldResult {
  readonly platform: string
  readonly files: ReadonlyArray<string>
  /** the generated test, relative to the project */
  readonly test: string
}

/** Generate the platform `platform` under the project at `root`. */
export const scaffold = (root: string, platform: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const fail = (message: string) => Effect.fail(new ScaffoldError({ message }))
    const io = <A, E extends { readonly message: string }, R>(what: string, effect: Effect.Effect<A, E, R>) =>
      Effect.mapError(effect, (e) => new ScaffoldError({ message: `${what}: ${e.message}` }))

    if (!isPlatformName(platform)) {
      return yield* fail(`"${platform}" is not a platform name: use a lower-case identifier such as "acme" or "acme_hr" (a-z, 0-9, _; starting with a letter)`)
    }
    const Platform = pascalCase(platform)
    const plugin = `${platform}Plugin`
    const dir = path.join(root, "src", "platforms", platform)
    if (yield* io("check", fs.exists(dir))) return yield* fail(`${path.relative(root, dir)} already exists; scaffold never overwrites a platform`)
    const registryPath = path.join(root, "src", "platforms", "registry.ts")
    const registry = yield* io(`read ${registryPath}`, fs.readFileString(registryPath))
    if (!registry.includes(importMarker) || !registry.includes(entryMarker)) {
      return yield* fail(`${path.relative(root, registryPath)} lacks the "${importMarker}" and "${entryMarker}" markers; register the plugin by hand`)
    }
    if (new RegExp(`\\b${plugin}\\b`).test(registry)) {
      return yield* fail(`a platform "${platform}" is already registered in ${path.relative(root, registryPath)}`)
    }
    const testPath = path.join(root, "test", "platforms", platform, `${platform}.test.ts`)
    if (yield* io("check", fs.exists(testPath))) return yield* fail(`${path.relative(root, testPath)} already exists`)

    const fill = (template: string) =>
      io(`read template ${template}`, fs.readFileString(path.join(templatesDir, template))).pipe(
        Effect.map((text) => text.replaceAll("__Platform__", Platform).replaceAll("__platform__", platform))
      )
    const outputs = [...platformFiles.map(([template, file]) => [template, path.join(dir, file)] as const), ["test.ts.tmpl", testPath] as const]
    const contents = yield* Effect.forEach(outputs, ([template, target]) => Effect.map(fill(template), (text) => [target, text] as const))

    for (const [target, text] of contents) {
      yield* io("create folder", fs.makeDirectory(path.dirname(target), { recursive: true }))
      yield* io(`write ${target}`, fs.writeFileString(target, text))
    }
    const updated = registry
      .replace(importMarker, `import { ${plugin} } from "./${platform}/Plugin.js"\n${importMarker}`)
      .replace(new RegExp(`^([ \\t]*)${entryMarker}`, "m"), `$1${plugin},\n$1${entryMarker}`)
    yield* io(`write ${registryPath}`, fs.writeFileString(registryPath, updated))
    return {
      platform,
      files: [...contents.map(([target]) => path.relative(root, target)), path.relative(root, registryPath)],
      test: path.relative(root, testPath)
    } satisfies ScaffoldResult
  })
