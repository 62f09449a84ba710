/**
 * The one list of platform plugins (the Verity guide's CONNECTOR_REGISTRY). A configured connector's
 * `platform` is looked up here; `simulate`, `connector`, the demo and the public API all work from this
 * list. Only the application edge (src/app, src/cli, src/index.ts) imports it: a platform never does.
 * `scaffold <platform>` adds its import and its entry at the markers below.
 */
import { Effect } from "effect"
import { ConfigError } from "../domain/Errors.js"
import type { PlatformPlugin } from "../sdk/Plugin.js"
import { githubPlugin } from "./github/Plugin.js"
import { mockappPlugin } from "./mockapp/Plugin.js"
// scaffold:imports

export const plugins: ReadonlyArray<PlatformPlugin> = [
  githubPlugin,
  mockappPlugin,
  // scaffold:entries
]

export const knownPlatforms = (): ReadonlyArray<string> => plugins.map((p) => p.platform).sort()

export const lookup = (platform: string): Effect.Effect<PlatformPlugin, ConfigError> => {
  const found = plugins.find((p) => p.platform === platform)
  return found
    ? Effect.succeed(found)
    : Effect.fail(
      new ConfigError({
        field: "platform",
        message: `unknown platform "${platform}"; known platforms: ${knownPlatforms().join(", ") || "(none)"}`
      })
    )
}
