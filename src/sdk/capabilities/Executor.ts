/**
 * The capability model (the Lumos connector SDK's, as Effect code): standard capability names, the
 * request/response Schema classes whose JSON shapes are the tutorial's, the error envelope, opaque page
 * tokens, and `Integration`, which turns a connector's typed handlers into one entry point that takes
 * unknown JSON and answers JSON (what the `connector` CLI and embedding programs call).
 */
import type { HttpClient } from "@effect/platform"
import { createHmac, timingSafeEqual } from "node:crypto"
import { Data, Effect, Either, JSONSchema, Option, ParseResult, Redacted, Schema } from "effect"
import type { ConnectorError } from "../../domain/Errors.js"
import type { RateLimiter } from "../RateLimiter.js"

// ---------------------------------------------------------------------------------------------
// Names

export const ReadCapabilityNames = [
  "validate_credentials",
  "list_accounts",
  "list_resources",
  "list_entitlements",
  "find_entitlement_associations",
  "get_last_activity"
] as const
export const WriteCapabilityNames = [
  "create_account",
  "activate_account",
  "deactivate_account",
  "delete_account",
  "assign_entitlement",
  "unassign_entitlement"
] as const
export const StandardCapabilityNames = [...ReadCapabilityNames, ...WriteCapabilityNames] as const
export type StandardCapabilityName = typeof StandardCapabilityNames[number]
export const CapabilityNames = [...StandardCapabilityNames, "info"] as const
export type CapabilityName = typeof CapabilityNames[number]

export const isCapabilityName = (name: string): name is CapabilityName =>
  (CapabilityNames as ReadonlyArray<string>).includes(name)

// ---------------------------------------------------------------------------------------------
// Errors

export const ErrorCode = Schema.Literal(
  "bad_request",
  "unauthorized",
  "permission_denied",
  "not_found",
  "conflict",
  "rate_limit",
  "api_error",
  "unsupported",
  "unexpected_error"
)
export type ErrorCode = typeof ErrorCode.Type

/** HTTP status of an upstream answer -> the capability error code a caller sees. */
export const errorCodeForStatus = (status: number): ErrorCode => {
  switch (status) {
    case 400:
    case 422:
      return "bad_request"
    case 401:
      return "unauthorized"
    case 403:
      return "permission_denied"
    case 404:
      return "not_found"
    case 409:
      return "conflict"
    case 429:
      return "rate_limit"
    default:
      return status >= 500 ? "api_error" : status >= 400 ? "bad_request" : "unexpected_error"
  }
}

/** What a capability handler fails with. `raisedBy` names the kind of failure it came from. */
export class CapabilityError extends Schema.TaggedError<CapabilityError>()("CapabilityError", {
  code: ErrorCode,
  message: Schema.String,
  raisedBy: Schema.optionalWith(Schema.String, { default: () => "CapabilityError" }),
  status: Schema.optional(Schema.Number)
}) {
  static fromConnectorError(error: ConnectorError): CapabilityError {
    const code: ErrorCode = error.status !== undefined && error.status >= 400
      ? (error.reason === "rate_limited" ? "rate_limit" : errorCodeForStatus(error.status))
      : error.reason === "unauthorized"
      ? "unauthorized"
      : error.reason === "forbidden"
      ? "permission_denied"
      : error.reason === "not_found"
      ? "not_found"
      : error.reason === "conflict"
      ? "conflict"
      : error.reason === "rate_limited"
      ? "rate_limit"
      : error.reason === "unsupported"
      ? "unsupported"
      : error.reason === "invalid_request"
      ? "bad_request"
      : "api_error"
    return new CapabilityError({
      code,
      message: error.message,
      raisedBy: error.status !== undefined ? "HTTPStatusError" : `ConnectorError.${error.reason}`,
      ...(error.status !== undefined ? { status: error.status } : {})
    })
  }
}

/** The error envelope: `{"error": {"message", "error_code", "app_id", "raised_by", "raised_in"}}`. */
export class ErrorBody extends Schema.Class<ErrorBody>("ErrorBody")({
  message: Schema.String,
  error_code: ErrorCode,
  app_id: Schema.String,
  raised_by: Schema.String,
  raised_in: Schema.String
}) {}
export class ErrorEnvelope extends Schema.Class<ErrorEnvelope>("ErrorEnvelope")({ error: ErrorBody }) {}

/** A capability answered with an error envelope (exit 1 on the CLI). */
export class CapabilityFailure extends Data.TaggedError("CapabilityFailure")<{ readonly envelope: ErrorEnvelope }> {
  override get message() {
    return `${this.envelope.error.error_code}: ${this.envelope.error.message}`
  }
}

/** The request itself is malformed: not JSON, or a field of the wrong type (exit 2 on the CLI). */
export class MalformedRequest extends Data.TaggedError("MalformedRequest")<{
  readonly field: string
  readonly problem: string
}> {
  override get message() {
    return this.field === "" ? `malformed request: ${this.problem}` : `malformed request: field "${this.field}": ${this.problem}`
  }
}

/** Not a capability name at all (exit 2 on the CLI). */
export class UnknownCapability extends Data.TaggedError("UnknownCapability")<{ readonly name: string }> {
  override get message() {
    return `unknown capability "${this.name}"; capabilities: ${CapabilityNames.join(", ")}`
  }
}

// ---------------------------------------------------------------------------------------------
// Auth, settings, paging

export const TokenCredential = Schema.Struct({ token: Schema.Struct({ token: Schema.Redacted(Schema.NonEmptyString) }) })
export const OAuthCredential = Schema.Struct({
  oauth: Schema.Struct({ access_token: Schema.Redacted(Schema.NonEmptyString) })
})
export const BasicCredential = Schema.Struct({
  basic: Schema.Struct({ username: Schema.String, password: Schema.Redacted(Schema.String) })
})
export const AuthCredential = Schema.Union(TokenCredential, OAuthCredential, BasicCredential)
export type AuthCredential = typeof AuthCredential.Type

export const AuthKind = Schema.Literal("token", "oauth", "basic")
export type AuthKind = typeof AuthKind.Type

/** The bearer secret of a token or OAuth credential; an `unauthorized` error otherwise. */
export const bearerToken = (auth: AuthCredential | undefined): Effect.Effect<Redacted.Redacted<string>, CapabilityError> => {
  if (auth !== undefined && "token" in auth) return Effect.succeed(auth.token.token)
  if (auth !== undefined && "oauth" in auth) return Effect.succeed(auth.oauth.access_token)
  return Effect.fail(
    new CapabilityError({
      code: "unauthorized",
      message: "this capability needs a token credential: {\"auth\":{\"token\":{\"token\":\"...\"}}}",
      raisedBy: "MissingCredentials"
    })
  )
}

export const PageSize = Schema.Int.pipe(Schema.between(1, 1000))

export class PageRequest extends Schema.Class<PageRequest>("PageRequest")({
  token: Schema.optional(Schema.NullOr(Schema.String)),
  size: Schema.optional(PageSize)
}) {}

export class Page extends Schema.Class<Page>("Page")({
  token: Schema.String,
  size: Schema.Int
}) {}

/** Where one upstream endpoint stopped: an offset, or the platform's own cursor (a page number, a link). */
export class PageCursor extends Schema.Class<PageCursor>("PageCursor")({
  endpoint: Schema.String,
  offset: Schema.optionalWith(Schema.Int.pipe(Schema.nonNegative()), { default: () => 0 }),
  cursor: Schema.optional(Schema.String)
}) {}

const PageState = Schema.parseJson(Schema.Struct({
  v: Schema.Literal(1),
  app: Schema.String,
  cap: Schema.String,
  cursors: Schema.Array(PageCursor)
}))

// Integrity, not secrecy: the key is fixed so tokens survive across processes (a CLI run hands its
// token to the next); the MAC binds a token to its app and capability, so a tampered or foreign token
// is recognised before anything in it is trusted.
const tokenKey = "verity/page-token/v1"
const mac = (appId: string, capability: string, payload: string) =>
  createHmac("sha256", tokenKey).update(`${appId}\n${capability}\n${payload}`).digest().subarray(0, 16)

export const encodePageToken = (appId: string, capability: string, cursors: ReadonlyArray<PageCursor>): string => {
  const payload = Buffer.from(
    Schema.encodeSync(PageState)({ v: 1, app: appId, cap: capability, cursors }),
    "utf8"
  ).toString("base64url")
  return `${payload}.${mac(appId, capability, payload).toString("base64url")}`
}

const badToken = (why: string) =>
  new CapabilityError({
    code: "bad_request",
    message: `invalid page token: ${why}; pass back the token of the previous page unchanged`,
    raisedBy: "PageTokenError"
  })

export const decodePageToken = (
  appId: string,
  capability: string,
  token: string
): Effect.Effect<ReadonlyArray<PageCursor>, CapabilityError> =>
  Effect.suspend(() => {
    const [payload, signature, ...rest] = token.split(".")
    if (payload === undefined || signature === undefined || rest.length > 0 || payload === "") {
      return Effect.fail(badToken("not a page token"))
    }
    const expected = mac(appId, capability, payload)
    const given = Buffer.from(signature, "base64url")
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return Effect.fail(badToken(`it was altered, or issued by another app or capability than ${appId} ${capability}`))
    }
    return Either.match(Schema.decodeUnknownEither(PageState)(Buffer.from(payload, "base64url").toString("utf8")), {
      onLeft: () => Effect.fail(badToken("unreadable contents")),
      onRight: (state) => Effect.succeed(state.cursors)
    })
  })

/**
 * Page through several upstream endpoints, one after the other, behind one opaque token. `fetch`
 * reads up to `size` items from one endpoint at `cursor` and says where that endpoint continues (or
 * `None` when it is done). A page is filled from as many endpoints as it takes.
 */
export const paginate = <A, E, R>(options: {
  readonly appId: string
  readonly capability: string
  readonly endpoints: ReadonlyArray<string>
  readonly page: PageRequest | undefined
  readonly defaultSize: number
  readonly fetch: (
    cursor: PageCursor,
    size: number
  ) => Effect.Effect<{ readonly items: ReadonlyArray<A>; readonly next: Option.Option<PageCursor> }, E, R>
}): Effect.Effect<{ readonly items: ReadonlyArray<A>; readonly page: Page | undefined }, E | CapabilityError, R> =>
  Effect.gen(function*() {
    const size = options.page?.size ?? options.defaultSize
    const token = options.page?.token
    let cursors: ReadonlyArray<PageCursor> = token
      ? yield* decodePageToken(options.appId, options.capability, token)
      : options.endpoints.map((endpoint) => new PageCursor({ endpoint, offset: 0 }))
    for (const c of cursors) {
      if (!options.endpoints.includes(c.endpoint)) return yield* badToken(`unknown endpoint "${c.endpoint}"`)
    }
    const items: Array<A> = []
    while (items.length < size && cursors.length > 0) {
      const [head, ...rest] = cursors
      if (head === undefined) break
      const got = yield* options.fetch(head, size - items.length)
      items.push(...got.items)
      cursors = Option.match(got.next, { onNone: () => rest, onSome: (next) => [next, ...rest] })
    }
    return {
      items,
      page: cursors.length > 0 ? new Page({ token: encodePageToken(options.appId, options.capability, cursors), size }) : undefined
    }
  })

// ---------------------------------------------------------------------------------------------
// Request payloads (the `request` member) and response data

export class EmptyPayload extends Schema.Class<EmptyPayload>("EmptyPayload")({}) {}

export class ListResourcesPayload extends Schema.Class<ListResourcesPayload>("ListResourcesPayload")({
  resource_type: Schema.optional(Schema.String)
}) {}

export class ListEntitlementsPayload extends Schema.Class<ListEntitlementsPayload>("ListEntitlementsPayload")({
  resource_type: Schema.optional(Schema.String),
  resource_id: Schema.optional(Schema.String)
}) {}

export class FindEntitlementAssociationsPayload
  extends Schema.Class<FindEntitlementAssociationsPayload>("FindEntitlementAssociationsPayload")({
    account_ids: Schema.optional(Schema.Array(Schema.String)),
    entitlement_ids: Schema.optional(Schema.Array(Schema.String)),
    resource_ids: Schema.optional(Schema.Array(Schema.String))
  })
{}

export class GetLastActivityPayload extends Schema.Class<GetLastActivityPayload>("GetLastActivityPayload")({
  account_ids: Schema.Array(Schema.String)
}) {}

export class CreateAccountPayload extends Schema.Class<CreateAccountPayload>("CreateAccountPayload")({
  email: Schema.NonEmptyTrimmedString,
  display_name: Schema.optional(Schema.String),
  given_name: Schema.optional(Schema.String),
  family_name: Schema.optional(Schema.String),
  username: Schema.optional(Schema.String)
}) {}

export class AccountPayload extends Schema.Class<AccountPayload>("AccountPayload")({
  account_id: Schema.NonEmptyTrimmedString
}) {}

export class EntitlementPayload extends Schema.Class<EntitlementPayload>("EntitlementPayload")({
  account_id: Schema.NonEmptyTrimmedString,
  entitlement_id: Schema.NonEmptyTrimmedString,
  resource_id: Schema.NonEmptyTrimmedString,
  entitlement_type: Schema.optional(Schema.String),
  resource_type: Schema.optional(Schema.String)
}) {}

export const AccountStatus = Schema.Literal("active", "inactive", "deactivated")
export type AccountStatus = typeof AccountStatus.Type

export class ValidatedCredentials extends Schema.Class<ValidatedCredentials>("ValidatedCredentials")({
  valid: Schema.Boolean,
  unique_tenant_id: Schema.String
}) {}

export class FoundAccountData extends Schema.Class<FoundAccountData>("FoundAccountData")({
  account_id: Schema.String,
  email: Schema.NullOr(Schema.String),
  display_name: Schema.NullOr(Schema.String),
  status: AccountStatus
}) {}

export class FoundResourceData extends Schema.Class<FoundResourceData>("FoundResourceData")({
  resource_id: Schema.String,
  resource_type: Schema.String,
  display_name: Schema.String,
  description: Schema.NullOr(Schema.String)
}) {}

export class FoundEntitlementData extends Schema.Class<FoundEntitlementData>("FoundEntitlementData")({
  entitlement_id: Schema.String,
  entitlement_type: Schema.String,
  resource_id: Schema.String,
  display_name: Schema.String,
  description: Schema.NullOr(Schema.String)
}) {}

export class FoundEntitlementAssociation extends Schema.Class<FoundEntitlementAssociation>("FoundEntitlementAssociation")({
  account_id: Schema.String,
  entitlement_id: Schema.String,
  resource_id: Schema.String
}) {}

export class LastActivityData extends Schema.Class<LastActivityData>("LastActivityData")({
  account_id: Schema.String,
  event_type: Schema.Literal("last_login", "last_activity"),
  happened_at: Schema.String
}) {}

export class ResourceType extends Schema.Class<ResourceType>("ResourceType")({
  type_id: Schema.String,
  type_label: Schema.String
}) {}

export class EntitlementType extends Schema.Class<EntitlementType>("EntitlementType")({
  type_id: Schema.String,
  type_label: Schema.String,
  resource_type_id: Schema.String,
  min: Schema.Int.pipe(Schema.nonNegative()),
  max: Schema.optional(Schema.Int.pipe(Schema.positive()))
}) {}

export class AppInfo extends Schema.Class<AppInfo>("AppInfo")({
  app_id: Schema.String,
  version: Schema.String,
  auth: AuthKind,
  user_friendly_name: Schema.String,
  description: Schema.String,
  settings_schema: Schema.Unknown,
  resource_types: Schema.Array(ResourceType),
  entitlement_types: Schema.Array(EntitlementType),
  capabilities: Schema.Array(Schema.String)
}) {}

// ---------------------------------------------------------------------------------------------
// Requests and responses

const requestFields = <P extends Schema.Schema.Any>(payload: P) => ({
  auth: Schema.optional(AuthCredential),
  request: payload,
  settings: Schema.optionalWith(Schema.Unknown, { default: () => ({}) }),
  page: Schema.optional(PageRequest)
})

export class ValidateCredentialsRequest
  extends Schema.Class<ValidateCredentialsRequest>("ValidateCredentialsRequest")(requestFields(EmptyPayload))
{}
export class ListAccountsRequest extends Schema.Class<ListAccountsRequest>("ListAccountsRequest")(requestFields(EmptyPayload)) {}
export class ListResourcesRequest
  extends Schema.Class<ListResourcesRequest>("ListResourcesRequest")(requestFields(ListResourcesPayload))
{}
export class ListEntitlementsRequest
  extends Schema.Class<ListEntitlementsRequest>("ListEntitlementsRequest")(requestFields(ListEntitlementsPayload))
{}
export class FindEntitlementAssociationsRequest
  extends Schema.Class<FindEntitlementAssociationsRequest>("FindEntitlementAssociationsRequest")(
    requestFields(FindEntitlementAssociationsPayload)
  )
{}
export class GetLastActivityRequest
  extends Schema.Class<GetLastActivityRequest>("GetLastActivityRequest")(requestFields(GetLastActivityPayload))
{}
export class CreateAccountRequest
  extends Schema.Class<CreateAccountRequest>("CreateAccountRequest")(requestFields(CreateAccountPayload))
{}
export class ActivateAccountRequest
  extends Schema.Class<ActivateAccountRequest>("ActivateAccountRequest")(requestFields(AccountPayload))
{}
export class DeactivateAccountRequest
  extends Schema.Class<DeactivateAccountRequest>("DeactivateAccountRequest")(requestFields(AccountPayload))
{}
export class DeleteAccountRequest extends Schema.Class<DeleteAccountRequest>("DeleteAccountRequest")(requestFields(AccountPayload)) {}
export class AssignEntitlementRequest
  extends Schema.Class<AssignEntitlementRequest>("AssignEntitlementRequest")(requestFields(EntitlementPayload))
{}
export class UnassignEntitlementRequest
  extends Schema.Class<UnassignEntitlementRequest>("UnassignEntitlementRequest")(requestFields(EntitlementPayload))
{}
export class InfoRequest extends Schema.Class<InfoRequest>("InfoRequest")({
  request: Schema.optionalWith(EmptyPayload, { default: () => new EmptyPayload({}) }),
  settings: Schema.optionalWith(Schema.Unknown, { default: () => ({}) })
}) {}

const paged = Schema.optional(Page)

export class ValidateCredentialsResponse extends Schema.Class<ValidateCredentialsResponse>("ValidateCredentialsResponse")({
  response: ValidatedCredentials
}) {}
export class ListAccountsResponse extends Schema.Class<ListAccountsResponse>("ListAccountsResponse")({
  response: Schema.Array(FoundAccountData),
  page: paged
}) {}
export class ListResourcesResponse extends Schema.Class<ListResourcesResponse>("ListResourcesResponse")({
  response: Schema.Array(FoundResourceData),
  page: paged
}) {}
export class ListEntitlementsResponse extends Schema.Class<ListEntitlementsResponse>("ListEntitlementsResponse")({
  response: Schema.Array(FoundEntitlementData),
  page: paged
}) {}
export class FindEntitlementAssociationsResponse
  extends Schema.Class<FindEntitlementAssociationsResponse>("FindEntitlementAssociationsResponse")({
    response: Schema.Array(FoundEntitlementAssociation),
    page: paged
  })
{}
export class GetLastActivityResponse extends Schema.Class<GetLastActivityResponse>("GetLastActivityResponse")({
  response: Schema.Array(LastActivityData),
  page: paged
}) {}
export class AccountResponse extends Schema.Class<AccountResponse>("AccountResponse")({ response: FoundAccountData }) {}
/** delete/assign/unassign answer `{"response": null}`, as in the tutorial */
export class EmptyResponse extends Schema.Class<EmptyResponse>("EmptyResponse")({ response: Schema.Null }) {}
export class InfoResponse extends Schema.Class<InfoResponse>("InfoResponse")({ response: AppInfo }) {}

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

// ---------------------------------------------------------------------------------------------
// Integration

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
  }
}
