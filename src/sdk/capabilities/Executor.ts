/**
 * The capability executor (connector-py's `Integration.dispatch` and `CapabilityExecutor`, as Effect
 * code): `makeIntegration` turns a connector's typed handlers into one entry point that takes a
 * request (JSON text or a value) and always answers JSON: the capability's response, or the SDK's
 * `ErrorResponse` for a request that fails validation, lacks auth or settings, carries a bad page
 * token, or fails in the handler. `info` and `app_info` are answered here, from the Schemas.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { Effect, ParseResult, Schema } from "effect"
import type { RateLimiter } from "../RateLimiter.js"
import type { AuthKind } from "./Auth.js"
import { CapabilityError, ErrorBody, type ErrorCode, ErrorResponse } from "./Errors.js"
import { type Description, makeAppInfo, makeInfo } from "./Info.js"
import { type ModelledCapabilityName, ModelledCapabilityNames } from "./Names.js"
import { decodePageToken } from "./PageToken.js"
import type { EntitlementType, ResourceType } from "./Records.js"
import { envelope } from "./Requests.js"
import { AppInfoResponse, InfoResponse } from "./Responses.js"
import { type CapabilityRequest, type CapabilityResponse, CapabilitySpecs } from "./Specs.js"

export { CapabilitySpecs } from "./Specs.js"

export type CapabilityServices = HttpClient.HttpClient | RateLimiter

export type CapabilityHandler<K extends ModelledCapabilityName, S> = (
  request: CapabilityRequest<K>,
  settings: S
) => Effect.Effect<CapabilityResponse<K>, CapabilityError, CapabilityServices>

/** The handlers a connector writes (`app_info` is answered by the executor). */
export type CapabilityHandlers<S> = { readonly [K in Exclude<ModelledCapabilityName, "app_info">]?: CapabilityHandler<K, S> }

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

/** A connector's capabilities behind one entry point that always answers JSON. */
export interface Integration {
  readonly appId: string
  /** the capabilities it answers, sorted (`info` aside, as the SDK registers it apart) */
  readonly capabilities: ReadonlyArray<ModelledCapabilityName>
  /** `info`'s answer (an `InfoResponse`, encoded) */
  readonly info: Record<string, unknown>
  /** Run `capability` on a decoded JSON value: its response, or an `ErrorResponse`, encoded. */
  readonly run: (capability: string, input: unknown) => Effect.Effect<Record<string, unknown>, never, CapabilityServices>
  /** The same, from JSON text (text that is not JSON is a `bad_request`). */
  readonly dispatch: (capability: string, text: string) => Effect.Effect<Record<string, unknown>, never, CapabilityServices>
}

/** An answer is an `ErrorResponse` when it says `is_error`. */
export const isErrorAnswer = (answer: unknown): boolean =>
  typeof answer === "object" && answer !== null && "is_error" in answer && answer.is_error === true

const describeIssues = (error: ParseResult.ParseError, prefix: string) =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => `${[prefix, ...issue.path.map(String)].filter((p) => p !== "").join(".") || "(request)"}: ${issue.message}`)
    .join("; ")

const encodeJson = <A, I>(schema: Schema.Schema<A, I>, value: A) => Schema.encodeSync(schema)(value) as Record<string, unknown>

export const makeIntegration = <S, I>(definition: IntegrationDefinition<S, I>): Integration => {
  const handlers = definition.capabilities as Partial<Record<ModelledCapabilityName, CapabilityHandler<ModelledCapabilityName, S>>>
  const capabilities = ModelledCapabilityNames.filter((name) => name === "app_info" || handlers[name] !== undefined).sort()
  const description: Description = definition
  const info = makeInfo(description, capabilities)
  const infoAnswer = encodeJson(InfoResponse, new InfoResponse({ response: info }))
  const appInfoAnswer = encodeJson(AppInfoResponse, new AppInfoResponse({ response: makeAppInfo(description, info) }))
  const decodeSettings = Schema.decodeUnknown(definition.settings, { errors: "all", onExcessProperty: "ignore" })
  const decoders = new Map<ModelledCapabilityName, (u: unknown) => Effect.Effect<CapabilityRequest<ModelledCapabilityName>, ParseResult.ParseError>>()
  const decoderFor = (name: ModelledCapabilityName) => {
    const known = decoders.get(name)
    if (known !== undefined) return known
    const decode = Schema.decodeUnknown(envelope(CapabilitySpecs[name].payload), { errors: "all", onExcessProperty: "ignore" }) as (
      u: unknown
    ) => Effect.Effect<CapabilityRequest<ModelledCapabilityName>, ParseResult.ParseError>
    decoders.set(name, decode)
    return decode
  }

  const errorAnswer = (body: {
    readonly code: ErrorCode
    readonly message: string
    readonly raisedBy?: string | undefined
    readonly raisedIn?: string | undefined
    readonly status?: number | undefined
    readonly appErrorCode?: string | undefined
  }) =>
    encodeJson(
      ErrorResponse,
      new ErrorResponse({
        error: new ErrorBody({
          message: body.message,
          error_code: body.code,
          app_id: definition.appId,
          status_code: body.status ?? null,
          app_error_code: body.appErrorCode ?? null,
          raised_by: body.raisedBy ?? null,
          raised_in: body.raisedIn ?? null
        })
      })
    )
  /** a request the executor refuses before any handler runs (connector-py's CapabilityRequest*Error) */
  const badRequest = (raisedBy: string, message: string) => errorAnswer({ code: "bad_request", message, raisedBy })
  const fromHandler = (capability: string, e: CapabilityError) =>
    errorAnswer({
      code: e.code,
      message: e.message,
      raisedBy: e.raisedBy,
      raisedIn: `platforms.${definition.appId}.capabilities:${capability}`,
      status: e.status,
      appErrorCode: e.appErrorCode
    })

  const runModelled = (name: ModelledCapabilityName, input: unknown) =>
    Effect.gen(function*() {
      // every payload is a model, so an object (an empty model's Schema alone would take any value)
      const payload = typeof input === "object" && input !== null && "request" in input ? input.request : {}
      if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
        return badRequest("CapabilityRequestValidationError", `Invalid request - request: Expected an object, actual ${JSON.stringify(payload)}`)
      }
      const decoded = yield* Effect.either(decoderFor(name)(input))
      if (decoded._tag === "Left") {
        return badRequest("CapabilityRequestValidationError", `Invalid request - ${describeIssues(decoded.left, "")}`)
      }
      const request = decoded.right
      if (name === "app_info") return appInfoAnswer
      const handler = handlers[name]
      if (handler === undefined) return notImplemented(name)
      const hasAuth = request.auth !== undefined && request.auth !== null
      const hasCredentials = request.credentials !== undefined && request.credentials !== null
      if (hasAuth && hasCredentials) {
        return badRequest("CapabilityRequestAuthenticationError", "Cannot pass credentials and auth in the same request")
      }
      if (!hasAuth) {
        return badRequest(
          "CapabilityRequestAuthenticationError",
          hasCredentials
            ? `Missing auth/credentials in request: ${definition.appId} takes \`auth\` (a ${definition.auth} credential), not \`credentials\``
            : "Missing auth/credentials in request"
        )
      }
      if (request.settings === undefined || request.settings === null) {
        return badRequest(
          "CapabilityRequestSettingsError",
          `No settings passed on request: ${definition.appId} requires settings (info's request_settings_schema)`
        )
      }
      const settings = yield* Effect.either(decodeSettings(request.settings))
      if (settings._tag === "Left") {
        return badRequest("CapabilityRequestSettingsError", `Invalid settings passed on request. ${describeIssues(settings.left, "settings")}`)
      }
      // a page token is checked whether or not the capability pages: a capability that answers in one
      // page would otherwise accept a tampered or foreign token silently
      const token = request.page?.token
      if (typeof token === "string" && token !== "") {
        const checked = yield* Effect.either(decodePageToken(definition.appId, name, token))
        if (checked._tag === "Left") return fromHandler(name, checked.left)
      }
      const outcome = yield* handler(request, settings.right).pipe(
        Effect.catchAllDefect((defect) =>
          Effect.fail(new CapabilityError({ code: "unexpected_error", message: `unexpected failure: ${String(defect)}`, raisedBy: "Defect" }))
        ),
        Effect.either
      )
      if (outcome._tag === "Left") return fromHandler(name, outcome.left)
      const response = CapabilitySpecs[name].response as unknown as Schema.Schema<unknown, Record<string, unknown>>
      const encoded = Schema.encodeEither(response)(outcome.right)
      if (encoded._tag === "Left") {
        return errorAnswer({ code: "invalid_response", message: `Unexpected response from executed capability: ${encoded.left.message}`, raisedBy: "CapabilityResponseError" })
      }
      // raw data travels only when asked for
      return request.include_raw_data === true ? encoded.right : { ...encoded.right, raw_data: null }
    })

  const notImplemented = (capability: string) =>
    errorAnswer({
      code: "not_implemented",
      message: `Capability '${capability}' is not implemented by ${definition.appId}; it implements: ${capabilities.join(", ")}`,
      raisedBy: "CapabilityNotImplementedError"
    })

  const run = (capability: string, input: unknown): Effect.Effect<Record<string, unknown>, never, CapabilityServices> => {
    const answer = capability === "info"
      ? Effect.succeed(infoAnswer)
      : (ModelledCapabilityNames as ReadonlyArray<string>).includes(capability) &&
          (capability === "app_info" || handlers[capability as ModelledCapabilityName] !== undefined)
      ? runModelled(capability as ModelledCapabilityName, input)
      : Effect.succeed(notImplemented(capability))
    // one span per capability call (the HTTP requests it makes are spans of their own inside it)
    return answer.pipe(Effect.withSpan("Capabilities.run", { attributes: { app: definition.appId, capability } }))
  }

  return {
    appId: definition.appId,
    capabilities,
    info: infoAnswer,
    run,
    dispatch: (capability, text) =>
      Effect.suspend(() => {
        let input: unknown
        try {
          input = JSON.parse(text)
        } catch (cause) {
          return Effect.succeed(
            badRequest("CapabilityRequestValidationError", `Invalid request, expected JSON input: ${cause instanceof Error ? cause.message : String(cause)}`)
          )
        }
        return run(capability, input)
      })
  }
}
