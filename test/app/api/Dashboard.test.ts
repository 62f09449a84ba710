/**
 * The dashboard in a real browser (headless Debian Chromium through playwright-core): one connector
 * cycle against the GitHub simulator into memory stores, the API served in process over real HTTP,
 * and the page shows the connectors, answers a grant search and draws the throughput chart. It saves
 * a screenshot; `npm run docs:dashboard` saves it as the README's (docs/dashboard.png), so that `npm test`
 * leaves the checkout as it found it.
 */
import { createServer } from "node:http"
import { join } from "node:path"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Redacted, Schema } from "effect"
import { chromium } from "playwright-core"
import { apiLayer } from "../../../src/app/api/Server.js"
import { Served } from "../../../src/app/api/Status.js"
import { makePromMetrics } from "../../../src/adapters/PromMetrics.js"
import { ConnectorId, Platform } from "../../../src/domain/Ids.js"
import { Dedup } from "../../../src/pipeline/Dedup.js"
import { runConnectorOnce } from "../../../src/pipeline/Pipeline.js"
import { makeGitHubConnector } from "../../../src/platforms/github/Connector.js"
import { startGitHubSimulator } from "../../../src/platforms/github/simulator/Server.js"
import { RateLimiter } from "../../../src/sdk/RateLimiter.js"
import { EventSink } from "../../../src/services/EventSink.js"
import { Metrics } from "../../../src/services/Metrics.js"
import { makeRunTriggers } from "../../../src/services/RunTriggers.js"
import { memoryStateStores } from "../../../src/services/StateStores.js"
import { projectRoot } from "../../support/Cli.js"
import { fastOptions, pipelineOptions } from "../../support/GitHub.js"

const id = Schema.decodeSync(ConnectorId)("github-acme")

describe("the dashboard", () => {
  it.scopedLive("shows the connectors, a grant search result and the throughput chart in Chromium", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ org: "acme", repos: 6, members: 8, teams: 3, outsideCollaborators: 2, events: 300, seed: 5 })
      const metrics = yield* makePromMetrics
      const connector = yield* makeGitHubConnector(id, {
        org: sim.org,
        token: Redacted.make(sim.token),
        apiUrl: sim.url,
        pageSize: 50,
        concurrency: 4
      }, fastOptions)
      // two cycles, so the chart has a few bars
      for (let i = 0; i < 2; i++) {
        yield* runConnectorOnce(connector, pipelineOptions, new Dedup(10_000)).pipe(Effect.provideService(Metrics, metrics))
      }
      const served = Layer.succeed(Served, {
        connectors: [{
          id,
          platform: Schema.decodeSync(Platform)("github"),
          settings: {},
          schedule: { permissions: Duration.hours(1), audit: Duration.minutes(1) }
        }],
        startedAt: Date.now(),
        runner: "test-runner:1"
      })
      const server = yield* Layer.build(
        apiLayer({ port: 0, host: "127.0.0.1", token: undefined, readsOpen: true }, { metrics, triggers: makeRunTriggers() }).pipe(
          Layer.provide(served),
          Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
        )
      )
      const address = Context.get(server, HttpServer.HttpServer).address
      const url = address._tag === "TcpAddress" ? `http://127.0.0.1:${address.port}/` : ""

      const grant = (yield* sim.truthGrants).find((g) => g.grant_mechanism === "direct")!
      const browser = yield* Effect.acquireRelease(
        Effect.promise(() => chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] })),
        (b) => Effect.promise(() => b.close())
      )
      const seen = yield* Effect.promise(async () => {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
        const errors: Array<string> = []
        page.on("pageerror", (e) => errors.push(e.message))
        await page.goto(url)
        await page.locator("#connectors tbody tr").first().waitFor()
        await page.locator("#health.ok").waitFor()
        const connectors = await page.locator("#connectors tbody").innerText()
        const bars = await page.locator("#chart svg rect").count()
        await page.selectOption("#field", "principal")
        await page.fill("#query", grant.principal_ref.toLowerCase())
        await page.click("#grant-search button")
        const principal = grant.principal_ref.toLowerCase()
        let firstColumn: Array<string> = []
        for (let i = 0; i < 100 && !(firstColumn.length > 0 && firstColumn.every((t) => t === principal)); i++) {
          await page.waitForTimeout(100)
          firstColumn = await page.locator("#grants tbody tr td:first-child").allInnerTexts()
        }
        const grants = await page.locator("#grants tbody").innerText()
        await page.fill("#query", "")
        await page.click("#grant-search button")
        await page.waitForTimeout(300)
        // a card whose table is wider than the card hides its last columns (the connectors' runner)
        const overflowing = await page.evaluate<Array<string>>(
          `[...document.querySelectorAll("main section")].filter((s) => s.scrollWidth > s.clientWidth).map((s) => s.querySelector("h2").textContent)`
        )
        const shot = await page.screenshot(process.env["VERITY_UPDATE_SCREENSHOT"] === "1" ? { path: join(projectRoot, "docs", "dashboard.png") } : {})
        expect(shot.length).toBeGreaterThan(10_000)
        return { connectors, bars, grants, firstColumn, errors, overflowing }
      })
      expect(seen.errors).toEqual([])
      expect(seen.overflowing).toEqual([])
      expect(seen.connectors).toContain("github-acme (github)")
      expect(seen.connectors).toContain("permissions")
      expect(seen.connectors).toContain("audit")
      expect(seen.bars).toBe(4) // two cycles of two streams
      expect(seen.grants).toContain(grant.asset_ref)
      expect(seen.firstColumn.length).toBeGreaterThan(0)
      expect(new Set(seen.firstColumn)).toEqual(new Set([grant.principal_ref.toLowerCase()]))
    }).pipe(Effect.provide(Layer.mergeAll(NodeHttpClient.layerUndici, RateLimiter.layer({ limit: 2000, interval: "1 second", maxConcurrency: 8 }), EventSink.memory, memoryStateStores))), { timeout: 120_000 })
})
