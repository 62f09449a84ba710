/** The capability executor: unsupported capabilities, malformed requests, info. */
import { describe, expect, it } from "@effect/vitest"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer, Schema } from "effect"
import { makeIntegration } from "../../../src/sdk/capabilities/Executor.js"
import { ValidatedCredentials } from "../../../src/sdk/capabilities/Records.js"
import { ValidateCredentialsResponse } from "../../../src/sdk/capabilities/Responses.js"
import { RateLimiter } from "../../../src/sdk/RateLimiter.js"

describe("capability model", () => {
  it.effect("an unregistered capability is unsupported; info derives the settings JSON Schema", () =>
    Effect.gen(function*() {
      const Settings = Schema.Struct({
        api_url: Schema.String.annotations({ description: "where the API is" }),
        retries: Schema.optional(Schema.Int)
      })
      const integration = makeIntegration({
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
            Effect.succeed(new ValidateCredentialsResponse({ response: new ValidatedCredentials({ valid: true, unique_tenant_id: settings.api_url }) }))
        }
      })
      expect(integration.capabilities).toEqual(["validate_credentials", "info"])
      const ok = yield* integration.run("validate_credentials", { request: {}, settings: { api_url: "u" } })
      expect(ok).toEqual({ response: { valid: true, unique_tenant_id: "u" } })
      const failure = yield* integration.run("delete_account", { request: { account_id: "a" } }).pipe(Effect.flip)
      expect(failure._tag).toBe("CapabilityFailure")
      if (failure._tag === "CapabilityFailure") {
        expect(failure.envelope.error).toMatchObject({ error_code: "unsupported", app_id: "tiny", raised_in: "tiny.delete_account" })
        expect(failure.envelope.error.message).toContain("validate_credentials")
      }
      const missing = yield* integration.run("validate_credentials", { request: {}, settings: {} }).pipe(Effect.flip)
      expect(missing).toMatchObject({ _tag: "MalformedRequest", field: "settings.api_url" })
      const info = (yield* integration.run("info", {})) as { response: { settings_schema: unknown } }
      expect(info.response.settings_schema).toMatchObject({
        type: "object",
        required: ["api_url"],
        properties: { api_url: { type: "string", description: "where the API is" }, retries: { $ref: "#/$defs/Int" } },
        $defs: { Int: { type: "integer" } }
      })
    }).pipe(Effect.provide(Layer.mergeAll(NodeHttpClient.layerUndici, RateLimiter.default))))
})
