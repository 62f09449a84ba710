/**
 * One way to read a platform's settings: the platform's Schema, decoded from the connector's `settings`
 * object, where each field missing there falls back to `VERITY_<PLATFORM>_<FIELD>` in the environment
 * (`apiUrl` and `api_url` both read `..._API_URL`). The environment is read through Effect's `Config`, so
 * a test or an embedding program can provide it. A failure is one `ConfigError` naming the field.
 */
import { Config, ConfigProvider, Effect, Option, ParseResult, Schema, SchemaAST } from "effect"
import { ConfigError } from "../domain/Errors.js"

/** `pageSize` -> `PAGE_SIZE`, `api_url` -> `API_URL`. */
export const constantCase = (name: string): string =>
  name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^A-Za-z0-9]+/g, "_").toUpperCase()

/** The environment variable a platform's field falls back to. */
export const settingsEnvName = (platform: string, field: string): string =>
  `VERITY_${constantCase(platform)}_${constantCase(field)}`

/**
 * An environment variable is text; a field may want a number or a boolean. Keep the text when the field
 * takes it, else the number or boolean it spells (so `VERITY_GITHUB_PAGE_SIZE=50` is 50).
 */
const fromEnvironment = (encoded: SchemaAST.AST, text: string): unknown => {
  const accepts: (value: unknown) => boolean = Schema.is(Schema.make(encoded))
  if (accepts(text)) return text
  const number = Number(text)
  if (text.trim() !== "" && Number.isFinite(number) && accepts(number)) return number
  if ((text === "true" || text === "false") && accepts(text === "true")) return text === "true"
  return text
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ")

/**
 * Decode `settings` with `schema`, each missing field taken from `VERITY_<PLATFORM>_<FIELD>` (from `env`
 * when given, else from the current `ConfigProvider`: the process environment by default).
 */
export const decodeSettings = <A, I>(
  platform: string,
  schema: Schema.Schema<A, I, never>,
  settings: unknown,
  env?: ReadonlyMap<string, string>
): Effect.Effect<A, ConfigError> =>
  Effect.gen(function*() {
    const fail = (field: string | undefined, message: string) =>
      new ConfigError({ ...(field === undefined ? {} : { field }), message: `${platform} settings: ${message}` })
    if (settings !== undefined && settings !== null && (typeof settings !== "object" || Array.isArray(settings))) {
      return yield* fail(undefined, `expected an object, got ${JSON.stringify(settings)}`)
    }
    const input: Record<string, unknown> = { ...(settings ?? {}) }
    const fromEnv = new Map<string, string>()
    for (const property of SchemaAST.getPropertySignatures(SchemaAST.encodedAST(schema.ast))) {
      const field = String(property.name)
      if (input[field] !== undefined) continue
      const name = settingsEnvName(platform, field)
      const value = yield* Config.option(Config.string(name)).pipe(Effect.orElseSucceed(() => Option.none<string>()))
      if (Option.isSome(value) && value.value !== "") {
        input[field] = fromEnvironment(property.type, value.value)
        fromEnv.set(field, name)
      }
    }
    return yield* Schema.decodeUnknown(schema, { errors: "all", onExcessProperty: "ignore" })(input).pipe(
      Effect.mapError((error) => {
        const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
        // an optional field is `X | undefined`: its "Expected undefined" branch is noise
        const first = issues.find((i) => !i.message.startsWith("Expected undefined, actual")) ?? issues[0]
        const field = first?.path.map(String).join(".") || undefined
        if (first === undefined) return fail(field, "invalid")
        if (first._tag === "Missing" && field !== undefined) {
          return fail(field, `"${field}" is missing: set it in the connector's settings or in ${settingsEnvName(platform, field)}`)
        }
        const source = field !== undefined ? fromEnv.get(field) : undefined
        return fail(field, `${oneLine(first.message)}${source !== undefined ? ` (from ${source})` : ""}`)
      })
    )
  }).pipe(env === undefined ? (e) => e : Effect.withConfigProvider(ConfigProvider.fromMap(new Map(env))))
