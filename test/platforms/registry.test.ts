import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeConnectorId } from "../../src/domain/Ids.js"
import { githubPlugin } from "../../src/platforms/github/Plugin.js"
import { mockappPlugin } from "../../src/platforms/mockapp/Plugin.js"
import { knownPlatforms, lookup, plugins } from "../../src/platforms/registry.js"

describe("the registry", () => {
  it.effect("github is registered", () =>
    Effect.gen(function*() {
      const found = yield* lookup("github")
      // the registry entry is the plugin, with its Lumos capabilities
      expect(found.platform).toBe("github")
      expect(found).toBe(githubPlugin)
      expect(found.capabilities).toBeDefined()
      expect(makeConnectorId("github-acme")).toBe("github-acme")
    }))

  it.effect("lists every plugin once; an unknown platform is a ConfigError naming the known ones", () =>
    Effect.gen(function*() {
      expect(plugins).toContain(mockappPlugin)
      expect(new Set(plugins.map((p) => p.platform)).size).toBe(plugins.length)
      expect(knownPlatforms()).toEqual([...knownPlatforms()].sort())
      // GitHub and MockApp attach their capabilities and their simulator the same way
      for (const plugin of [githubPlugin, mockappPlugin]) {
        expect(plugin.capabilities?.appId).toBe(plugin.platform)
        expect(plugin.simulator).toBeDefined()
      }
      const unknown = yield* lookup("salesforce").pipe(Effect.flip)
      expect(unknown.field).toBe("platform")
      expect(unknown.message).toContain(`unknown platform "salesforce"; known platforms: ${knownPlatforms().join(", ")}`)
    }))
})
