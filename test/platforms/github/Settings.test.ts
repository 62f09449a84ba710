import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { loadGitHubSettings } from "../../../src/platforms/github/Settings.js"

describe("GitHub settings", () => {
  it.effect("settings come from the config's settings, fall back to VERITY_GITHUB_*, and a wrong type names the field", () =>
    Effect.gen(function*() {
      const env = new Map([
        ["VERITY_GITHUB_ORG", "env-org"],
        ["VERITY_GITHUB_TOKEN", "env-token"],
        ["VERITY_GITHUB_PAGE_SIZE", "50"]
      ])
      const fromEnv = yield* loadGitHubSettings({}, env)
      expect(fromEnv.org).toBe("env-org")
      expect(Option.map(Option.fromNullable(fromEnv.token), Redacted.value)).toEqual(Option.some("env-token"))
      expect(fromEnv.pageSize).toBe(50)
      expect(fromEnv.apiUrl).toBe("https://api.github.com")
      expect(fromEnv.concurrency).toBe(4)
      const fromFile = yield* loadGitHubSettings({ org: "file-org", apiUrl: "http://127.0.0.1:1/" }, env)
      expect(fromFile.org).toBe("file-org")
      expect(fromFile.apiUrl).toBe("http://127.0.0.1:1")
      expect(Option.map(Option.fromNullable(fromFile.token), Redacted.value)).toEqual(Option.some("env-token"))
      const wrongType = yield* loadGitHubSettings({ org: "o", token: "t", pageSize: "lots" }, new Map()).pipe(Effect.flip)
      expect(wrongType.field).toBe("pageSize")
      const tooBig = yield* loadGitHubSettings({ org: "o", token: "t", pageSize: 500 }, new Map()).pipe(Effect.flip)
      expect(tooBig.field).toBe("pageSize")
      expect(tooBig.message).toContain("between 1 and 100")
      const missing = yield* loadGitHubSettings({ org: "o" }, new Map()).pipe(Effect.flip)
      expect(missing.field).toBe("token")
      expect(missing.message).toContain("or all of appId, installationId and privateKey")
      const halfApp = yield* loadGitHubSettings({ org: "o", appId: 12 }, new Map()).pipe(Effect.flip)
      expect(halfApp.message).toContain("all of appId, installationId and privateKey")
      const app = yield* loadGitHubSettings({ org: "o", appId: "12", installationId: 34, privateKey: "-----BEGIN PRIVATE KEY-----" }, new Map())
      expect([app.appId, app.installationId, app.token]).toEqual(["12", 34, undefined])
      expect(String(missing.message)).not.toContain("env-token")
    }))
})
