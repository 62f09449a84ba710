/** definePlugin erases a platform's types: settings are decoded (with their fallbacks) before `make`, simulator options parse into the effect that serves. */
import { Command, Options } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Ref, Schema, Stream } from "effect"
import { makeConnectorId, makePlatform } from "../../src/domain/Ids.js"
import { noAuditEvents } from "../../src/sdk/Connector.js"
import { definePlugin, defineSimulator } from "../../src/sdk/Plugin.js"
import { RateLimiter } from "../../src/sdk/RateLimiter.js"

const made: Array<{ readonly pageSize: number }> = []

const plugin = definePlugin({
  platform: "tiny",
  description: "a tiny platform",
  settings: Schema.Struct({ pageSize: Schema.Int }),
  make: ({ id, settings }) =>
    Effect.sync(() => {
      made.push(settings)
      return {
        id,
        platform: makePlatform("tiny"),
        caseInsensitivePrincipals: false,
        permissions: Stream.empty,
        auditEvents: noAuditEvents("tiny", "none here")
      }
    }),
  simulator: defineSimulator({
    description: "serves nothing",
    options: Options.all({ port: Options.integer("port").pipe(Options.withDefault(1)) }),
    serve: ({ port }) => Ref.set(served, port),
    demo: Effect.succeed({ url: "http://tiny.test", settings: { pageSize: 3 } })
  })
})
const served = Ref.unsafeMake(0)

describe("definePlugin", () => {
  it.effect("make decodes the settings, falling back to VERITY_<PLATFORM>_*, and hands the decoded value on", () =>
    Effect.gen(function*() {
      const connector = yield* plugin.make({ id: makeConnectorId("tiny-1"), settings: { pageSize: 4 } })
      expect(connector.id).toBe("tiny-1")
      expect(made).toEqual([{ pageSize: 4 }])
      const bad = yield* plugin.make({ id: makeConnectorId("tiny-1"), settings: { pageSize: "four" } }).pipe(Effect.flip)
      expect(bad).toMatchObject({ _tag: "ConfigError", field: "pageSize" })
      expect(bad.message).toMatch(/^tiny settings: /)
    }).pipe(Effect.provide(Layer.merge(NodeHttpClient.layerUndici, RateLimiter.default))))

  it.effect("the simulator's options parse into the effect that serves with them", () =>
    Effect.gen(function*() {
      const simulator = plugin.simulator!
      const command = Command.make("tiny", { serve: simulator.command }, ({ serve }) => Effect.scoped(serve))
      yield* Command.run(command, { name: "test", version: "0" })(["node", "tiny", "--port", "9"])
      expect(yield* Ref.get(served)).toBe(9)
      expect((yield* Effect.scoped(simulator.demo)).settings).toEqual({ pageSize: 3 })
    }).pipe(Effect.provide(NodeContext.layer)))
})
