/**
 * The capability README's examples: a real request and its answer for each capability of MockApp and
 * GitHub, run against their simulators (seeded, so the answers are the same on every run). The
 * answers are what `connector <app> <capability> --json '<request>'` prints (the CLI prints the
 * executor's answer as one line); the simulators' random URL reads as the documented one.
 * `scripts/capability-examples.ts` writes them into src/sdk/capabilities/README.md; a test checks the
 * README still holds them.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer } from "effect"
import { GitHubIntegration } from "../../src/platforms/github/capabilities/Integration.js"
import { startGitHubSimulator } from "../../src/platforms/github/simulator/Server.js"
import { MockAppIntegration } from "../../src/platforms/mockapp/capabilities/Integration.js"
import { startMockAppSimulator } from "../../src/platforms/mockapp/simulator/Server.js"
import type { Integration } from "../../src/sdk/capabilities/Executor.js"
import { RateLimiter } from "../../src/sdk/RateLimiter.js"

export interface Example {
  readonly app: string
  readonly capability: string
  /** what the example shows beyond the capability's name */
  readonly note: string
  readonly request: unknown
  readonly answer: unknown
}

const grant = (account: string, entitlement: string, resource: string, entitlementType: string, resourceType: string) => ({
  account_integration_specific_id: account,
  resource_integration_specific_id: resource,
  resource_type: resourceType,
  entitlement_type: entitlementType,
  entitlement_integration_specific_id: entitlement
})

/** info and app_info are long (a JSON Schema per capability): the README shows their outline */
const outline = (capability: string, answer: unknown): unknown => {
  if (typeof answer !== "object" || answer === null || !("response" in answer)) return answer
  const response = answer.response as Record<string, unknown>
  if (capability === "info") {
    const schemas = response.capability_schema as Record<string, unknown>
    return { ...answer, response: { ...response, capability_schema: Object.fromEntries(Object.keys(schemas).map((k) => [k, "{argument, output}"])) } }
  }
  if (capability === "app_info") {
    const spec = response.app_schema as { paths: Record<string, unknown> }
    return { ...answer, response: { ...response, app_schema: { ...spec, paths: Object.fromEntries(Object.keys(spec.paths).map((k) => [k, "{post}"])) } } }
  }
  return answer
}

const runAll = (
  app: string,
  integration: Integration,
  simUrl: string,
  shownUrl: string,
  steps: ReadonlyArray<readonly [capability: string, note: string, request: unknown]>
) =>
  Effect.forEach(steps, ([capability, note, request]) =>
    integration.run(capability, request).pipe(
      Effect.map((answer): Example => {
        const shown = (v: unknown) => JSON.parse(JSON.stringify(v).split(simUrl).join(shownUrl)) as unknown
        return { app, capability, note, request: shown(request), answer: shown(outline(capability, answer)) }
      })
    ))

export const mockappExamples = Effect.scoped(Effect.gen(function*() {
  const sim = yield* startMockAppSimulator({ seed: 42, users: 4 })
  const shownUrl = "http://localhost:8000"
  const req = (request: unknown, extra: Record<string, unknown> = {}, token = "valid-token") => ({
    auth: { token: { token } },
    request,
    settings: { api_url: sim.url },
    ...extra
  })
  const first = (yield* MockAppIntegration.run("list_accounts", req({}, { page: { size: 2 } }))) as { page: { token: string } }
  return yield* runAll("mockapp", MockAppIntegration, sim.url, shownUrl, [
    ["info", "", {}],
    ["app_info", "", { request: {} }],
    ["validate_credentials", "the tutorial's command", req({})],
    ["list_accounts", "the tutorial's command, first page of 2", req({}, { page: { size: 2 } })],
    ["list_accounts", "the next page: the previous answer's token", req({}, { page: { size: 2, token: first.page.token } })],
    ["get_account", "with include_raw_data: the API's own user as raw_data", req({ account_id: "user-0002" }, { include_raw_data: true })],
    ["create_account", "the tutorial's command (display_name names the user)", req({ email: "[email protected]", display_name: "New User" })],
    ["update_account", "", req({ id: "user-0005", family_name: "Person" })],
    ["deactivate_account", "", req({ account_id: "user-0005" })],
    ["activate_account", "", req({ account_id: "user-0005" })],
    ["assign_entitlement", "", req(grant("user-0005", "proj-alpha-editor", "proj-alpha", "project_role", "project"))],
    ["get_account_entitlement_associations", "", req({ account_id: "user-0005" })],
    ["unassign_entitlement", "", req(grant("user-0005", "proj-alpha-editor", "proj-alpha", "project_role", "project"))],
    ["delete_account", "", req({ account_id: "user-0005" })],
    ["list_resources", "", req({})],
    ["list_entitlements", "", req({})],
    ["find_entitlement_associations", "first page of 3", req({}, { page: { size: 3 } })],
    ["get_last_activity", "an unknown account is skipped", req({ account_ids: ["user-0002", "user-0003", "user-9999"] })],
    ["list_activity_records", "logins since a date, of one account", req({ since_date: "2024-01-01", actors: [{ account_id: "user-0002" }] }, { page: { size: 2 } })],
    ["list_accounts", "error: a wrong token (the API's 401)", req({}, {}, "wrong-token")],
    ["get_account", "error: an unknown account (the API's 404)", req({ account_id: "user-9999" })],
    ["assign_entitlement", "error: a second admin role (the cardinality check, before any write)", req(grant("user-0001", "admin-billing", "global", "admin_role", "global"))],
    ["list_accounts", "error: no settings", { auth: { token: { token: "valid-token" } }, request: {} }],
    ["list_accounts", "error: a tampered page token", req({}, { page: { size: 2, token: `x${first.page.token.slice(1)}` } })],
    ["list_expenses", "error: a capability MockApp does not implement", req({})]
  ])
}))

export const githubExamples = Effect.scoped(Effect.gen(function*() {
  const sim = yield* startGitHubSimulator({ repos: 2, members: 3, teams: 1, outsideCollaborators: 1, events: 8, seed: 7, latencyMs: 0 })
  const shownUrl = "https://api.github.com"
  const req = (request: unknown, extra: Record<string, unknown> = {}, token = sim.token) => ({
    auth: { token: { token } },
    request,
    settings: { org: sim.org, api_url: sim.url },
    ...extra
  })
  const members = (yield* GitHubIntegration.run("list_accounts", req({}))) as { response: ReadonlyArray<{ integration_specific_id: string }> }
  const member = members.response[0]!.integration_specific_id
  const repos = (yield* GitHubIntegration.run("list_resources", req({}))) as { response: ReadonlyArray<{ integration_specific_id: string }> }
  const repo = repos.response[0]!.integration_specific_id
  const reads = yield* runAll("github", GitHubIntegration, sim.url, shownUrl, [
    ["info", "", {}],
    ["app_info", "", { request: {} }],
    ["validate_credentials", "", req({})],
    ["list_accounts", "first page of 2", req({}, { page: { size: 2 } })],
    ["get_account", "", req({ account_id: member })],
    ["list_resources", "repositories, then teams", req({})],
    ["list_entitlements", "first page of 6", req({}, { page: { size: 6 } })],
    ["find_entitlement_associations", "", req({})],
    ["get_account_entitlement_associations", "", req({ account_id: member })],
    ["get_last_activity", "", req({ account_ids: [member] })],
    ["list_activity_records", "the audit log since a date", req({ since_date: "2000-01-01", actors: [{ account_id: member }] }, { page: { size: 2 } })],
    ["assign_entitlement", "a repository permission (a collaborator)", req(grant("new-contractor", "triage", repo, "repository_permission", "repository"))],
    ["unassign_entitlement", "", req(grant("new-contractor", "triage", repo, "repository_permission", "repository"))],
    ["list_accounts", "error: no org in the settings", { auth: { token: { token: sim.token } }, request: {}, settings: { api_url: sim.url } }]
  ])
  const outsiders = yield* Effect.promise(() =>
    fetch(`${sim.url}/orgs/${sim.org}/outside_collaborators`, { headers: { authorization: `Bearer ${sim.token}` } })
      .then((r) => r.json() as Promise<ReadonlyArray<{ login: string }>>)
  )
  const outsider = outsiders[0]!.login
  // built from parts: a literal address reads as an obfuscated link in some viewers
  const address = ["new.person", "example.com"].join("@")
  const invited = yield* runAll("github", GitHubIntegration, sim.url, shownUrl, [
    ["list_custom_attributes_schema", "org_role, which update_account changes", req({})],
    ["create_account", "an org invitation by login: PENDING until accepted", req({ username: outsider })],
    ["create_account", "an invitation by email: named by its id until accepted", req({ email: address })]
  ])
  const byEmail = (invited[2]!.answer as { response: { id: string } }).response.id
  // the invitee accepts (on GitHub: their click; here: the simulator's accept endpoint)
  for (const pending of yield* sim.pendingInvitations) if (pending.login === outsider) yield* sim.acceptInvitation(pending.id)
  const lifecycle = yield* runAll("github", GitHubIntegration, sim.url, shownUrl, [
    ["delete_account", "a pending invitation withdrawn", req({ account_id: byEmail })],
    ["update_account", "the org role, once the invitation is accepted", req({ id: outsider, custom_attributes: { org_role: "admin" } })],
    ["get_account", "with the org_role custom attribute", req({ account_id: outsider, custom_attributes: ["org_role"] })],
    ["delete_account", "removed from the org", req({ account_id: outsider })],
    ["update_account", "error: a profile field is not the org's to change", req({ id: member, given_name: "Alice" })],
    ["deactivate_account", "error: GitHub suspends users only in an Enterprise (not_implemented)", req({ account_id: member })],
    ["list_updated_accounts", "membership changes in the audit log since a time, each account as it stands now", req({ since: "2000-01-01T00:00:00Z", custom_attributes: ["org_role"] })]
  ])
  return [...reads, ...invited, ...lifecycle]
}))

export const allExamples = Effect.all([mockappExamples, githubExamples]).pipe(
  Effect.map(([a, b]) => [...a, ...b]),
  Effect.provide(Layer.mergeAll(NodeHttpClient.layerUndici, RateLimiter.default))
)

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** the examples as the README's Markdown */
export const examplesMarkdown = (examples: ReadonlyArray<Example>): string =>
  examples.map((e) => {
    const command = e.capability === "info"
      ? `node --import tsx main.ts connector ${e.app} info`
      : `node --import tsx main.ts connector ${e.app} ${e.capability} --json ${shellQuote(JSON.stringify(e.request))}`
    return [
      `### ${e.app} ${e.capability}${e.note === "" ? "" : `: ${e.note}`}`,
      "",
      "```sh",
      command,
      "```",
      "",
      "```json",
      JSON.stringify(e.answer, null, 2),
      "```",
      ""
    ].join("\n")
  }).join("\n")

export const beginMarker = "<!-- examples:begin (scripts/capability-examples.ts writes this part) -->"
export const endMarker = "<!-- examples:end -->"
