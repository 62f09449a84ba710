/**
 * GitHub's published REST contract (contracts/github/openapi-subset.json) as a validator: a response
 * (operation, status, body) is checked with ajv against the schema GitHub declares for that status.
 * OpenAPI 3.0 `nullable` becomes a JSON Schema type array (or `anyOf [..., null]` beside a `$ref`/`allOf`);
 * `additionalProperties` stays as the description says (mostly absent: extra fields are allowed).
 * A status the operation does not declare follows GitHub's general rules: 304 (and 204) carry no body, and a
 * 4xx/5xx carries GitHub's `basic-error`; such checks say `declared: false`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv"
import ajvFormats from "ajv-formats"
import { readFileSync } from "node:fs"

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }
type JsonObject = { readonly [key: string]: Json }

const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value)
const at = (value: unknown, ...keys: ReadonlyArray<string>): Json | undefined => {
  let current: unknown = value
  for (const key of keys) current = isObject(current) ? current[key] : undefined
  return current as Json | undefined
}

const componentsId = "https://verity.invalid/github-components.json"

/** OpenAPI 3.0 schema -> JSON Schema (draft-07, as ajv runs it). */
export const toJsonSchema = (schema: Json): Json => {
  if (Array.isArray(schema)) return schema.map(toJsonSchema)
  if (!isObject(schema)) return schema
  const out: Record<string, Json> = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key === "nullable" || key === "example" || key === "discriminator" || key === "externalDocs" || key.startsWith("x-")) continue
    if (key === "$ref" && typeof value === "string") {
      out[key] = value.replace(/^#\/components\/schemas\//, `${componentsId}#/definitions/`)
    } else if (key === "properties" && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, toJsonSchema(s)]))
    } else out[key] = toJsonSchema(value)
  }
  if (schema["nullable"] !== true) return out
  const type = out["type"]
  if (typeof type === "string") {
    out["type"] = [type, "null"]
    const values = out["enum"]
    if (Array.isArray(values) && !values.includes(null)) out["enum"] = [...values, null]
    return out
  }
  return { anyOf: [out, { type: "null" }] }
}

export interface ContractCheck {
  /** "GET /orgs/{org}" */
  readonly operation: string
  readonly status: number
  /** false when the operation does not declare the status and GitHub's general rules applied */
  readonly declared: boolean
  /** one line per mismatch, naming the field ("/0/owner/node_id is required") */
  readonly errors: ReadonlyArray<string>
}

export interface GitHubContract {
  /** "GET /orgs/{org}/teams", from a method and a concrete path; undefined when the subset has no such operation */
  readonly operationOf: (method: string, path: string) => string | undefined
  readonly operations: ReadonlyArray<string>
  /** the statuses the description declares for an operation */
  readonly declaredStatuses: (operation: string) => ReadonlyArray<number>
  readonly check: (operation: string, status: number, body: unknown) => ContractCheck
  /** GitHub's own example bodies for an operation's responses (`examples` in the description) */
  readonly examples: (operation: string) => ReadonlyArray<{ readonly status: number; readonly name: string; readonly value: unknown }>
}

const describe = (e: ErrorObject): string => {
  const where = e.instancePath === "" ? "(root)" : e.instancePath
  if (e.keyword === "required") return `${e.instancePath}/${String(e.params["missingProperty"])} is required`
  if (e.keyword === "additionalProperties") return `${e.instancePath}/${String(e.params["additionalProperty"])} is not allowed`
  return `${where} ${e.message ?? e.keyword}${e.keyword === "enum" ? ` ${JSON.stringify(e.params["allowedValues"])}` : ""}`
}

// ajv-formats is CommonJS: its default import is `module.exports`, which carries the plugin as `default` too
const addFormats = ajvFormats.default

export const loadGitHubContract = (
  file: URL = new URL("../../contracts/github/openapi-subset.json", import.meta.url)
): GitHubContract => {
  const spec = JSON.parse(readFileSync(file, "utf8")) as JsonObject
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, strictTuples: false })
  addFormats(ajv)
  ajv.addSchema({ $id: componentsId, definitions: toJsonSchema(at(spec, "components", "schemas") ?? {}) })

  const routes: Array<{ readonly key: string; readonly method: string; readonly pattern: RegExp; readonly operation: JsonObject }> = []
  for (const [path, item] of Object.entries(isObject(spec["paths"]) ? spec["paths"] : {})) {
    for (const [method, operation] of Object.entries(isObject(item) ? item : {})) {
      if (!isObject(operation)) continue
      const pattern = new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}/?$`)
      routes.push({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), pattern, operation })
    }
  }
  const routeOf = (operation: string) => {
    const route = routes.find((r) => r.key === operation)
    if (route === undefined) throw new Error(`${operation} is not in contracts/github/openapi-subset.json`)
    return route
  }
  /** a response object, `$ref`s to components/responses followed */
  const responseOf = (operation: string, status: number): JsonObject | undefined => {
    let response = at(routeOf(operation).operation, "responses", String(status))
    const ref = at(response, "$ref")
    if (typeof ref === "string") response = at(spec, ...ref.replace(/^#\//, "").split("/"))
    return isObject(response) ? response : undefined
  }
  const compiled = new Map<string, ValidateFunction>()
  const validatorFor = (key: string, schema: Json): ValidateFunction => {
    const known = compiled.get(key)
    if (known) return known
    const fn = ajv.compile(toJsonSchema(schema) as object)
    compiled.set(key, fn)
    return fn
  }
  const noBody = (body: unknown) => (body === undefined || body === "" ? [] : ["(root) must be empty: this status carries no body"])
  const run = (key: string, schema: Json, body: unknown): ReadonlyArray<string> => {
    const validate = validatorFor(key, schema)
    return validate(body) ? [] : (validate.errors ?? []).map(describe)
  }

  return {
    operations: routes.map((r) => r.key),
    operationOf: (method, path) => {
      const pathname = path.split("?")[0] ?? path
      return routes.find((r) => r.method === method.toUpperCase() && r.pattern.test(pathname))?.key
    },
    declaredStatuses: (operation) => Object.keys(at(routeOf(operation).operation, "responses") as JsonObject).map(Number),
    check: (operation, status, body) => {
      const response = responseOf(operation, status)
      if (response !== undefined) {
        const schema = at(response, "content", "application/json", "schema")
        return { operation, status, declared: true, errors: schema === undefined ? noBody(body) : run(`${operation} ${status}`, schema, body) }
      }
      if (status === 304 || status === 204) return { operation, status, declared: false, errors: noBody(body) }
      if (status >= 400) {
        return { operation, status, declared: false, errors: run("basic-error", { $ref: "#/components/schemas/basic-error" }, body) }
      }
      return { operation, status, declared: false, errors: [`${operation} declares no ${status} answer`] }
    },
    examples: (operation) =>
      Object.keys(at(routeOf(operation).operation, "responses") as JsonObject).flatMap((status) => {
        const examples = at(responseOf(operation, Number(status)), "content", "application/json", "examples")
        return Object.entries(isObject(examples) ? examples : {}).flatMap(([name, example]) => {
          const ref = at(example, "$ref")
          const resolved = typeof ref === "string" ? at(spec, ...ref.replace(/^#\//, "").split("/")) : example
          const value = at(resolved, "value")
          return value === undefined ? [] : [{ status: Number(status), name, value: value as unknown }]
        })
      })
  }
}
