/**
 * Platform name -> connector definition (the Verity guide's CONNECTOR_REGISTRY). `main.ts` and
 * embedding programs look connectors up here by the `platform` of each configured connector.
 */
import type { HttpClient } from "@effect/platform"
import { Effect } from "effect"
import { ConfigError } from "../domain/Errors.js"
import type { ConnectorId } from "../domain/Ids.js"
import type { Integration } from "../sdk/capabilities/Executor.js"
import type { Connector } from "../sdk/Connector.js"
import { GitHubIntegration } from "./github/capabilities/Integration.js"
import { GitHubDefinition } from "./github/Connector.js"
import { MockAppDefinition } from "./mockapp/Connector.js"
// scaffold:imports
import type { RateLimiter } from "../sdk/RateLimiter.js"

export interface ConnectorArgs {
  readonly id: ConnectorId
  /** the connector's `settings` object from the config file (unknown: each definition decodes its own) */
  readonly settings: unknown
}

export interface ConnectorDefinition {
  readonly platform: string
  readonly description: string
  /** Decode `settings` (falling back to the platform's environment variables) and build the connector. */
  readonly make: (args: ConnectorArgs) => Effect.Effect<Connector, ConfigError, HttpClient.HttpClient | RateLimiter>
  /** The platform's capabilities (validate_credentials, list_accounts, ...), when it speaks them. */
  readonly integration?: Integration
}

const definitions: Record<string, ConnectorDefinition> = {
  // platform connectors register here
  // GitHub's capabilities live beside its connector (src/connectors/github/Capabilities.ts)
  github: { ...GitHubDefinition, integration: GitHubIntegration },
  mockapp: MockAppDefinition,
  // scaffold:entries
}

export const knownPlatforms = (): ReadonlyArray<string> => Object.keys(definitions).sort()

export const register = (definition: ConnectorDefinition): void => {
  definitions[definition.platform] = definition
}

export const lookup = (platform: string): Effect.Effect<ConnectorDefinition, ConfigError> => {
  const found = Object.hasOwn(definitions, platform) ? definitions[platform] : undefined
  return found
    ? Effect.succeed(found)
    : Effect.fail(
      new ConfigError({
        field: "platform",
        message: `unknown platform "${platform}"; known platforms: ${knownPlatforms().join(", ") || "(none)"}`
      })
    )
}
