/** The one way a platform's settings are read: its Schema, each missing field from VERITY_<PLATFORM>_<FIELD>. */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted, Schema } from "effect"
import { constantCase, decodeSettings, settingsEnvName } from "../../src/sdk/Settings.js"

const Settings = Schema.Struct({
  apiUrl: Schema.optionalWith(Schema.String, { default: () => "https://example.test" }),
  page_size: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 10)), { default: () => 5 }),
  token: Schema.Redacted(Schema.NonEmptyString),
  verbose: Schema.optionalWith(Schema.Boolean, { default: () => false })
})

describe("decodeSettings", () => {
  it("names the environment variable of a field in constant case, whatever the field's case", () => {
    expect(constantCase("apiUrl")).toBe("API_URL")
    expect(constantCase("api_url")).toBe("API_URL")
    expect(settingsEnvName("acme_hr", "pageSize")).toBe("VERITY_ACME_HR_PAGE_SIZE")
  })

  it.effect("takes each missing field from the environment, spelled as the field wants; the settings win", () =>
    Effect.gen(function*() {
      const env = new Map([
        ["VERITY_ACME_TOKEN", "from-env"],
        ["VERITY_ACME_API_URL", "http://env.test"],
        ["VERITY_ACME_PAGE_SIZE", "7"],
        ["VERITY_ACME_VERBOSE", "true"]
      ])
      const fromEnv = yield* decodeSettings("acme", Settings, {}, env)
      expect(Redacted.value(fromEnv.token)).toBe("from-env")
      expect(fromEnv).toMatchObject({ apiUrl: "http://env.test", page_size: 7, verbose: true })
      const mixed = yield* decodeSettings("acme", Settings, { token: "from-file", page_size: 2 }, env)
      expect(Redacted.value(mixed.token)).toBe("from-file")
      expect(mixed.page_size).toBe(2)
      expect(mixed.apiUrl).toBe("http://env.test")
      expect((yield* decodeSettings("acme", Settings, { token: "t" }, new Map())).apiUrl).toBe("https://example.test")
    }))

  it.effect("reads the current ConfigProvider when no environment is given", () =>
    decodeSettings("acme", Settings, undefined).pipe(
      Effect.map((s) => expect(Redacted.value(s.token)).toBe("provided")),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["VERITY_ACME_TOKEN", "provided"]])))
    ))

  it.effect("a failure is one ConfigError naming the field, where to set it, and never the value of a secret", () =>
    Effect.gen(function*() {
      const missing = yield* decodeSettings("acme", Settings, {}, new Map()).pipe(Effect.flip)
      expect(missing.field).toBe("token")
      expect(missing.message).toBe(`acme settings: "token" is missing: set it in the connector's settings or in VERITY_ACME_TOKEN`)
      const outOfRange = yield* decodeSettings("acme", Settings, { token: "t", page_size: 11 }, new Map()).pipe(Effect.flip)
      expect(outOfRange.field).toBe("page_size")
      expect(outOfRange.message).toContain("between 1 and 10")
      const badEnv = yield* decodeSettings("acme", Settings, { token: "t" }, new Map([["VERITY_ACME_PAGE_SIZE", "lots"]])).pipe(Effect.flip)
      expect(badEnv.field).toBe("page_size")
      expect(badEnv.message).toContain("(from VERITY_ACME_PAGE_SIZE)")
      const notAnObject = yield* decodeSettings("acme", Settings, ["token"], new Map()).pipe(Effect.flip)
      expect(notAnObject.field).toBeUndefined()
      expect(notAnObject.message).toContain("expected an object")
    }))
})
