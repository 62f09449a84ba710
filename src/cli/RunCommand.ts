/** `run [--once] --config F`: every configured connector, on its schedule or one cycle. */
import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { loadAppConfig } from "../app/AppConfig.js"
import { describeHeapLimits } from "../app/HeapLimits.js"
import { ConfigError } from "../domain/Errors.js"
import { configOption } from "./Options.js"

/**
 * `run` loads in steps: the platforms once the file has decoded, the pipeline and the stores once the
 * connectors' settings are checked. A config error exits before the rest loads (in a child process, a CI
 * job, a typo at a terminal).
 */
const loadPlatforms = Effect.promise(() =>
  Promise.all([import("../platforms/registry.js"), import("../app/Connectors.js"), import("../app/Layers.js")])
)
const loadRun = Effect.promise(() => import("../app/Run.js"))

/** An example connector entry for the message of an empty config (the first registered platform). */
const example = (platform: string) => `{"id": "${platform}-acme", "platform": "${platform}", "settings": {...}}`

export const runCommand = Command.make(
  "run",
  {
    config: configOption,
    once: Options.boolean("once").pipe(
      Options.withDescription("one cycle of each connector, print the summary and exit (1 if any connector failed)")
    ),
    serve: Options.boolean("serve").pipe(
      Options.withDescription("with --once: keep the HTTP API (config `api`) serving after the cycle, until Ctrl-C")
    )
  },
  ({ config: file, once, serve }) =>
    Effect.gen(function*() {
      const config = yield* loadAppConfig(Option.some(file))
      const [{ knownPlatforms, plugins }, { buildConnectors }, Layers] = yield* loadPlatforms
      if (config.connectors.length === 0) {
        // nothing to run: `run` would idle forever and `run --once` report an empty success
        return yield* new ConfigError({
          file,
          field: "connectors",
          message: `no connectors configured; add one such as ${example(plugins[0]?.platform ?? "platform")} (platforms: ${knownPlatforms().join(", ")})`
        })
      }
      // platforms and settings are checked before any infrastructure starts: a typo in a connector's
      // settings is exit 2 at once, not after connecting to (or failing to start) the stores
      yield* buildConnectors(config).pipe(Effect.provide(Layers.connectorRuntime))
      yield* Effect.logInfo("heap limits").pipe(Effect.annotateLogs("heap", describeHeapLimits(process.execArgv, process.env)))
      if (serve && config.api === undefined) {
        return yield* new ConfigError({ file, field: "api", message: "--serve needs an `api` section (such as {\"port\": 8000})" })
      }
      const { runForever, runOnce, thenServe, withInfrastructure, withService } = yield* loadRun
      yield* once
        ? withInfrastructure(config, withService(config, serve ? thenServe(runOnce(config)) : runOnce(config)))
        : withInfrastructure(config, withService(config, runForever(config)), true)
    })
).pipe(
  Command.withDescription(
    "Run every configured connector: permissions every schedule.permissions (default 1 hour), audit events every " +
      "schedule.audit (default 1 minute). A failing connector is retried with backoff while the others go on. At start-up " +
      "an unreachable PostgreSQL or Kafka is retried (1 s doubling to 30 s apart); with --once it is an error (exit 1). " +
      "With a PostgreSQL DSN, run processes on the same database form one cluster: each connector stream runs on one of " +
      "them, and a runner that stops or dies hands its streams to the others (cluster.enabled=false: every stream here). " +
      "Heap limits: the program re-launches itself with --max-old-space-size=128 --max-semi-space-size=2 unless node " +
      "has them already; VERITY_MAX_OLD_SPACE_MB / VERITY_MAX_SEMI_SPACE_MB change them (VERITY_MAX_OLD_SPACE_MB=0: V8's defaults)."
  )
)
