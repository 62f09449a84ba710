import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { MockAppConnectorSettings } from "../../../src/platforms/mockapp/Settings.js"
import { decodeSettings } from "../../../src/sdk/Settings.js"

describe("MockApp settings", () => {
  it.effect("a connector's settings fall back to VERITY_MOCKAPP_*, and a bad value names the field", () =>
    Effect.gen(function*() {
      const env = new Map([["VERITY_MOCKAPP_API_URL", "http://127.0.0.1:8000"], ["VERITY_MOCKAPP_TOKEN", "env-token"]])
      const fromEnv = yield* decodeSettings("mockapp", MockAppConnectorSettings, {}, env)
      expect(fromEnv.api_url).toBe("http://127.0.0.1:8000")
      expect(Redacted.value(fromEnv.token)).toBe("env-token")
      expect(fromEnv.page_size).toBe(100)
      const zero = yield* decodeSettings("mockapp", MockAppConnectorSettings, { token: "t", page_size: 0 }, new Map()).pipe(Effect.flip)
      expect(zero.field).toBe("page_size")
      expect(zero.message).toContain("between 1 and 1000, actual 0")
      const missing = yield* decodeSettings("mockapp", MockAppConnectorSettings, {}, new Map()).pipe(Effect.flip)
      expect(missing.message).toContain("VERITY_MOCKAPP_TOKEN")
    }))
})
