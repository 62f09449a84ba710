/** GitHub as a plugin: its settings, its connector, its Lumos capabilities and its simulator. */
import { definePlugin } from "../../sdk/Plugin.js"
import { GitHubIntegration } from "./capabilities/Integration.js"
import { makeGitHubConnector } from "./Connector.js"
import { GitHubSettings, platform } from "./Settings.js"
import { githubSimulator } from "./simulator/Command.js"

export const githubPlugin = definePlugin({
  platform,
  description:
    "GitHub organisation: repository permissions (exact grant mechanisms via GraphQL permissionSources, ETag-cached) and the org audit log",
  settings: GitHubSettings,
  make: ({ id, settings }) => makeGitHubConnector(id, settings),
  capabilities: GitHubIntegration,
  simulator: githubSimulator
})
