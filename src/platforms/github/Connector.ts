/**
 * The GitHub connector: permission snapshots (exact grant mechanisms, ETag-cheap re-pulls), the
 * org audit log, and re-reads of the repositories an access-changing audit event touched.
 */
import { Effect } from "effect"
import type { ConnectorId } from "../../domain/Ids.js"
import { makePlatform } from "../../domain/Ids.js"
import { ConditionalCache } from "../../sdk/ConditionalCache.js"
import type { Connector } from "../../sdk/Connector.js"
import type { ConnectorServices } from "../../sdk/Plugin.js"
import { auditStream } from "./AuditLog.js"
import { type GitHubClient, type GitHubClientOptions, makeGitHubClient } from "./Client.js"
import { makePersistence } from "./permissions/Persisted.js"
import { permissionsStream } from "./permissions/PermissionsStream.js"
import { makeAccessRefresh } from "./permissions/Refresh.js"
import {
  defaultPermissionsOptions,
  makePermissionsState,
  type PermissionsOptions,
  type PermissionsState
} from "./permissions/State.js"
import { type GitHubSettings, platform } from "./Settings.js"

export interface GitHubConnectorOptions extends GitHubClientOptions {
  readonly permissions?: Partial<PermissionsOptions>
}

/** A GitHub connector plus its client (for capabilities built on the same budgets and caches). */
export interface GitHubConnector extends Connector {
  readonly client: GitHubClient
  readonly state: PermissionsState
}

/** Build a connector from already-read settings (the plugin, tests, benchmarks, embedding programs). */
export const makeGitHubConnector = (
  id: ConnectorId,
  settings: GitHubSettings,
  options: GitHubConnectorOptions = {}
): Effect.Effect<GitHubConnector, never, ConnectorServices> =>
  Effect.gen(function*() {
    const client = yield* makeGitHubClient(settings, options)
    const state = makePermissionsState()
    // the state database's cache where the program has one (a restart keeps its ETags), else memory only
    const cache = yield* Effect.serviceOption(ConditionalCache)
    const permissionOptions: PermissionsOptions = { ...defaultPermissionsOptions, ...options.permissions }
    const persistence = makePersistence(cache, id, state)
    const refresh = makeAccessRefresh(client, state, permissionOptions)
    return {
      id,
      platform: makePlatform(platform),
      caseInsensitivePrincipals: true,
      permissions: persistence.around(permissionsStream(client, state, permissionOptions)),
      auditEvents: auditStream(client),
      refresh: { ...refresh, permissionsOf: (assets) => persistence.around(refresh.permissionsOf(assets)) },
      client,
      state
    }
  })
