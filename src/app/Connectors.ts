/** The configured connectors, each built by its platform's plugin from the registry. */
import { Effect } from "effect"
import { ConfigError } from "../domain/Errors.js"
import { lookup } from "../platforms/registry.js"
import type { Connector } from "../sdk/Connector.js"
import type { AppConfig, ConnectorConfig } from "./AppConfig.js"

/** Build every configured connector; a bad `settings` is a `ConfigError` naming the connector's field. */
export const buildConnectors = (config: AppConfig) =>
  Effect.forEach(config.connectors, (c: ConnectorConfig, index) =>
    Effect.gen(function*() {
      const plugin = yield* lookup(c.platform)
      const connector: Connector = yield* plugin.make({ id: c.id, settings: c.settings })
      return { config: c, connector }
    }).pipe(
      Effect.mapError((e) =>
        new ConfigError({
          file: e.file ?? config.file,
          field: e.field !== undefined
            ? (e.field.startsWith("connectors.") ? e.field : `connectors.${index}.${e.field === "platform" ? "platform" : `settings.${e.field}`}`)
            : `connectors.${index}`,
          message: e.message
        })
      )
    ))
