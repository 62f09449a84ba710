/** The SDK-level capability model: error codes, page tokens, unsupported capabilities, info. */
import { describe, expect, it } from "@effect/vitest"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer, Option, Schema } from "effect"
import { CapabilityError, errorCodeForStatus } from "../../../src/sdk/capabilities/Errors.js"
import { makeIntegration } from "../../../src/sdk/capabilities/Executor.js"
import { decodePageToken, encodePageToken, PageCursor, paginate } from "../../../src/sdk/capabilities/PageToken.js"
import { ValidatedCredentials } from "../../../src/sdk/capabilities/Records.js"
import { ValidateCredentialsResponse } from "../../../src/sdk/capabilities/Responses.js"
import { ConnectorError } from "../../../src/domain/Errors.js"
import { RateLimiter } from "../../../src/sdk/RateLimiter.js"

describe("capability model", () => {
  it("maps HTTP statuses to error codes", () => {
    expect([400, 401, 403, 404, 409, 429, 500, 502, 503].map(errorCodeForStatus)).toEqual([
      "bad_request",
      "unauthorized",
      "permission_denied",
      "not_found",
      "conflict",
      "rate_limit",
      "api_error",
      "api_error",
      "api_error"
    ])
    // a 403 that the client recognised as a rate limit is a rate_limit
    const limited = CapabilityError.fromConnectorError(new ConnectorError({ reason: "rate_limited", platform: "x", message: "slow down", status: 403 }))
    expect(limited.code).toBe("rate_limit")
    const transport = CapabilityError.fromConnectorError(new ConnectorError({ reason: "transport", platform: "x", message: "ECONNREFUSED" }))
    expect(transport.code).toBe("api_error")
  })

  it.effect("page tokens round-trip and are bound to their app and capability", () =>
    Effect.gen(function*() {
      const cursors = [new PageCursor({ endpoint: "repos", offset: 0, cursor: "page=3" }), new PageCursor({ endpoint: "teams", offset: 0 })]
      const token = encodePageToken("github", "list_resources", cursors)
      expect(token).not.toContain("repos")
      expect(yield* decodePageToken("github", "list_resources", token)).toEqual(cursors)
      const foreignApp = yield* decodePageToken("mockapp", "list_resources", token).pipe(Effect.flip)
      expect(foreignApp.code).toBe("bad_request")
      const foreignCapability = yield* decodePageToken("github", "list_accounts", token).pipe(Effect.flip)
      expect(foreignCapability.code).toBe("bad_request")
      for (const bad of ["", ".", "a.b.c", `${token}x`, token.replace(/^./, (c) => (c === "e" ? "f" : "e"))]) {
        expect((yield* decodePageToken("github", "list_resources", bad).pipe(Effect.flip)).code).toBe("bad_request")
      }
    }))

  it.effect("paginate spans several endpoints behind one token", () =>
    Effect.gen(function*() {
      const data: Record<string, ReadonlyArray<number>> = { a: [1, 2, 3], b: [], c: [4, 5] }
      const fetch = (cursor: PageCursor, size: number) =>
        Effect.sync(() => {
          const all = data[cursor.endpoint] ?? []
          const items = all.slice(cursor.offset, cursor.offset + size)
          const next = cursor.offset + items.length < all.length
            ? Option.some(new PageCursor({ endpoint: cursor.endpoint, offset: cursor.offset + items.length }))
            : Option.none()
          return { items, next }
        })
      const pages: Array<ReadonlyArray<number>> = []
      let token: string | undefined
      do {
        const page = yield* paginate({
          appId: "t",
          capability: "list_resources",
          endpoints: ["a", "b", "c"],
          page: { size: 2, ...(token ? { token } : {}) },
          defaultSize: 10,
          fetch
        })
        pages.push(page.items)
        token = page.page?.token
      } while (token !== undefined)
      expect(pages).toEqual([[1, 2], [3, 4], [5]])
    }))

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
