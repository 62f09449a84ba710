/**
 * The plugin contract: everything a platform gives the program, in one value. A platform folder
 * exports one plugin; the registry lists them; the program (`run`, `connector`, `simulate`, the demo)
 * and the public API work from that list alone, so adding a platform is one folder and one registry entry.
 *
 * `definePlugin` takes the platform's typed parts (its settings Schema, how to build its connector from
 * decoded settings, its capabilities, its simulator) and erases their types, so the registry is a plain
 * `ReadonlyArray<PlatformPlugin>`.
 */
import { Options } from "@effect/cli"
import type * as HttpClient from "@effect/platform/HttpClient"
import { Effect, type Schema, type Scope } from "effect"
import type { ConfigError } from "../domain/Errors.js"
import type { ConnectorId } from "../domain/Ids.js"
import type { Integration } from "./capabilities/Executor.js"
import type { Connector } from "./Connector.js"
import type { RateLimiter } from "./RateLimiter.js"
import { decodeSettings } from "./Settings.js"

/** What building and running a connector needs: an HTTP client and the shared rate limiter. */
export type ConnectorServices = HttpClient.HttpClient | RateLimiter

export interface ConnectorArgs<S> {
  readonly id: ConnectorId
  readonly settings: S
}

/** A simulator started for the demo: where it listens, and the connector settings that point at it. */
export interface DemoTarget {
  readonly url: string
  readonly settings: Readonly<Record<string, unknown>>
}

/** A platform's simulator, as `simulate <platform>` and the demo run it. */
export interface SimulatorDefinition<O> {
  readonly description: string
  /** the options of `simulate <platform>` */
  readonly options: Options.Options<O>
  /** Serve with these options until the scope closes, logging where and what a client needs. */
  readonly serve: (options: O) => Effect.Effect<void, never, Scope.Scope>
  /** The demo: a simulator on a random port (seeded), and the connector settings that point at it. */
  readonly demo: Effect.Effect<DemoTarget, never, Scope.Scope>
  /** The same in live mode (the org keeps changing), for `demo --serve`; without it the demo's is used. */
  readonly liveDemo?: Effect.Effect<DemoTarget, never, Scope.Scope>
}

/** Type a simulator's definition (its option type is inferred from `options`). */
export const defineSimulator = <O>(definition: SimulatorDefinition<O>): SimulatorDefinition<O> => definition

/** A platform as its own code sees it: typed settings, typed simulator options. */
export interface PluginDefinition<S, I, O> {
  /** the `platform` of configured connectors, and of the records they publish */
  readonly platform: string
  readonly description: string
  /** the connector's settings; each field falls back to `VERITY_<PLATFORM>_<FIELD>` (see `Settings.ts`) */
  readonly settings: Schema.Schema<S, I, never>
  /** Build the connector from decoded settings. */
  readonly make: (args: ConnectorArgs<S>) => Effect.Effect<Connector, ConfigError, ConnectorServices>
  /** the Lumos capabilities (validate_credentials, list_accounts, ...), when the platform speaks them */
  readonly capabilities?: Integration
  readonly simulator?: SimulatorDefinition<O>
}

/** A simulator with its option types erased: the options parse straight into the effect that serves. */
export interface PluginSimulator {
  readonly description: string
  readonly command: Options.Options<Effect.Effect<void, never, Scope.Scope>>
  readonly demo: Effect.Effect<DemoTarget, never, Scope.Scope>
  readonly liveDemo: Effect.Effect<DemoTarget, never, Scope.Scope>
}

/** A registered platform, its types erased. */
export interface PlatformPlugin {
  readonly platform: string
  readonly description: string
  readonly settings: Schema.Schema.AnyNoContext
  /** Decode the connector's `settings` (with the environment fallbacks) and build the connector. */
  readonly make: (args: ConnectorArgs<unknown>) => Effect.Effect<Connector, ConfigError, ConnectorServices>
  readonly capabilities: Integration | undefined
  readonly simulator: PluginSimulator | undefined
}

export const definePlugin = <S, I, O>(definition: PluginDefinition<S, I, O>): PlatformPlugin => {
  const simulator = definition.simulator
  return {
    platform: definition.platform,
    description: definition.description,
    settings: definition.settings,
    make: ({ id, settings }) =>
      decodeSettings(definition.platform, definition.settings, settings).pipe(
        Effect.flatMap((decoded) => definition.make({ id, settings: decoded }))
      ),
    capabilities: definition.capabilities,
    simulator: simulator === undefined ? undefined : {
      description: simulator.description,
      command: Options.map(simulator.options, simulator.serve),
      demo: simulator.demo,
      liveDemo: simulator.liveDemo ?? simulator.demo
    }
  }
}
