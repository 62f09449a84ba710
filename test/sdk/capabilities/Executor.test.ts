/** The capability executor: what a connector lacks, requests it refuses before any handler, info. */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { CapabilityError } from "../../../src/sdk/capabilities/Errors.js"
import { makeIntegration } from "../../../src/sdk/capabilities/Executor.js"
import { FoundAccountData, ValidatedCredentials } from "../../../src/sdk/capabilities/Records.js"
import { GetAccountResponse, ValidateCredentialsResponse } from "../../../src/sdk/capabilities/Responses.js"
import { RateLimiter } from "../../../src/sdk/RateLimiter.js"
import { failed, ok } from "../../support/Capabilities.js"

const Settings = Schema.Struct({
  api_url: Schema.String.annotations({ description: "where the API is" }),
  retries: Schema.optional(Schema.Int)
})
const tiny = makeIntegration({
  appId: "tiny",
  version: "1.0.0",
  auth: "token",
  userFriendlyName: "Tiny",
  description: "a tiny app",
  settings: Settings,
  resourceTypes: [],
  entitlementTypes: [],
  capabilities: {
    validate_credentials: (_req, settings) =>
      Effect.succeed(new ValidateCredentialsResponse({ response: new ValidatedCredentials({ valid: true, unique_tenant_id: settings.api_url }) })),
    get_account: (req) =>
      req.request.account_id === "boom"
        ? Effect.die("kaboom")
        : req.request.account_id === "gone"
        ? Effect.fail(new CapabilityError({ code: "not_found", message: "no such account", raisedBy: "NotFoundError", status: 404 }))
        : Effect.succeed(new GetAccountResponse({ response: new FoundAccountData({ integration_specific_id: req.request.account_id }), raw_data: { id: 1 } }))
  }
})
const auth = { token: { token: "t" } }
const settings = { api_url: "u" }

describe("capability executor", () => {
  it.effect("answers the SDK's models: every key written, null when unset; raw_data only on request", () =>
    Effect.gen(function*() {
      expect(tiny.capabilities).toEqual(["app_info", "get_account", "validate_credentials"])
      const validated = yield* ok(tiny, "validate_credentials", { auth, request: {}, settings, extra: "ignored" })
      expect(validated).toEqual({ response: { valid: true, unique_tenant_id: "u" }, raw_data: null, page: null, execution_summary: null })
      const account = yield* ok(tiny, "get_account", { auth, request: { account_id: "a1" }, settings })
      expect(account.response).toEqual({
        integration_specific_id: "a1",
        email: null,
        given_name: null,
        family_name: null,
        username: null,
        user_status: null,
        extra_data: null,
        custom_attributes: null,
        account_type: null
      })
      expect(account.raw_data).toBeNull()
      expect((yield* ok(tiny, "get_account", { auth, request: { account_id: "a1" }, settings, include_raw_data: true })).raw_data).toEqual({ id: 1 })
    }).pipe(Effect.provide(Layer.mergeAll(NodeHttpClient.layerUndici, RateLimiter.default))))

  it.effect("refuses what the SDK refuses, and wraps handler failures with where they were raised", () =>
    Effect.gen(function*() {
      const notImplemented = yield* failed(tiny, "delete_account", { auth, request: { account_id: "a" }, settings })
      expect(notImplemented).toMatchObject({ error_code: "not_implemented", app_id: "tiny", raised_by: "CapabilityNotImplementedError" })
      expect(notImplemented.message).toContain("validate_credentials")
      expect(yield* failed(tiny, "validate_credentials", { request: {}, settings })).toMatchObject({
        error_code: "bad_request",
        message: "Missing auth/credentials in request"
      })
      expect(yield* failed(tiny, "validate_credentials", { auth, credentials: [], request: {}, settings })).toMatchObject({ error_code: "bad_request" })
      expect((yield* failed(tiny, "validate_credentials", { auth, request: {} })).message).toContain("No settings passed on request")
      expect((yield* failed(tiny, "validate_credentials", { auth, request: {}, settings: {} })).message).toContain("settings.api_url")
      expect((yield* failed(tiny, "get_account", { auth, request: {}, settings })).message).toContain("request.account_id")
      expect(yield* failed(tiny, "get_account", { auth, request: { account_id: "gone" }, settings })).toEqual({
        message: "no such account",
        status_code: 404,
        app_error_code: null,
        error_code: "not_found",
        app_id: "tiny",
        raised_by: "NotFoundError",
        raised_in: "platforms.tiny.capabilities:get_account"
      })
      expect(yield* failed(tiny, "get_account", { auth, request: { account_id: "boom" }, settings })).toMatchObject({
        error_code: "unexpected_error",
        raised_by: "Defect"
      })
    }).pipe(Effect.provide(Layer.mergeAll(NodeHttpClient.layerUndici, RateLimiter.default))))

  it.effect("info describes each capability's argument and output, the auth and the settings", () =>
    Effect.gen(function*() {
      const info = yield* ok<{
        capabilities: ReadonlyArray<string>
        capability_schema: Record<string, { argument: { required: ReadonlyArray<string> }; output: unknown }>
        authentication_schema: unknown
        request_settings_schema: unknown
      }>(tiny, "info", {})
      expect(info.response.capabilities).toEqual(["app_info", "get_account", "validate_credentials"])
      expect(info.response.capability_schema.get_account?.argument.required).toEqual(["request"])
      expect(info.response.authentication_schema).toMatchObject({ type: "object", required: ["token"] })
      expect(info.response.request_settings_schema).toMatchObject({
        type: "object",
        required: ["api_url"],
        properties: { api_url: { type: "string", description: "where the API is" }, retries: { $ref: "#/$defs/Int" } }
      })
    }).pipe(Effect.provide(Layer.mergeAll(NodeHttpClient.layerUndici, RateLimiter.default))))
})
