/**
 * Every capability of both platforms, held to the carried Lumos contract (contracts/lumos): the
 * success of each (the capability README's examples, run against the simulators), and a table of the
 * error classes a caller meets: a wrong token, an unknown account or resource, a rate limit, an
 * upstream 5xx, a malformed request and missing settings. Each answer is checked against the SDK's
 * model, its error code against the SDK's mapping. The executor runs in-process against simulators
 * over real HTTP; retries and `retry-after` waits run on a clock where sleeping takes no time.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { GitHubIntegration } from "../../src/platforms/github/capabilities/Integration.js"
import { startGitHubSimulator } from "../../src/platforms/github/simulator/Server.js"
import { MockAppIntegration } from "../../src/platforms/mockapp/capabilities/Integration.js"
import { startMockAppSimulator } from "../../src/platforms/mockapp/simulator/Server.js"
import { errorCodeForStatus } from "../../src/sdk/capabilities/Errors.js"
import type { Integration } from "../../src/sdk/capabilities/Executor.js"
import { RateLimiter } from "../../src/sdk/RateLimiter.js"
import { allExamples } from "../support/CapabilityExamples.js"
import { makeInstantClock } from "../support/InstantClock.js"
import { answerErrors } from "../support/LumosContract.js"

const services = Layer.mergeAll(NodeHttpClient.layerUndici, RateLimiter.default)

const grant = (account: string, entitlement: string, resource: string, entitlementType: string, resourceType: string) => ({
  account_integration_specific_id: account,
  resource_integration_specific_id: resource,
  resource_type: resourceType,
  entitlement_type: entitlementType,
  entitlement_integration_specific_id: entitlement
})

/** a valid payload for each capability, and one naming something the platform does not have */
const mockapp = {
  integration: MockAppIntegration,
  payloads: {
    validate_credentials: {},
    list_accounts: {},
    get_account: { account_id: "user-0001" },
    create_account: { email: "[email protected]", given_name: "Table", family_name: "Test" },
    update_account: { id: "user-0001", family_name: "Updated" },
    activate_account: { account_id: "user-0001" },
    deactivate_account: { account_id: "user-0001" },
    delete_account: { account_id: "user-0002" },
    list_resources: {},
    list_entitlements: {},
    find_entitlement_associations: {},
    get_account_entitlement_associations: { account_id: "user-0001" },
    assign_entitlement: grant("user-0001", "proj-alpha-editor", "proj-alpha", "project_role", "project"),
    unassign_entitlement: grant("user-0001", "proj-alpha-editor", "proj-alpha", "project_role", "project"),
    get_last_activity: { account_ids: ["user-0001"] },
    list_activity_records: { since_date: "2024-01-01", actors: [{ account_id: "user-0001" }] }
  } as Record<string, unknown>,
  missing: {
    get_account: { account_id: "user-9999" },
    update_account: { id: "user-9999" },
    activate_account: { account_id: "user-9999" },
    deactivate_account: { account_id: "user-9999" },
    delete_account: { account_id: "user-9999" },
    get_account_entitlement_associations: { account_id: "user-9999" },
    assign_entitlement: grant("user-9999", "proj-alpha-editor", "proj-alpha", "project_role", "project"),
    unassign_entitlement: grant("user-9999", "proj-alpha-editor", "proj-alpha", "project_role", "project")
  } as Record<string, unknown>
}
const github = {
  integration: GitHubIntegration,
  payloads: {
    validate_credentials: {},
    list_accounts: {},
    get_account: { account_id: "alice" },
    list_resources: {},
    list_entitlements: {},
    find_entitlement_associations: {},
    get_account_entitlement_associations: { account_id: "alice" },
    assign_entitlement: grant("alice", "push", "acme-corp/backend", "repository_permission", "repository"),
    unassign_entitlement: grant("alice", "push", "acme-corp/backend", "repository_permission", "repository"),
    get_last_activity: { account_ids: ["alice"] },
    list_activity_records: { since_date: "2000-01-01", actors: [{ account_id: "alice" }] },
    create_account: { email: ["table", "example.com"].join("@") },
    update_account: { id: "alice", custom_attributes: { org_role: "member" } },
    delete_account: { account_id: "alice" },
    list_custom_attributes_schema: {},
    list_updated_accounts: { since: "2000-01-01T00:00:00Z" }
  } as Record<string, unknown>,
  missing: {
    get_account: { account_id: "nobody-at-all" },
    create_account: { username: "nobody-at-all" },
    update_account: { id: "nobody-at-all", custom_attributes: { org_role: "member" } },
    delete_account: { account_id: "nobody-at-all" },
    get_account_entitlement_associations: { account_id: "nobody-at-all" },
    assign_entitlement: grant("alice", "push", "acme-corp/no-such-repo", "repository_permission", "repository"),
    unassign_entitlement: grant("alice", "push", "acme-corp/no-such-repo", "repository_permission", "repository")
  } as Record<string, unknown>
}

interface ErrorBody {
  readonly error_code: string
  readonly status_code: number | null
}

/** run a capability (on the instant clock), check its answer against the contract, and hand back the error */
const errorOf = (integration: Integration, capability: string, input: unknown) =>
  integration.run(capability, input).pipe(
    Effect.withClock(makeInstantClock()),
    Effect.map((json) => {
      expect(answerErrors(capability, json), `${integration.appId} ${capability}: ${JSON.stringify(json)}`).toEqual([])
      expect(json.is_error, `${integration.appId} ${capability} should fail: ${JSON.stringify(json)}`).toBe(true)
      return (json as unknown as { error: ErrorBody }).error
    })
  )

interface Target {
  readonly token: string
  readonly settings: Record<string, unknown>
}
const requestTo = (target: Target, payload: unknown, token = target.token) => ({
  auth: { token: { token } },
  request: payload,
  settings: target.settings
})

/** every error class for every capability of a platform: a normal, a rate-limiting and a failing simulator */
const errorClasses = (platform: typeof mockapp, ok: Target, limited: Target, failing: Target) =>
  Effect.forEach(
    platform.integration.capabilities.filter((c) => c !== "app_info"),
    (capability) =>
      Effect.gen(function*() {
        const payload = platform.payloads[capability]
        expect(payload, `a payload for ${platform.integration.appId} ${capability}`).toBeDefined()
        const run = (input: unknown) => errorOf(platform.integration, capability, input)
        const where = `${platform.integration.appId} ${capability}`

        const wrongToken = yield* run(requestTo(ok, payload, "not-the-token"))
        expect(wrongToken, `${where}: wrong token`).toMatchObject({ error_code: "unauthorized", status_code: 401 })
        const malformed = yield* run({ auth: { token: { token: ok.token } }, request: 42, settings: ok.settings })
        expect(malformed.error_code, `${where}: malformed request`).toBe("bad_request")
        const noSettings = yield* run({ auth: { token: { token: ok.token } }, request: payload })
        expect(noSettings.error_code, `${where}: missing settings`).toBe("bad_request")
        const limitedAnswer = yield* run(requestTo(limited, payload))
        expect(limitedAnswer.error_code, `${where}: rate limit`).toBe("rate_limit")
        const failed = yield* run(requestTo(failing, payload))
        expect(failed.status_code ?? 0, `${where}: upstream 5xx`).toBeGreaterThanOrEqual(500)
        expect(failed.error_code, `${where}: upstream 5xx`).toBe(errorCodeForStatus(failed.status_code ?? 0))
        const missing = platform.missing[capability]
        if (missing !== undefined) {
          expect((yield* run(requestTo(ok, missing))).error_code, `${where}: not found`).toBe("not_found")
        }
      }),
    { concurrency: 4, discard: true }
  )

describe("every capability against the Lumos contract", () => {
  it.live("each capability of both platforms succeeds with an answer in the SDK's model", () =>
    Effect.gen(function*() {
      const examples = yield* allExamples
      for (const integration of [MockAppIntegration, GitHubIntegration]) {
        for (const capability of ["info", ...integration.capabilities]) {
          const succeeded = examples.filter((e) =>
            e.app === integration.appId && e.capability === capability && !(typeof e.answer === "object" && e.answer !== null && "is_error" in e.answer)
          )
          expect(succeeded.length, `${integration.appId} ${capability}`).toBeGreaterThan(0)
          if (capability !== "info" && capability !== "app_info") {
            for (const e of succeeded) expect(answerErrors(capability, e.answer), `${e.app} ${capability}`).toEqual([])
          }
        }
      }
    }), 120_000)

  it.live("MockApp: wrong token, not found, rate limit, upstream 5xx, malformed request, missing settings", () =>
    Effect.scoped(Effect.gen(function*() {
      const [ok, limited, failing] = yield* Effect.all([
        startMockAppSimulator({ seed: 11, users: 4 }),
        startMockAppSimulator({ seed: 11, users: 4, rateLimitRate: 1 }),
        startMockAppSimulator({ seed: 11, users: 4, errorRate: 1 })
      ])
      const target = (sim: { url: string; token: string }): Target => ({ token: sim.token, settings: { api_url: sim.url } })
      yield* errorClasses(mockapp, target(ok), target(limited), target(failing))
      // nothing a refused request carried reached the server
      expect((yield* ok.state).users.map((u) => u.id)).toEqual(["user-0001", "user-0002", "user-0003", "user-0004"])
    })).pipe(Effect.provide(services)), 120_000)

  it.live("GitHub: wrong token, not found, rate limit, upstream 5xx, malformed request, missing settings", () =>
    Effect.scoped(Effect.gen(function*() {
      const options = { repos: 2, members: 3, teams: 1, outsideCollaborators: 1, events: 8, seed: 7, latencyMs: 0 }
      const [ok, limited, failing] = yield* Effect.all([
        startGitHubSimulator(options),
        startGitHubSimulator({ ...options, secondaryRateLimitRate: 1, retryAfterSeconds: 1 }),
        startGitHubSimulator({ ...options, errorRate: 1 })
      ])
      const target = (sim: { url: string; token: string; org: string }): Target => ({ token: sim.token, settings: { org: sim.org, api_url: sim.url } })
      yield* errorClasses(github, target(ok), target(limited), target(failing))
    })).pipe(Effect.provide(services)), 120_000)
})
