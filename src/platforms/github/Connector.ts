/**
 * The GitHub connector: permission snapshots (exact grant mechanisms, ETag-cheap re-pulls) and the
 * org audit log. Registered as `github`.
 */
import type { HttpClient } from "@effect/platform"
import { Effect } from "effect"
import type { Connector } from "../../sdk/Connector.js"
import type { ConnectorDefinition } from "../registry.js"
import type { ConnectorId } from "../../domain/Ids.js"
import { makePlatform } from "../../domain/Ids.js"
import type { RateLimiter } from "../../sdk/RateLimiter.js"
import { auditStream } from "./AuditLog.js"
import { type GitHubClient, type GitHubClientOptions, makeGitHubClient, platform } from "./Client.js"
import {
  defaultPermissionsOptions,
  makePermissionsState,
  type PermissionsOptions,
  type PermissionsState,
  permissionsStream
} from "./permissions/PermissionsStream.js"
import { type GitHubSettings, loadGitHubSettings } from "./Settings.js"

export interface GitHubConnectorOptions extends GitHubClientOptions {
  readonly permissions?: Partial<PermissionsOptions>
}

/** A GitHub connector plus its client (for capabilities built on the same budgets and caches). */
export interface GitHubConnector extends Connector {
  readonly client: GitHubClient
  readonly state: PermissionsState
}

/** Build a connector from already-read settings (tests, benchmarks, embedding programs). */
export const makeGitHubConnector = (
  id: ConnectorId,
  settings: GitHubSettings,
  options: GitHubConnectorOptions = {}
): Effect.Effect<GitHubConnector, never, HttpClient.HttpClient | RateLimiter> =>
  Effect.gen(function*() {
    const client = yield* makeGitHubClient(settings, options)
    const state = makePermissionsState()
    const permissionOptions: PermissionsOptions = { ...defaultPermissionsOptions, ...options.permissions }
    return {
      id,
      platform: makePlatform(platform),
      caseInsensitivePrincipals: true,
      permissions: permissionsStream(client, state, permissionOptions),
      auditEvents: auditStream(client),
      client,
      state
    }
  })

export const GitHubDefinition: ConnectorDefinition = {
  platform,
  description: "GitHub organisation: repository permissions (exact grant mechanisms via GraphQL permissionSources, ETag-cached) and the org audit log",
  make: ({ id, settings }) =>
    loadGitHubSettings(settings).pipe(Effect.flatMap((s) => makeGitHubConnector(id, s)))
}
