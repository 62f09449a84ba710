/**
 * The HTTP API as an operator meets it: the real program (`run` with `api` configured) against the
 * GitHub simulator over real HTTP, on a throwaway PostgreSQL. One program for the whole file (CI time):
 * the guide's grants command (the simulator's truth, then without a revoked grant after a run-now),
 * connector status, run-now, checkpoint reset, the errors (401, 404, 400 naming the field, JSON bodies),
 * health, `/metrics` (accepted by promtool, counters equal to the run records), the OpenAPI document
 * (valid, every endpoint), and no secret in any answer.
 */
import { spawnSync } from "node:child_process"
import { createServer } from "node:net"
import { Validator } from "@seriousme/openapi-schema-validator"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { startGitHubSimulator } from "../../../src/platforms/github/simulator/Server.js"
import { testDatabase } from "../../../src/testkit/Postgres.js"
import { applyEnvironment, decodeAppConfigFile, describeConfigError } from "../../../src/app/AppConfig.js"
import { startProgram, tempDir, waitUntil, writeConfig } from "../../support/Program.js"

const API_TOKEN = "api-token-4f1c9e"
const GITHUB_TOKEN = "ghp_servertestsecret"

const freePort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

interface Answer {
  readonly status: number
  readonly contentType: string
  readonly text: string
  readonly json: any
}

const call = (base: string, answers: Array<string>) =>
  (method: string, path: string, token?: string) =>
    Effect.promise(async (signal): Promise<Answer> => {
      const response = await fetch(`${base}${path}`, {
        method,
        signal,
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` }
      })
      const text = await response.text()
      answers.push(text)
      const contentType = response.headers.get("content-type") ?? ""
      return { status: response.status, contentType, text, json: contentType.includes("json") ? JSON.parse(text) : undefined }
    })

/** The current grants through the API, every page by cursor, as sorted `principal asset privilege` keys. */
const allGrants = (api: ReturnType<typeof call>) =>
  Effect.gen(function*() {
    const keys: Array<string> = []
    let cursor: string | undefined
    for (let page = 0; page < 100; page++) {
      const answer = yield* api("GET", `/api/v1/grants?platform=github&limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`)
      expect(answer.status).toBe(200)
      for (const g of answer.json.grants) keys.push(`${g.principal_ref} ${g.asset_ref} ${g.privilege}`)
      cursor = answer.json.next_cursor
      if (cursor === undefined) break
    }
    return keys.sort()
  })

const truthKeys = (truth: ReadonlyArray<{ principal_ref: string; asset_ref: string; privilege: string }>) =>
  Array.from(new Set(truth.map((g) => `${g.principal_ref.toLowerCase()} ${g.asset_ref} ${g.privilege}`))).sort()

/** `name{labels} value` lines of a Prometheus exposition, summed over the series that match `labels`. */
const sample = (exposition: string, name: string, labels: Record<string, string>) =>
  exposition.split("\n")
    .filter((line) => line.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0)

describe("the HTTP API served by run", () => {
  it.scopedLive("status, run-now, reset, errors, health, metrics and the OpenAPI document", () =>
    Effect.gen(function*() {
      const sim = yield* startGitHubSimulator({
        org: "acme",
        token: GITHUB_TOKEN,
        repos: 4,
        members: 5,
        teams: 2,
        outsideCollaborators: 2,
        events: 150,
        seed: 13
      })
      const db = yield* testDatabase
      const port = yield* freePort
      const dir = tempDir("api")
      const config = writeConfig(dir, "verity.json", {
        postgres: { dsn: Redacted.value(db.dsn) },
        dataDir: dir,
        pipeline: { batchSize: 50, batchWindow: "20 millis" },
        api: { port, token: API_TOKEN },
        connectors: [{
          id: "gh",
          platform: "github",
          settings: { org: sim.org, apiUrl: sim.url, token: GITHUB_TOKEN, pageSize: 50 },
          schedule: { permissions: "1 hour", audit: "1 hour" }
        }]
      })
      const program = yield* startProgram(["run", "--config", config], { cwd: dir })
      const answers: Array<string> = []
      const api = call(`http://127.0.0.1:${port}`, answers)
      const failIfExited = Effect.suspend(() =>
        program.isRunning() ? Effect.void : Effect.dieMessage(`the program exited:\n${program.output().stderr.slice(-3000)}`)
      )
      const completeRuns = (stream: string) =>
        api("GET", "/api/v1/connectors/gh").pipe(
          Effect.map((a) =>
            a.status === 200
              ? (a.json.streams.find((s: any) => s.stream === stream).last_runs as Array<any>).filter((r) => r.outcome === "complete")
              : []
          ),
          Effect.catchAllDefect(() => Effect.succeed([] as Array<any>))
        )
      yield* waitUntil(
        "both streams completed a run",
        failIfExited.pipe(
          Effect.zipRight(Effect.all([completeRuns("permissions"), completeRuns("audit")])),
          Effect.map(([p, a]) => p.length > 0 && a.length > 0)
        ),
        "90 seconds",
        "250 millis"
      ).pipe(Effect.tapErrorCause(() => Effect.sync(() => console.log(program.output().stderr.slice(-3000)))))

      // connectors: schedule, last runs with summaries, next run, checkpoint, rate budget, runner
      const list = yield* api("GET", "/api/v1/connectors")
      expect(list.status).toBe(200)
      const gh = list.json.connectors[0]
      expect(gh).toMatchObject({ id: "gh", platform: "github", health: "ok", runner: `${list.json.runner}` })
      expect(list.json.runner).toMatch(/^.+:\d+$/)
      const audit = gh.streams.find((s: any) => s.stream === "audit")
      expect(audit.schedule_seconds).toBe(3600)
      expect(audit.checkpoint.count).toBe(150)
      expect(Date.parse(audit.next_run_at) - Date.now()).toBeGreaterThan(3_500_000)
      expect(audit.last_runs[0]).toMatchObject({ outcome: "complete", published: 150, runner: list.json.runner })
      expect(gh.rate_budget.length).toBeGreaterThan(0)
      expect(gh.rate_budget[0].remaining).toBeLessThan(gh.rate_budget[0].limit)

      // the guide's command, as written (on this test's port)
      const guide = spawnSync("sh", ["-c", `curl -s http://localhost:${port}/api/v1/grants?platform=github | python3 -m json.tool`], {
        encoding: "utf8"
      })
      expect(guide.status).toBe(0)
      const firstPage = JSON.parse(guide.stdout)
      expect(firstPage.grants[0]).toMatchObject({ platform: "github", connector_id: "gh", first_seen_at: expect.any(String), last_seen_at: expect.any(String) })
      // every page, by cursor: the simulator's truth
      expect(yield* allGrants(api)).toEqual(truthKeys(yield* sim.truthGrants))
      const filtered = yield* api("GET", `/api/v1/grants?platform=github&principal=${encodeURIComponent(firstPage.grants[0].principal_ref)}`)
      expect(filtered.json.grants.length).toBeGreaterThan(0)
      expect(filtered.json.grants.every((g: any) => g.principal_ref === firstPage.grants[0].principal_ref)).toBe(true)
      const badLimit = yield* api("GET", "/api/v1/grants?platform=github&limit=many")
      expect([badLimit.status, badLimit.json._tag, badLimit.json.issues[0].path]).toEqual([400, "HttpApiDecodeError", ["limit"]])
      const noPlatform = yield* api("GET", "/api/v1/grants")
      expect([noPlatform.status, noPlatform.json.issues[0].path]).toEqual([400, ["platform"]])
      const changes = yield* api("GET", "/api/v1/grants/changes?platform=github&since=2020-01-01T00:00:00Z")
      expect([changes.status, changes.json.changes]).toEqual([200, []]) // the first snapshot is the baseline

      // errors: every one a JSON body
      const missing = yield* api("POST", "/api/v1/connectors/gh/run")
      expect([missing.status, missing.json._tag]).toEqual([401, "Unauthorized"])
      const wrong = yield* api("POST", "/api/v1/connectors/gh/run", "not-the-token")
      expect([wrong.status, wrong.json.message]).toEqual([401, "the bearer token is wrong"])
      const unknown = yield* api("GET", "/api/v1/connectors/nope")
      expect([unknown.status, unknown.json._tag]).toEqual([404, "ConnectorNotFound"])
      const unknownRun = yield* api("POST", "/api/v1/connectors/nope/run", API_TOKEN)
      expect(unknownRun.status).toBe(404)
      const badStream = yield* api("POST", "/api/v1/connectors/gh/run?stream=everything", API_TOKEN)
      expect(badStream.status).toBe(400)
      expect(badStream.json.issues[0].path).toEqual(["stream"])
      const badReset = yield* api("DELETE", "/api/v1/connectors/gh/checkpoints/everything", API_TOKEN)
      expect([badReset.status, badReset.json.issues[0].path]).toEqual([400, ["stream"]])
      const noRoute = yield* api("GET", "/api/v1/nothing")
      expect([noRoute.status, noRoute.json._tag]).toEqual([404, "NotFound"])

      // health
      expect((yield* api("GET", "/healthz")).json).toEqual({ status: "ok" })
      const ready = yield* api("GET", "/readyz")
      expect([ready.status, ready.json.checks.map((c: any) => c.ok)]).toEqual([200, [true, true, true]])

      // metrics: promtool accepts them, the counters equal the run records
      const scrape = yield* api("GET", "/metrics")
      expect(scrape.status).toBe(200)
      const promtool = spawnSync("promtool", ["check", "metrics"], { input: scrape.text, encoding: "utf8" })
      expect(promtool.stderr + promtool.stdout).toBe("")
      expect(promtool.status).toBe(0)
      const permissionRuns = yield* completeRuns("permissions")
      expect(sample(scrape.text, "verity_records_published_total", { connector: "gh", stream: "audit", kind: "event" })).toBe(150)
      expect(sample(scrape.text, "verity_records_published_total", { connector: "gh", stream: "permissions", kind: "snapshot" }))
        .toBe(permissionRuns[0].published)
      expect(sample(scrape.text, "verity_publish_duration_seconds_count", { connector: "gh", stream: "audit" })).toBeGreaterThan(0)
      expect(sample(scrape.text, "verity_checkpoint_save_duration_seconds_count", { connector: "gh", stream: "audit" })).toBeGreaterThan(0)
      expect(sample(scrape.text, "verity_source_requests_total", { connector: "gh", status: "200" })).toBeGreaterThan(0)
      expect(sample(scrape.text, "verity_rate_limit_remaining", { connector: "gh" })).toBeGreaterThan(0)
      expect(sample(scrape.text, "verity_last_success_timestamp_seconds", { connector: "gh", stream: "permissions" }))
        .toBeCloseTo(Date.parse(permissionRuns[0].finished_at) / 1000, 0)
      expect(scrape.text).toMatch(/verity_checkpoint_lag_seconds\{[^}]*stream="audit"[^}]*\} \d/)

      // a revocation on the platform (the simulator's write API)
      const direct = (yield* sim.truthGrants).find((g) => g.grant_mechanism === "direct" && g.asset_ref.includes("/"))!
      const [owner, repo] = direct.asset_ref.split("/")
      const revoked = yield* Effect.promise(() =>
        fetch(`${sim.url}/repos/${owner}/${repo}/collaborators/${direct.principal_ref}`, {
          method: "DELETE",
          headers: { authorization: `Bearer ${GITHUB_TOKEN}` }
        })
      )
      expect(revoked.status).toBe(204)
      const revokedKey = `${direct.principal_ref.toLowerCase()} ${direct.asset_ref} ${direct.privilege}`

      // reset the audit checkpoint, then run now: the next audit run starts over, and dedup (kept
      // across the process's cycles) drops what was already published
      const reset = yield* api("DELETE", "/api/v1/connectors/gh/checkpoints/audit", API_TOKEN)
      expect(reset.json).toEqual({ connector: "gh", stream: "audit", deleted: 1 })
      const afterReset = yield* api("GET", "/api/v1/connectors/gh")
      expect(afterReset.json.streams.find((s: any) => s.stream === "audit").checkpoint).toBeNull()
      const runNow = yield* api("POST", "/api/v1/connectors/gh/run", API_TOKEN)
      expect([runNow.status, runNow.json.streams]).toEqual([202, ["permissions", "audit"]])
      yield* waitUntil(
        "a second run of each stream",
        failIfExited.pipe(
          Effect.zipRight(Effect.all([completeRuns("permissions"), completeRuns("audit")])),
          Effect.map(([p, a]) => p.length > 1 && a.length > 1)
        ),
        "60 seconds",
        "250 millis"
      )
      // the grants follow the platform: the revoked one is gone, the rest is the truth again
      const after = yield* allGrants(api)
      expect(after).not.toContain(revokedKey)
      expect(after).toEqual(truthKeys(yield* sim.truthGrants))
      const drift = yield* api("GET", "/api/v1/grants/changes?platform=github")
      expect(drift.json.changes.map((c: any) => c.kind)).toContain("grant_removed")
      const auditRuns = yield* completeRuns("audit")
      // only the revocation's own audit entry is new
      expect(auditRuns[0]).toMatchObject({ published: 1, duplicates: 150 })
      // the revocation's audit entry also has the refresher re-read its repository (after a debounce,
      // possibly after the runs above completed), publishing that repository's grants on the permissions
      // stream: wait until that round ended, so the counters are read at rest and compared like with like
      yield* waitUntil(
        "the audit-driven refresh of the revoked repository",
        failIfExited.pipe(
          Effect.zipRight(api("GET", "/metrics")),
          Effect.map((m) => sample(m.text, "verity_refreshes_total", { connector: "gh" }) >= 1)
        ),
        "30 seconds",
        "250 millis"
      )
      const second = yield* api("GET", "/metrics")
      expect(sample(second.text, "verity_refreshes_total", { connector: "gh", outcome: "complete" })).toBe(1)
      expect(sample(second.text, "verity_duplicates_total", { connector: "gh", stream: "audit" })).toBe(150)
      expect(sample(second.text, "verity_records_published_total", { connector: "gh", stream: "audit" })).toBe(151)
      const allPermissionRuns = yield* completeRuns("permissions")
      const refreshedGrants = (yield* sim.truthGrants).filter((g) => g.asset_ref === direct.asset_ref).length
      expect(sample(second.text, "verity_records_published_total", { connector: "gh", stream: "permissions" }))
        .toBe(allPermissionRuns.reduce((n, r) => n + r.published, 0) + refreshedGrants)

      // the OpenAPI document validates and lists every endpoint; the docs page is served
      const doc = yield* api("GET", "/openapi.json")
      const validation = yield* Effect.promise(() => new Validator().validate(doc.json))
      expect(validation.errors ?? []).toEqual([])
      expect(validation.valid).toBe(true)
      const operations = Object.entries(doc.json.paths as Record<string, Record<string, unknown>>)
        .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      expect(operations.sort()).toEqual([
        "DELETE /api/v1/connectors/{id}/checkpoints/{stream}",
        "GET /",
        "GET /api/v1/connectors",
        "GET /api/v1/connectors/{id}",
        "GET /api/v1/grants",
        "GET /api/v1/grants/changes",
        "GET /healthz",
        "GET /metrics",
        "GET /readyz",
        "POST /api/v1/connectors/{id}/run"
      ])
      const docs = yield* api("GET", "/docs")
      expect([docs.status, docs.contentType, docs.text]).toEqual([200, "text/html", expect.stringContaining("swagger-ui")])

      // no secret in any answer
      for (const answer of answers) {
        expect(answer).not.toContain(API_TOKEN)
        expect(answer).not.toContain(GITHUB_TOKEN)
      }
    }), { timeout: 150_000 })

  it.effect("an API beyond loopback without a token refuses to start, in one line", () =>
    Effect.gen(function*() {
      const decoded = yield* decodeAppConfigFile({ api: { host: "0.0.0.0" } }, "verity.json")
      const error = yield* Effect.flip(applyEnvironment(decoded, "verity.json"))
      expect(describeConfigError(error)).toBe(
        `config error in verity.json: field "api.token": the API listens on 0.0.0.0, beyond this machine, and has no token: ` +
          "set api.token (or VERITY_API_TOKEN), or listen on 127.0.0.1"
      )
      const loopback = yield* applyEnvironment(yield* decodeAppConfigFile({ api: {} }, "verity.json"), "verity.json")
      expect(loopback.api).toMatchObject({ host: "127.0.0.1", port: 8000, readsOpen: true })
    }))
})
