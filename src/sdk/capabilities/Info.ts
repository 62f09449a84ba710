/**
 * What `info` and `app_info` say about a connector, generated from the Schemas it runs on: each
 * capability's argument and output JSON Schema (`JSONSchema.make`), the `auth` and settings schemas,
 * and an OpenAPI document with one `POST /<capability>` per capability.
 */
import { JSONSchema, type Schema } from "effect"
import { type AuthKind, BasicCredential, OAuthCredential, TokenCredential } from "./Auth.js"
import type { ModelledCapabilityName } from "./Names.js"
import { AppInfo, CapabilitySchema, type EntitlementType, Info, type ResourceType } from "./Records.js"
import { envelope } from "./Requests.js"
import { CapabilitySpecs } from "./Specs.js"

type Json = Record<string, unknown>
/** a Schema's JSON Schema, its top-level `$ref` (a class's) resolved so the root describes the object itself */
const jsonSchema = (schema: Schema.Schema.Any): Json => {
  const { $ref, $defs, ...rest } = { ...JSONSchema.make(schema) } as Json & { $ref?: unknown; $defs?: Record<string, unknown> }
  const name = typeof $ref === "string" ? $ref.replace("#/$defs/", "") : undefined
  const target = name !== undefined ? $defs?.[name] : undefined
  if (name === undefined || typeof target !== "object" || target === null) return { ...rest, ...($ref !== undefined ? { $ref } : {}), ...($defs !== undefined ? { $defs } : {}) }
  const others = Object.fromEntries(Object.entries($defs ?? {}).filter(([k]) => k !== name))
  return { ...rest, ...target, ...(Object.keys(others).length > 0 ? { $defs: others } : {}) }
}

const authSchemas: Record<AuthKind, Schema.Schema.Any> = {
  token: TokenCredential,
  oauth: OAuthCredential,
  basic: BasicCredential
}

export interface Description {
  readonly appId: string
  readonly version: string
  readonly auth: AuthKind
  readonly userFriendlyName: string
  readonly description: string
  readonly settings: Schema.Schema.Any
  readonly resourceTypes: ReadonlyArray<ResourceType>
  readonly entitlementTypes: ReadonlyArray<EntitlementType>
}

export const capabilitySchema = (name: ModelledCapabilityName) =>
  new CapabilitySchema({
    argument: jsonSchema(envelope(CapabilitySpecs[name].payload)),
    output: jsonSchema(CapabilitySpecs[name].response)
  })

export const makeInfo = (d: Description, capabilities: ReadonlyArray<ModelledCapabilityName>) => {
  const sorted = [...capabilities].sort()
  return new Info({
    app_id: d.appId,
    version: d.version,
    capabilities: sorted,
    capability_schema: Object.fromEntries(sorted.map((name) => [name, capabilitySchema(name)])),
    authentication_schema: jsonSchema(authSchemas[d.auth]),
    credentials_schema: [],
    user_friendly_name: d.userFriendlyName,
    description: d.description,
    entitlement_types: d.entitlementTypes,
    resource_types: d.resourceTypes,
    request_settings_schema: jsonSchema(d.settings)
  })
}

/** `app_info`: the connector's OpenAPI document (each capability a `POST /<name>`). */
export const makeAppInfo = (d: Description, info: Info) =>
  new AppInfo({
    app_id: d.appId,
    app_schema: {
      openapi: "3.1.0",
      info: { title: d.userFriendlyName, version: d.version, description: d.description },
      paths: Object.fromEntries(
        Object.entries(info.capability_schema).map(([name, schema]) => [
          `/${name}`,
          {
            post: {
              operationId: name,
              requestBody: { required: true, content: { "application/json": { schema: schema.argument } } },
              responses: { "200": { description: `${name} result`, content: { "application/json": { schema: schema.output } } } }
            }
          }
        ])
      )
    }
  })

