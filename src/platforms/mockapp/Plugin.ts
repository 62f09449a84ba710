/** MockApp (the Lumos tutorial's app) as a plugin: its settings, its connector, its capabilities and its simulator. */
import { definePlugin } from "../../sdk/Plugin.js"
import { MockAppIntegration } from "./capabilities/Integration.js"
import { makeMockAppConnector } from "./Connector.js"
import { MockAppConnectorSettings, platform } from "./Settings.js"
import { mockappSimulator } from "./simulator/Command.js"

export const mockappPlugin = definePlugin({
  platform,
  description: "MockApp (the Lumos tutorial's app): entitlement associations as snapshots, logins as audit events; all capabilities",
  settings: MockAppConnectorSettings,
  make: ({ id, settings }) => makeMockAppConnector(id, settings),
  capabilities: MockAppIntegration,
  simulator: mockappSimulator
})
