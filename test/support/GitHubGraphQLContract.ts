/**
 * GitHub's public GraphQL schema (contracts/github/schema.graphql.gz) as a contract:
 *   - `validateDocument`: graphql-js `validate()` of a document the connector sends;
 *   - `replayAnswer`: executes the same document against GitHub's schema with every field resolved from the
 *     simulator's `data` (by response key, aliases included; abstract types by `__typename`). graphql-js then
 *     completes each value with GitHub's types: an enum value GitHub lacks, a null where GitHub says non-null,
 *     a wrong scalar, a union member that is not one all fail, and any field the simulator sends beyond what
 *     was asked (or a value GitHub would serialise differently) shows up as a difference.
 * GitHub's SDL defines two fields of `EnterpriseOwnerInfo` twice, so the schema is built with `assumeValidSDL`.
 */
import { buildSchema, execute, type GraphQLSchema, parse, validate } from "graphql"
import { readFileSync } from "node:fs"
import { gunzipSync } from "node:zlib"

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

export const loadGitHubGraphQLSchema = (
  file: URL = new URL("../../contracts/github/schema.graphql.gz", import.meta.url)
): GraphQLSchema => buildSchema(gunzipSync(readFileSync(file)).toString("utf8"), { assumeValidSDL: true })

/** graphql-js's validation errors for `query` against GitHub's schema (none when valid) */
export const validateDocument = (schema: GraphQLSchema, query: string): ReadonlyArray<string> =>
  validate(schema, parse(query)).map((e) => e.message)

/** Paths where `actual` and `expected` differ (JSON values). */
export const jsonDifferences = (expected: unknown, actual: unknown, path = ""): ReadonlyArray<string> => {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) return [`${path || "(root)"}: ${actual.length} items where ${expected.length} are expected`]
    return expected.flatMap((e, i) => jsonDifferences(e, actual[i], `${path}/${i}`))
  }
  if (isObject(expected) && isObject(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])]
    return keys.flatMap((k) =>
      !(k in actual)
        ? [`${path}/${k}: missing`]
        : !(k in expected)
        ? [`${path}/${k}: not asked for, or not in GitHub's schema`]
        : jsonDifferences(expected[k], actual[k], `${path}/${k}`)
    )
  }
  return JSON.stringify(expected) === JSON.stringify(actual)
    ? []
    : [`${path || "(root)"}: ${JSON.stringify(actual)} where GitHub's types give ${JSON.stringify(expected)}`]
}

/**
 * Execute `query` against GitHub's schema with the simulator's `data` as the resolvers' source; what comes back
 * is what GitHub's types make of it. Returns the execution errors and the differences from the simulator's data.
 */
export const replayAnswer = (
  schema: GraphQLSchema,
  query: string,
  variables: Record<string, unknown>,
  data: unknown
): ReadonlyArray<string> => {
  const result = execute({
    schema,
    document: parse(query),
    rootValue: data,
    variableValues: variables,
    fieldResolver: (source, _args, _context, info) => (isObject(source) ? source[String(info.path.key)] : undefined),
    typeResolver: (value) => (isObject(value) && typeof value["__typename"] === "string" ? value["__typename"] : undefined)
  })
  if (result instanceof Promise) return ["execution went asynchronous"]
  const errors = (result.errors ?? []).map((e) => `${(e.path ?? []).join(".")}: ${e.message}`)
  const replayed = JSON.parse(JSON.stringify(result.data ?? null)) as unknown
  return [...errors, ...jsonDifferences(replayed, data)]
}
