/**
 * Secrets: a configured token or DSN password never appears in any stdout, stderr, log line, error
 * message or published record, even at debug level, with a wrong token, during a 5xx storm and with
 * malformed pages. In process (every log line at every level captured, plus the failures' full causes
 * and everything published) and as the real program (`--log-level debug`, JSON and logfmt logs).
 * The bad-input suites (test/reliability/badInput/) check the same over every one of their cases.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Layer, Redacted } from "effect"
import { makeGitHubConnector } from "../../src/platforms/github/Connector.js"
import { UnknownPage } from "../../src/platforms/github/Payloads.js"
import { startGitHubSimulator } from "../../src/platforms/github/simulator/Server.js"
import { makeConnectorId } from "../../src/domain/Ids.js"
import { EventSink, MemorySink } from "../../src/services/EventSink.js"
import { RateLimiter } from "../../src/sdk/RateLimiter.js"
import { Dedup } from "../../src/pipeline/Dedup.js"
import { defaultPipelineOptions } from "../../src/pipeline/Options.js"
import { runConnectorOnce } from "../../src/pipeline/Pipeline.js"
import { testDatabase } from "../../src/testkit/Postgres.js"
import { capturingLogger, cli, everything, leaks, makeWorkDir, record, secrets } from "../support/Collected.js"
import { memoryStateStores } from "../../src/services/StateStores.js"

const simOptions = { org: "acme-corp", repos: 4, members: 6, teams: 2, outsideCollaborators: 1, events: 120, badEvents: 3, seed: 21 } as const

const fast = {
  retry: { times: 3, base: "5 millis", cap: "20 millis" },
  secondaryBackoff: { base: "20 millis", cap: "100 millis" },
  malformedRetries: 3,
  malformedDelay: "5 millis"
} as const

const pipelineOptions = { ...defaultPipelineOptions, batchSize: 50, batchWindow: "10 millis" as const }

describe("secrets never leak", () => {
  it.live("in process: a wrong token, then a 5xx storm with malformed pages, at debug level: no log line, error, cause or record holds a token", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({ ...simOptions, token: secrets.githubToken })
      const connectorWith = (token: string, id: string) =>
        makeGitHubConnector(makeConnectorId(id), {
          org: sim.org,
          token: Redacted.make(token),
          apiUrl: sim.url,
          pageSize: 25,
          concurrency: 2
        }, fast)
      const logs = capturingLogger("in-process pull")

      const run = Effect.gen(function*() {
        // 1. a wrong token: the run fails with the scopes message
        const wrong = yield* runConnectorOnce(yield* connectorWith(secrets.githubWrongToken, "gh-wrong"), pipelineOptions, new Dedup(1000))
        // 2. the right token in a storm of 5xx answers: the retries run out
        yield* sim.setFaults({ errorRate: 1 })
        const storm = yield* runConnectorOnce(yield* connectorWith(secrets.githubToken, "gh-storm"), pipelineOptions, new Dedup(1000))
        // 3. the storm abates to 30% 5xx and 10% malformed pages: the pull completes through retries
        yield* sim.setFaults({ errorRate: 0.3, malformedRate: 0.1 })
        const recovered = yield* runConnectorOnce(yield* connectorWith(secrets.githubToken, "gh-recovered"), pipelineOptions, new Dedup(1000))
        // a failure's full cause, as a program that logs it whole would print it
        const client = (yield* connectorWith(secrets.githubToken, "gh-cause")).client
        yield* sim.setFaults({ errorRate: 1, malformedRate: 0 })
        const failed = yield* client.getJson("core", `/orgs/${sim.org}/repos`, UnknownPage, "list repos").pipe(Effect.sandbox, Effect.flip)
        yield* Effect.logDebug("the failure's cause").pipe(Effect.annotateLogs("cause", Cause.pretty(failed)))
        const published = yield* MemorySink.pipe(Effect.flatMap((s) => s.messages))
        return { wrong, storm, recovered, failed, published }
      }).pipe(
        Effect.provide(Layer.mergeAll(
          NodeHttpClient.layerUndici,
          RateLimiter.layer({ limit: 5000, interval: "1 second", maxConcurrency: 4 }),
          EventSink.memory,
          memoryStateStores,
          logs.layer
        ))
      )
      const { failed, published, recovered, storm, wrong } = yield* run

      // the cases happened as described (so the absence below means something)
      expect(wrong.errors.join("\n")).toContain("HTTP 401 Bad credentials")
      expect(storm.errors.length).toBeGreaterThan(0)
      expect(storm.errors.join("\n")).toMatch(/5\d\d/)
      expect(recovered.errors).toEqual([])
      expect(recovered.events).toBe((yield* sim.truthEvents).length)
      expect(recovered.deadLettered).toBe(simOptions.badEvents)
      expect(logs.lines.some((l) => l.includes("level=DEBUG"))).toBe(true)
      expect(logs.lines.length).toBeGreaterThan(10)

      const outputs = [
        ...logs.lines,
        ...wrong.errors,
        ...storm.errors,
        ...recovered.errors,
        Cause.pretty(failed),
        JSON.stringify(failed),
        ...published.map((m) => `${m.key} ${JSON.stringify(m.headers)} ${m.value}`)
      ]
      for (const [i, o] of outputs.entries()) record(`in-process output ${i}`, o)
      for (const o of outputs) {
        expect(o).not.toContain(secrets.githubToken)
        expect(o).not.toContain(secrets.githubWrongToken)
      }
      expect(leaks()).toEqual([])
    }).pipe(Effect.scoped), 120_000)

  it.live("the program (--log-level debug, json and logfmt): a wrong token, a 5xx storm, a DSN with a password: no output or file holds a secret", () =>
    Effect.gen(function*() {
      const work = makeWorkDir("verity-secrets-")
      const sim = yield* startGitHubSimulator({ ...simOptions, token: secrets.githubToken, errorRate: 0.3, malformedRate: 0.1 })
      const db = yield* testDatabase
      // PostgreSQL here trusts local connections: the password is accepted and unused, but configured
      const url = new URL(Redacted.value(db.dsn))
      url.password = secrets.dsnPassword
      const config = (name: string, token: string) =>
        work.write(`${name}.json`, {
          dataDir: work.path(`data-${name}`),
          postgres: { dsn: url.toString() },
          connectors: [{ id: name, platform: "github", settings: { org: sim.org, token, apiUrl: sim.url, pageSize: 25 } }]
        })
      const [wrong, storm] = yield* Effect.all([
        cli("secrets: wrong token, debug", ["--log-level", "debug", "--log-format", "json", "run", "--once", "--config", config("gh-wrong", secrets.githubWrongToken)], { cwd: work.dir }),
        cli("secrets: 5xx storm, debug", ["--log-level", "debug", "run", "--once", "--config", config("gh-storm", secrets.githubToken)], { cwd: work.dir })
      ], { concurrency: 2 })

      expect(wrong.code, wrong.stderr.slice(-2000)).toBe(1)
      expect(wrong.stdout).toContain("HTTP 401 Bad credentials")
      expect(wrong.stderr).toContain(`"logLevel":"DEBUG"`)
      expect(storm.code, storm.stderr.slice(-2000)).toBe(0)
      expect(storm.stderr).toContain("level=DEBUG")
      expect((yield* sim.stats).serverErrors).toBeGreaterThan(0)

      // every file the runs wrote (JSON lines: events, snapshots, dead letters)
      for (const name of ["gh-wrong", "gh-storm"]) {
        const out = work.path(`data-${name}/out`)
        let files: Array<string> = []
        try {
          files = readdirSync(out)
        } catch {
          files = []
        }
        for (const f of files) record(`secrets: ${name} ${f}`, readFileSync(join(out, f), "utf8"))
      }
      expect(everything().some((c) => c.label.includes("gh-storm verity.events.raw.github"))).toBe(true)
      for (const r of [wrong, storm]) {
        for (const s of [secrets.githubToken, secrets.githubWrongToken, secrets.dsnPassword]) {
          expect(r.stdout).not.toContain(s)
          expect(r.stderr).not.toContain(s)
        }
      }
      expect(leaks()).toEqual([])
    }).pipe(Effect.scoped), 300_000)
})
