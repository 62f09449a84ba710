/**
 * The capability executor (the Lumos connector SDK's, as Effect code): `makeIntegration` turns a
 * connector's typed handlers into one entry point that takes unknown JSON and answers JSON (what the
 * `connector` CLI and embedding programs call): it decodes the request and settings, checks page
 * tokens, runs the handler and wraps its failures in the error envelope.
 */
import type { HttpClient } from "@effect/platform"
import { Effect, JSONSchema, ParseResult, Schema } from "effect"
import type { RateLimiter } from "../RateLimiter.js"
import type { AuthKind } from "./Auth.js"
import { CapabilityError, CapabilityFailure, ErrorBody, ErrorEnvelope, MalformedRequest, UnknownCapability } from "./Errors.js"
import { type CapabilityName, isCapabilityName, type StandardCapabilityName, StandardCapabilityNames } from "./Names.js"
import { decodePageToken, type PageRequest } from "./PageToken.js"
import { AppInfo, type EntitlementType, type ResourceType } from "./Records.js"
import {
  ActivateAccountRequest,
  AssignEntitlementRequest,
  CreateAccountRequest,
  DeactivateAccountRequest,
  DeleteAccountRequest,
  FindEntitlementAssociationsRequest,
  GetLastActivityRequest,
  InfoRequest,
  ListAccountsRequest,
  ListEntitlementsRequest,
  ListResourcesRequest,
  UnassignEntitlementRequest,
  ValidateCredentialsRequest
} from "./Requests.js"
import {
  AccountResponse,
  EmptyResponse,
  FindEntitlementAssociationsResponse,
  GetLastActivityResponse,
  InfoResponse,
  ListAccountsResponse,
  ListEntitlementsResponse,
  ListResourcesResponse,
  ValidateCredentialsResponse
} from "./Responses.js"

export const CapabilitySpecs = {
  validate_credentials: { request: ValidateCredentialsRequest, response: ValidateCredentialsResponse },
  list_accounts: { request: ListAccountsRequest, response: ListAccountsResponse },
  list_resources: { request: ListResourcesRequest, response: ListResourcesResponse },
  list_entitlements: { request: ListEntitlementsRequest, response: ListEntitlementsResponse },
  find_entitlement_associations: { request: FindEntitlementAssociationsRequest, response: FindEntitlementAssociationsResponse },
  get_last_activity: { request: GetLastActivityRequest, response: GetLastActivityResponse },
  create_account: { request: CreateAccountRequest, response: AccountResponse },
  activate_account: { request: ActivateAccountRequest, response: AccountResponse },
  deactivate_account: { request: DeactivateAccountRequest, response: AccountResponse },
  delete_account: { request: DeleteAccountRequest, response: EmptyResponse },
  assign_entitlement: { request: AssignEntitlementRequest, response: EmptyResponse },
  unassign_entitlement: { request: UnassignEntitlementRequest, response: EmptyResponse }
} as const
type Specs = typeof CapabilitySpecs

export type CapabilityServices = HttpClient.HttpClient | RateLimiter

export type CapabilityHandler<K extends StandardCapabilityName, S> = (
  request: Specs[K]["request"]["Type"],
  settings: S
) => Effect.Effect<Specs[K]["response"]["Type"], CapabilityError, CapabilityServices>

export type CapabilityHandlers<S> = { readonly [K in StandardCapabilityName]?: CapabilityHandler<K, S> }

export interface IntegrationDefinition<S, I> {
  readonly appId: string
  readonly version: string
  readonly auth: AuthKind
  readonly userFriendlyName: string
  readonly description: string
  /** the capability settings (auth travels separately); `info` derives their JSON Schema from it */
  readonly settings: Schema.Schema<S, I, never>
  readonly resourceTypes: ReadonlyArray<ResourceType>
  readonly entitlementTypes: ReadonlyArray<EntitlementType>
  readonly capabilities: CapabilityHandlers<S>
}

/** A connector's capabilities behind one JSON-in, JSON-out entry point. */
export interface Integration {
  readonly appId: string
  readonly info: AppInfo
  /** the capabilities it answers (`info` included) */
  readonly capabilities: ReadonlyArray<CapabilityName>
  /** Decode `input` for `capability`, run it, and answer the response's JSON (encoded). */
  readonly run: (
    capability: string,
    input: unknown
  ) => Effect.Effect<unknown, CapabilityFailure | MalformedRequest | UnknownCapability, CapabilityServices>
}

const firstIssue = (error: ParseResult.ParseError, prefix: string): MalformedRequest => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const first = issues[0]
  const field = [prefix, ...(first?.path ?? []).map(String)].filter((p) => p !== "").join(".")
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : ""
  return new MalformedRequest({ field, problem: `${first?.message ?? "invalid"}${more}` })
}

export const makeIntegration = <S, I>(definition: IntegrationDefinition<S, I>): Integration => {
  const supported: ReadonlyArray<CapabilityName> = [
    ...StandardCapabilityNames.filter((name) => definition.capabilities[name] !== undefined),
    "info"
  ]
  const info = new AppInfo({
    app_id: definition.appId,
    version: definition.version,
    auth: definition.auth,
    user_friendly_name: definition.userFriendlyName,
    description: definition.description,
    settings_schema: JSONSchema.make(definition.settings),
    resource_types: definition.resourceTypes,
    entitlement_types: definition.entitlementTypes,
    capabilities: supported
  })
  const envelope = (capability: string, error: CapabilityError) =>
    new CapabilityFailure({
      envelope: new ErrorEnvelope({
        error: new ErrorBody({
          message: error.message,
          error_code: error.code,
          app_id: definition.appId,
          raised_by: error.raisedBy,
          raised_in: `${definition.appId}.${capability}`
        })
      })
    })
  const decodeSettings = Schema.decodeUnknown(definition.settings, { errors: "all", onExcessProperty: "ignore" })

  const runStandard = <K extends StandardCapabilityName>(name: K, input: unknown) =>
    Effect.gen(function*() {
      const spec = CapabilitySpecs[name]
      const handler = definition.capabilities[name] as CapabilityHandler<K, S> | undefined
      if (handler === undefined) {
        return yield* Effect.fail(envelope(
          name,
          new CapabilityError({
            code: "unsupported",
            message: `${definition.appId} does not support ${name}; it supports: ${supported.join(", ")}`,
            raisedBy: "UnsupportedCapability"
          })
        ))
      }
      const request = yield* Schema.decodeUnknown(spec.request as Schema.Schema<Specs[K]["request"]["Type"], unknown>, {
        errors: "all",
        onExcessProperty: "ignore"
      })(input).pipe(Effect.mapError((e) => firstIssue(e, "")))
      const settings = yield* decodeSettings(request.settings).pipe(Effect.mapError((e) => firstIssue(e, "settings")))
      // a page token is checked whether or not the capability pages: a capability that answers in one
      // page would otherwise accept a tampered or foreign token silently
      const token = "page" in request ? (request.page as PageRequest | undefined)?.token : undefined
      if (typeof token === "string" && token !== "") {
        yield* decodePageToken(definition.appId, name, token).pipe(Effect.mapError((e) => envelope(name, e)))
      }
      const response = yield* handler(request, settings).pipe(
        Effect.catchAllDefect((defect) =>
          Effect.fail(
            new CapabilityError({ code: "unexpected_error", message: `unexpected failure: ${String(defect)}`, raisedBy: "Defect" })
          )
        ),
        Effect.mapError((e) => envelope(name, e))
      )
      return yield* Schema.encode(spec.response as Schema.Schema<Specs[K]["response"]["Type"], unknown>)(response).pipe(
        Effect.mapError((e) =>
          envelope(
            name,
            new CapabilityError({ code: "unexpected_error", message: `invalid response: ${e.message}`, raisedBy: "ResponseEncoding" })
          )
        )
      )
    })

  return {
    appId: definition.appId,
    info,
    capabilities: supported,
    run: (capability, input) => {
      const run = (): Effect.Effect<unknown, CapabilityFailure | MalformedRequest | UnknownCapability, CapabilityServices> => {
        if (!isCapabilityName(capability)) return Effect.fail(new UnknownCapability({ name: capability }))
        if (capability === "info") {
          return Schema.decodeUnknown(InfoRequest, { errors: "all", onExcessProperty: "ignore" })(input ?? {}).pipe(
            Effect.mapError((e) => firstIssue(e, "")),
            Effect.flatMap(() => Schema.encode(InfoResponse)(new InfoResponse({ response: info }))),
            Effect.catchTag("ParseError", (e) => Effect.die(e))
          )
        }
        return runStandard(capability, input)
      }
      // one span per capability call (the HTTP requests it makes are spans of their own inside it)
      return run().pipe(Effect.withSpan("Capabilities.run", { attributes: { app: definition.appId, capability } }))
    }
  }
}
