/**
 * `scaffold <platform>`: a new connector folder from the templates beside this file (settings,
 * payloads, client, connector with validate_credentials + list_accounts, simulator), its registration
 * in `src/connectors/registry.ts` (at the `// scaffold:imports` and `// scaffold:entries` markers),
 * and a test that passes as generated. Nothing is written unless every check passes first.
 */
import { FileSystem, Path } from "@effect/platform"
import { Data, Effect } from "effect"
import { fileURLToPath } from "node:url"

export class ScaffoldError extends Data.TaggedError("ScaffoldError")<{ readonly message: string }> {}

const templatesDir = fileURLToPath(new URL("./templates/", import.meta.url))

export const isPlatformName = (name: string) => /^[a-z][a-z0-9_]*$/.test(name)

export const pascalCase = (name: string) =>
  name.split("_").filter((p) => p !== "").map((p) => p[0]!.toUpperCase() + p.slice(1)).join("")

const importMarker = "// scaffold:imports"
const entryMarker = "// scaffold:entries"

export interface ScaffoldResult {
  readonly platform: string
  readonly files: ReadonlyArray<string>
}

/** Generate the connector `platform` under the project at `root`. */
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
    const dir = path.join(root, "src", "connectors", platform)
    if (yield* io("check", fs.exists(dir))) return yield* fail(`${path.relative(root, dir)} already exists; scaffold never overwrites a connector`)
    const registryPath = path.join(root, "src", "connectors", "registry.ts")
    const registry = yield* io(`read ${registryPath}`, fs.readFileString(registryPath))
    if (!registry.includes(importMarker) || !registry.includes(entryMarker)) {
      return yield* fail(`${path.relative(root, registryPath)} lacks the "${importMarker}" and "${entryMarker}" markers; register the connector by hand`)
    }
    if (new RegExp(`^\\s*${platform}\\s*:`, "m").test(registry)) {
      return yield* fail(`a connector "${platform}" is already registered in ${path.relative(root, registryPath)}`)
    }
    const testPath = path.join(root, "test", "connectors", platform, `${platform}.test.ts`)
    if (yield* io("check", fs.exists(testPath))) return yield* fail(`${path.relative(root, testPath)} already exists`)

    const fill = (template: string) =>
      io(`read template ${template}`, fs.readFileString(path.join(templatesDir, template))).pipe(
        Effect.map((text) => text.replaceAll("__Platform__", Platform).replaceAll("__platform__", platform))
      )
    const outputs: ReadonlyArray<readonly [string, string]> = [
      ["Settings.ts.tmpl", path.join(dir, "Settings.ts")],
      ["Payloads.ts.tmpl", path.join(dir, "Payloads.ts")],
      ["Client.ts.tmpl", path.join(dir, "Client.ts")],
      ["simulator.ts.tmpl", path.join(dir, "simulator.ts")],
      ["Connector.ts.tmpl", path.join(dir, `${Platform}Connector.ts`)],
      ["test.ts.tmpl", testPath]
    ]
    const contents = yield* Effect.forEach(outputs, ([template, target]) => Effect.map(fill(template), (text) => [target, text] as const))

    yield* io("create folder", fs.makeDirectory(dir, { recursive: true }))
    yield* io("create folder", fs.makeDirectory(path.dirname(testPath), { recursive: true }))
    for (const [target, text] of contents) yield* io(`write ${target}`, fs.writeFileString(target, text))
    const updated = registry
      .replace(importMarker, `import { ${Platform}Definition } from "../scaffold/${platform}/${Platform}Connector.js"\n${importMarker}`)
      .replace(new RegExp(`^([ \\t]*)${entryMarker}`, "m"), `$1${platform}: ${Platform}Definition,\n$1${entryMarker}`)
    yield* io(`write ${registryPath}`, fs.writeFileString(registryPath, updated))
    return { platform, files: [...contents.map(([target]) => path.relative(root, target)), path.relative(root, registryPath)] } satisfies ScaffoldResult
  })
