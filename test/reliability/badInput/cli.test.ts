/**
 * Bad input, part 1: the program fed bad config files, bad environment overrides, wrong or expired
 * tokens, tampered or foreign page tokens and bad command lines. Each case asserts the message by
 * content, the exit code (2: config or usage; 1: a connector or the infrastructure failed; 0 with the
 * SDK's ErrorResponse on stdout when a capability answered an error, as connector-py's CLI does) and,
 * where data is involved, that nothing was published or lost. The cases run side by side in `beforeAll`;
 * each case then checks its own result. A last test checks that no configured token or password appeared
 * in anything the program printed.
 *
 * The cases that reach the infrastructure or a connector, and one of each kind of answer (a config error,
 * a capability's ErrorResponse, a usage error), run the program as a user does (`node --import tsx
 * main.ts ...`, a child process each). The others run the same program in-process (`cliInProcess`: the
 * program main.ts runs, its Console captured, main.ts's exit code): a child costs seconds of CPU to start.
 */
import { existsSync, readFileSync } from "node:fs"
import { createServer } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Redacted, Scope } from "effect"
import { encodePageToken, PageCursor } from "../../../src/sdk/capabilities/PageToken.js"
import { startGitHubSimulator } from "../../../src/platforms/github/simulator/Server.js"
import { startMockAppSimulator } from "../../../src/platforms/mockapp/simulator/Server.js"
import { topics } from "../../../src/pipeline/Wire.js"
import type { CliResult } from "../../support/Cli.js"
import { testDatabase } from "../../../src/testkit/Postgres.js"
import { cli, cliInProcess, everything, leaks, makeWorkDir, secrets } from "../../support/Collected.js"

const work = makeWorkDir("verity-badinput-cli-")

/** A port nothing listens on: bind one, note it, close it. */
const closedPort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 1
    server.close(() => resume(Effect.succeed(port)))
  })
})

interface Case {
  readonly name: string
  /** builds the child's arguments (and environment) once the simulators are up */
  readonly run: (ctx: Context) => Effect.Effect<CliResult>
  readonly check: (r: CliResult, ctx: Context) => void
}

interface Context {
  readonly github: { readonly url: string; readonly org: string }
  /** a second simulator of the same org that only accepts a rotated token */
  readonly githubRotated: { readonly url: string; readonly org: string }
  readonly mockapp: { readonly url: string }
  readonly closedPgPort: number
  readonly closedKafkaPort: number
  /** a database of this suite's own, for the cases that get as far as storing checkpoints (PGlite starts slowly) */
  readonly dsn: string
  /** outputs of the multi-step cases, by step */
  readonly steps: Map<string, CliResult>
}

const dataDir = (name: string) => work.path(`data-${name}`)

/** How a case runs the program: as a child process (`cli`), or in-process (`cliInProcess`, the default). */
type Runner = typeof cli

const runConfig = (name: string, config: unknown, env: Record<string, string> = {}, run: Runner = cliInProcess) =>
  run(name, ["run", "--once", "--config", work.write(`${name}.json`, config)], { cwd: work.dir, env })

const mockappConnector = (ctx: Context, token: string = secrets.mockappToken) => ({
  id: "ma",
  platform: "mockapp",
  settings: { api_url: ctx.mockapp.url, token }
})

const githubConnector = (ctx: Context, token: string = secrets.githubToken, url = ctx.github.url, id = "gh") => ({
  id,
  platform: "github",
  settings: { org: ctx.github.org, token, apiUrl: url }
})

const capability = (name: string, app: string, cap: string, request: unknown, run: Runner = cliInProcess) =>
  run(name, ["connector", app, cap, "--json", typeof request === "string" ? request : JSON.stringify(request)], { cwd: work.dir })

const mockappRequest = (ctx: Context, extra: Record<string, unknown> = {}, token: string = secrets.mockappToken) => ({
  auth: { token: { token } },
  request: {},
  settings: { api_url: ctx.mockapp.url },
  ...extra
})

/** Exit 2 and one line on stderr holding every part, no stack trace. */
const usageError = (r: CliResult, ...parts: ReadonlyArray<string>) => {
  expect(r.code, r.stderr).toBe(2)
  const lines = r.stderr.trim().split("\n").filter((l) => l.trim() !== "")
  expect(lines, r.stderr).toHaveLength(1)
  for (const p of parts) expect(lines[0]).toContain(p)
  expect(r.stderr).not.toMatch(/\n\s+at /)
  expect(r.stdout).toBe("")
}

const configError = (r: CliResult, file: string, field: string | undefined, ...parts: ReadonlyArray<string>) =>
  usageError(r, `config error in ${work.path(file)}`, ...(field === undefined ? [] : [`field "${field}"`]), ...parts)

/** The ErrorResponse a capability printed on stdout, one line (exit 0, as connector-py's CLI). */
const envelope = (r: CliResult) => {
  expect(r.code, r.stderr).toBe(0)
  expect(r.stdout.trim().split("\n"), r.stdout).toHaveLength(1)
  const parsed = JSON.parse(r.stdout) as { is_error: boolean; error: { message: string; error_code: string; raised_in: string | null } }
  expect(parsed.is_error).toBe(true)
  expect(r.stderr).not.toMatch(/\n\s+at /)
  return parsed.error
}

const jsonlLines = (dir: string, topic: string): number => {
  const path = `${dir}/out/${topic}.jsonl`
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "").length : 0
}

const nothingPublished = (dir: string) => {
  for (const platform of ["github", "mockapp"]) {
    expect(jsonlLines(dir, topics.events(platform))).toBe(0)
    expect(jsonlLines(dir, topics.snapshots(platform))).toBe(0)
  }
}

const validPageToken = (r: CliResult): string => {
  const body = JSON.parse(r.stdout) as { page?: { token: string } }
  if (body.page === undefined) throw new Error(`no page token in ${r.stdout}`)
  return body.page.token
}

/** Flip one character of a token's payload (a different base64url letter). */
const tamper = (token: string) => {
  const i = Math.floor(token.indexOf(".") / 2)
  const c = token[i] === "A" ? "B" : "A"
  return `${token.slice(0, i)}${c}${token.slice(i + 1)}`
}

const validConfig = (ctx: Context, name: string, extra: Record<string, unknown> = {}) => ({
  dataDir: dataDir(name),
  connectors: [mockappConnector(ctx)],
  ...extra
})

const cases: ReadonlyArray<Case> = [
  // config files
  {
    name: "config: missing file",
    run: () => cli("missing", ["run", "--once", "--config", work.path("absent.json")], { cwd: work.dir }), // a child
    check: (r) => configError(r, "absent.json", undefined, "file not found")
  },
  {
    name: "config: malformed JSON",
    run: () => cliInProcess("malformed", ["run", "--once", "--config", work.write("malformed.json", `{ "connectors": [ `)], { cwd: work.dir }),
    check: (r) => configError(r, "malformed.json", undefined, "not valid JSON")
  },
  {
    name: "config: wrong type, pipeline.batchSize is a string",
    run: (ctx) => runConfig("wrong-batch", validConfig(ctx, "wrong-batch", { pipeline: { batchSize: "many" } })),
    check: (r) => configError(r, "wrong-batch.json", "pipeline.batchSize", `Expected number, actual "many"`)
  },
  {
    name: "config: wrong type, connectors is an object",
    run: () => runConfig("wrong-connectors", { connectors: { id: "gh", platform: "github" } }),
    check: (r) => configError(r, "wrong-connectors.json", "connectors", "Expected ReadonlyArray")
  },
  {
    name: "config: wrong type, a connector id is a number",
    run: (ctx) => runConfig("wrong-id", { connectors: [{ ...mockappConnector(ctx), id: 42 }] }),
    check: (r) => configError(r, "wrong-id.json", "connectors.0.id", "Expected string, actual 42")
  },
  {
    name: "config: wrong value, kafka.compression is not a codec",
    run: (ctx) => runConfig("wrong-codec", validConfig(ctx, "wrong-codec", { kafka: { brokers: ["127.0.0.1:9092"], compression: "brotli" } })),
    check: (r) => configError(r, "wrong-codec.json", "kafka.compression", `"gzip"`, `actual "brotli"`)
  },
  {
    name: "config: wrong type in a connector's settings (github pageSize)",
    run: (ctx) => runConfig("wrong-gh-settings", { dataDir: dataDir("x"), connectors: [{ ...githubConnector(ctx), settings: { ...githubConnector(ctx).settings, pageSize: "lots" } }] }),
    check: (r) => configError(r, "wrong-gh-settings.json", "connectors.0.settings.pageSize", "integer", `"lots"`)
  },
  {
    name: "config: out of range in a connector's settings (mockapp page_size 0)",
    run: (ctx) => runConfig("wrong-ma-settings", { connectors: [{ ...mockappConnector(ctx), settings: { ...mockappConnector(ctx).settings, page_size: 0 } }] }),
    check: (r) => configError(r, "wrong-ma-settings.json", "connectors.0.settings.page_size", "between 1 and 1000, actual 0")
  },
  {
    name: "config: a connector's token is missing",
    run: (ctx) => runConfig("no-token", { connectors: [{ id: "gh", platform: "github", settings: { org: ctx.github.org, apiUrl: ctx.github.url } }] }),
    check: (r) => configError(r, "no-token.json", "connectors.0.settings.token", "set token", "VERITY_GITHUB_TOKEN")
  },
  {
    name: "config: unknown platform (the message lists the known ones)",
    run: () => runConfig("unknown-platform", { connectors: [{ id: "sf", platform: "salesforce" }] }),
    check: (r) => configError(r, "unknown-platform.json", "connectors.0.platform", `unknown platform "salesforce"`, "known platforms: github, mockapp")
  },
  {
    name: "config: an unknown top-level key (a typo) names the keys it could be",
    run: (ctx) => runConfig("typo", { ...validConfig(ctx, "typo"), kafak: { brokers: ["127.0.0.1:9092"] } }),
    check: (r) => configError(r, "typo.json", "kafak", "is unexpected", `"kafka"`)
  },
  {
    name: "config: bad DSN (unparsable) is a config error that does not quote the DSN",
    run: (ctx) => runConfig("dsn-unparsable", validConfig(ctx, "dsn-unparsable", { postgres: { dsn: `postgres://verity:${secrets.dsnPassword}@db:port/verity` } })),
    check: (r) => {
      configError(r, "dsn-unparsable.json", "postgres.dsn", "expected a PostgreSQL URL", "not shown")
      expect(r.stderr).not.toContain(secrets.dsnPassword)
    }
  },
  {
    name: "config: bad DSN (another scheme)",
    run: (ctx) => runConfig("dsn-scheme", validConfig(ctx, "dsn-scheme", { postgres: { dsn: `mysql://verity:${secrets.dsnPassword}@127.0.0.1/verity` } })),
    check: (r) => configError(r, "dsn-scheme.json", "postgres.dsn", `the scheme is "mysql"`)
  },
  {
    name: "config: bad DSN in VERITY_POSTGRES_DSN",
    run: (ctx) => runConfig("dsn-env", validConfig(ctx, "dsn-env"), { VERITY_POSTGRES_DSN: `host=db password=${secrets.dsnPassword}` }),
    check: (r) => configError(r, "dsn-env.json", "VERITY_POSTGRES_DSN", "expected a PostgreSQL URL")
  },
  {
    name: "config: DSN to a closed port: a clear error naming host:port (not the password), exit 1, nothing published",
    run: (ctx) =>
      runConfig("dsn-closed", validConfig(ctx, "dsn-closed", { postgres: { dsn: `postgres://verity:${secrets.dsnPassword}@127.0.0.1:${ctx.closedPgPort}/verity` } }), {}, cli),
    check: (r, ctx) => {
      expect(r.code, r.stderr).toBe(1)
      expect(r.stderr).toContain("checkpoint store")
      expect(r.stderr).toContain(`127.0.0.1:${ctx.closedPgPort}`)
      expect(r.stderr).not.toContain(secrets.dsnPassword)
      expect(r.stderr).not.toMatch(/\n\s+at /)
      nothingPublished(dataDir("dsn-closed"))
    }
  },
  {
    name: "config: bad brokers (no port)",
    run: (ctx) => runConfig("brokers-noport", validConfig(ctx, "brokers-noport", { kafka: { brokers: ["kafka-1"] } })),
    check: (r) => configError(r, "brokers-noport.json", "kafka.brokers.0", `"host:port"`, `got "kafka-1"`)
  },
  {
    name: "config: bad brokers (a comma-separated string with a port out of range)",
    run: (ctx) => runConfig("brokers-range", validConfig(ctx, "brokers-range", { kafka: { brokers: "127.0.0.1:9092,127.0.0.1:99999" } })),
    check: (r) => configError(r, "brokers-range.json", "kafka.brokers.1", "1 to 65535", `got "127.0.0.1:99999"`)
  },
  {
    name: "config: bad brokers in VERITY_KAFKA_BROKERS",
    run: (ctx) => runConfig("brokers-env", validConfig(ctx, "brokers-env"), { VERITY_KAFKA_BROKERS: "not a broker" }),
    check: (r) => configError(r, "brokers-env.json", "VERITY_KAFKA_BROKERS", `"host:port"`)
  },
  {
    name: "config: unreachable brokers: exit 1 naming the broker, the SASL password never printed, nothing published",
    run: (ctx) =>
      runConfig("brokers-down", validConfig(ctx, "brokers-down", {
        postgres: { dsn: ctx.dsn },
        kafka: {
          brokers: [`127.0.0.1:${ctx.closedKafkaPort}`],
          sendTimeoutMs: 1500,
          sasl: { mechanism: "plain", username: "verity", password: secrets.saslPassword }
        }
      }), {}, cli),
    check: (r, ctx) => {
      expect(r.code, r.stderr).toBe(1)
      expect(r.stderr).toContain(`event sink: kafka 127.0.0.1:${ctx.closedKafkaPort}`)
      expect(r.stderr).not.toMatch(/\n\s+at /)
      expect(r.stdout).toBe("")
    }
  },
  {
    name: "config: duplicate connector ids",
    run: (ctx) => runConfig("duplicate", { dataDir: dataDir("duplicate"), connectors: [mockappConnector(ctx), mockappConnector(ctx)] }),
    check: (r) => configError(r, "duplicate.json", "connectors.1.id", `duplicate connector id "ma"`)
  },
  {
    name: "config: empty connectors list (run would otherwise idle forever)",
    run: () => runConfig("empty", { dataDir: dataDir("empty"), connectors: [] }),
    check: (r) => configError(r, "empty.json", "connectors", "no connectors configured", "github, mockapp")
  },
  {
    name: "config: bad schedule duration",
    run: (ctx) => runConfig("schedule", { connectors: [{ ...mockappConnector(ctx), schedule: { audit: "soonish" } }] }),
    check: (r) => configError(r, "schedule.json", "connectors.0.schedule.audit", `expected a duration such as "90 seconds"`)
  },
  {
    name: "config: VERITY_CONNECTOR names no configured connector",
    run: (ctx) => runConfig("only", validConfig(ctx, "only"), { VERITY_CONNECTOR: "nosuch" }),
    check: (r) => configError(r, "only.json", "VERITY_CONNECTOR", `no connector with id "nosuch"`, "configured: ma")
  },

  // tokens
  {
    name: "token: wrong GitHub token: the 401 names the scopes, exit 1, nothing published",
    run: (ctx) =>
      runConfig("gh-wrong", {
        dataDir: dataDir("gh-wrong"),
        postgres: { dsn: ctx.dsn },
        connectors: [githubConnector(ctx, secrets.githubWrongToken)]
      }, {}, cli),
    check: (r) => {
      expect(r.code, r.stderr).toBe(1)
      expect(r.stdout).toContain("gh (github)  FAILED")
      expect(r.stdout).toContain("HTTP 401 Bad credentials")
      expect(r.stdout).toContain("read:org, read:audit_log and repo")
      expect(r.stderr).toContain("1 connector failed: gh")
      expect(r.stderr).not.toMatch(/\n\s+at /)
      nothingPublished(dataDir("gh-wrong"))
    }
  },
  {
    name: "token: expired GitHub token (GitHub answers 401 Bad credentials as for a wrong one): the cycle fails, nothing published after, the checkpoint stays",
    run: (ctx) =>
      Effect.gen(function*() {
        // the first run works; then the token is rotated away (the org accepts only its successor), as
        // when a fine-grained token expires: the same data dir and connector id, the old token
        const config = (url: string) => ({
          dataDir: dataDir("gh-expiring"),
          postgres: { dsn: ctx.dsn },
          connectors: [githubConnector(ctx, secrets.githubToken, url, "gh-expiring")]
        })
        const before = yield* runConfig("gh-expiring", config(ctx.github.url), {}, cli)
        ctx.steps.set("gh-expiring:before", before)
        ctx.steps.set("gh-expiring:events-before", { code: jsonlLines(dataDir("gh-expiring"), topics.events("github")), signal: null, stdout: "", stderr: "" })
        return yield* runConfig("gh-expired", config(ctx.githubRotated.url), {}, cli)
      }),
    check: (r, ctx) => {
      const before = ctx.steps.get("gh-expiring:before")
      expect(before?.code, before?.stderr).toBe(0)
      const eventsBefore = ctx.steps.get("gh-expiring:events-before")?.code ?? -1
      expect(eventsBefore).toBeGreaterThan(0)
      expect(r.code, r.stderr).toBe(1)
      expect(r.stdout).toContain("HTTP 401 Bad credentials")
      expect(r.stdout).toContain("read:org")
      // the checkpoint the first run reached is where the failed run leaves it
      const checkpointOf = (out: string | undefined) => /audit checkpoint\s+(\S+)/.exec(out ?? "")?.[1]
      expect(checkpointOf(before?.stdout)).toMatch(/^\d{4}-/)
      expect(checkpointOf(r.stdout)).toBe(checkpointOf(before?.stdout))
      expect(jsonlLines(dataDir("gh-expiring"), topics.events("github"))).toBe(eventsBefore)
    }
  },
  {
    name: "token: wrong MockApp token in a pipeline connector: exit 1 with the 401, nothing published",
    run: (ctx) =>
      runConfig("ma-wrong", {
        dataDir: dataDir("ma-wrong"),
        postgres: { dsn: ctx.dsn },
        connectors: [{ ...mockappConnector(ctx, secrets.mockappWrongToken), id: "ma-wrong" }]
      }, {}, cli),
    check: (r) => {
      expect(r.code, r.stderr).toBe(1)
      expect(r.stdout).toContain("ma-wrong (mockapp)  FAILED")
      expect(r.stdout).toContain("HTTP 401")
      expect(r.stderr).toContain("1 connector failed: ma-wrong")
      nothingPublished(dataDir("ma-wrong"))
    }
  },
  {
    name: "token: wrong MockApp token in a capability request: the unauthorized ErrorResponse, exit 0",
    run: (ctx) => capability("cap-wrong-token", "mockapp", "list_accounts", mockappRequest(ctx, {}, secrets.mockappWrongToken), cli),
    check: (r) => {
      const e = envelope(r)
      expect(e.error_code).toBe("unauthorized")
      expect(e.message).toContain("401")
      expect(e.raised_in).toBe("platforms.mockapp.capabilities:list_accounts")
    }
  },
  {
    name: "token: no credential in a capability request: a bad_request ErrorResponse, as the SDK answers, exit 0",
    run: (ctx) => capability("cap-no-auth", "mockapp", "validate_credentials", { request: {}, settings: { api_url: ctx.mockapp.url } }),
    check: (r) => {
      const e = envelope(r)
      expect(e.error_code).toBe("bad_request")
      expect(e.message).toContain("Missing auth/credentials in request")
    }
  },

  // page tokens
  {
    name: "page token: tampered (one character flipped): invalid_page_token, exit 0; the untouched token still works",
    run: (ctx) =>
      Effect.gen(function*() {
        const first = yield* capability("page-first", "mockapp", "list_accounts", mockappRequest(ctx, { page: { size: 2 } }))
        ctx.steps.set("page-first", first)
        const token = validPageToken(first)
        const [good, tampered, foreignCap, foreignApp, garbage] = yield* Effect.all([
          capability("page-good", "mockapp", "list_accounts", mockappRequest(ctx, { page: { size: 2, token } })),
          capability("page-tampered", "mockapp", "list_accounts", mockappRequest(ctx, { page: { size: 2, token: tamper(token) } })),
          capability("page-foreign-cap", "mockapp", "list_resources", mockappRequest(ctx, { page: { size: 2, token } })),
          capability("page-foreign-app", "mockapp", "list_accounts", mockappRequest(ctx, {
            page: { size: 2, token: encodePageToken("otherapp", "list_accounts", [new PageCursor({ endpoint: "users", offset: 2 })]) }
          })),
          capability("page-garbage", "mockapp", "list_accounts", mockappRequest(ctx, { page: { token: "not-a-page-token" } }))
        ], { concurrency: "unbounded" })
        ctx.steps.set("page-good", good)
        ctx.steps.set("page-foreign-cap", foreignCap)
        ctx.steps.set("page-foreign-app", foreignApp)
        ctx.steps.set("page-garbage", garbage)
        return tampered
      }),
    check: (r, ctx) => {
      const good = ctx.steps.get("page-good")
      expect(good?.code, good?.stderr).toBe(0)
      type Accounts = { response: Array<{ integration_specific_id: string }> }
      const firstIds = (JSON.parse(ctx.steps.get("page-first")?.stdout ?? "{}") as Accounts).response.map((a) => a.integration_specific_id)
      const nextIds = (JSON.parse(good?.stdout ?? "{}") as Accounts).response.map((a) => a.integration_specific_id)
      expect(nextIds).toHaveLength(2)
      expect(nextIds.filter((id) => firstIds.includes(id))).toEqual([])
      const e = envelope(r)
      expect(e.error_code).toBe("invalid_page_token")
      expect(e.message).toContain("invalid page token")
      expect(e.message).toContain("altered")
    }
  },
  {
    name: "page token: foreign (issued by another capability of the same app): invalid_page_token, exit 0",
    run: () => Effect.succeed({ code: null, signal: null, stdout: "", stderr: "" }),
    check: (_, ctx) => {
      const e = envelope(ctx.steps.get("page-foreign-cap")!)
      expect(e.error_code).toBe("invalid_page_token")
      expect(e.message).toContain("issued by another app or capability than mockapp list_resources")
    }
  },
  {
    name: "page token: foreign (issued by another app): invalid_page_token, exit 0",
    run: () => Effect.succeed({ code: null, signal: null, stdout: "", stderr: "" }),
    check: (_, ctx) => {
      const e = envelope(ctx.steps.get("page-foreign-app")!)
      expect(e.error_code).toBe("invalid_page_token")
      expect(e.message).toContain("invalid page token")
    }
  },
  {
    name: "page token: not a token at all: invalid_page_token, exit 0",
    run: () => Effect.succeed({ code: null, signal: null, stdout: "", stderr: "" }),
    check: (_, ctx) => {
      const e = envelope(ctx.steps.get("page-garbage")!)
      expect(e.error_code).toBe("invalid_page_token")
      expect(e.message).toContain("not a page token")
    }
  },

  // CLI arguments
  {
    name: "cli: unknown capability (exit 2, lists the registered ones, as argparse does)",
    run: () => capability("unknown-cap", "mockapp", "list_acounts", {}),
    check: (r) => usageError(r, `invalid choice: 'list_acounts'`, "'info'", "'list_accounts'", "'list_resources'")
  },
  {
    name: "cli: unknown app (exit 2, lists the known ones)",
    run: () => capability("unknown-app", "salesforce", "list_accounts", {}),
    check: (r) => usageError(r, `unknown app "salesforce"`, "known apps: github, mockapp")
  },
  {
    name: "cli: a request without its required member (bad_request ErrorResponse naming it, exit 0)",
    run: () => capability("no-request-member", "github", "list_accounts", {}),
    check: (r) => {
      const e = envelope(r)
      expect(e.error_code).toBe("bad_request")
      expect(e.message).toContain("Invalid request - request: is missing")
    }
  },
  {
    name: "cli: invalid JSON in --json (bad_request ErrorResponse, exit 0)",
    run: () => capability("bad-json", "mockapp", "list_accounts", `{"auth": {"token": `),
    check: (r) => {
      const e = envelope(r)
      expect(e.error_code).toBe("bad_request")
      expect(e.message).toContain("Invalid request, expected JSON input")
    }
  },
  {
    name: "cli: a request field of the wrong type (bad_request ErrorResponse naming the field, exit 0)",
    run: (ctx) => capability("wrong-field", "mockapp", "get_last_activity", mockappRequest(ctx, { request: { account_ids: "user-0001" } })),
    check: (r) => {
      const e = envelope(r)
      expect(e.error_code).toBe("bad_request")
      expect(e.message).toContain("request.account_ids")
      expect(e.message).toContain(`actual "user-0001"`)
    }
  },
  {
    name: "cli: a page size of the wrong type (bad_request ErrorResponse naming the field, exit 0; the SDK bounds no size)",
    run: (ctx) => capability("page-size", "mockapp", "list_accounts", mockappRequest(ctx, { page: { size: "lots" } })),
    check: (r) => {
      const e = envelope(r)
      expect(e.error_code).toBe("bad_request")
      expect(e.message).toContain("page.size")
    }
  },
  {
    name: "cli: a capability without a request (exit 2, shows the shape)",
    run: () => cliInProcess("no-request", ["connector", "mockapp", "list_accounts"], { cwd: work.dir }),
    check: (r) => usageError(r, "one of the arguments --json --json-file is required")
  },
  {
    name: "cli: --json-file that does not exist (exit 2, names the file)",
    run: () => cliInProcess("json-file", ["connector", "mockapp", "list_accounts", "--json-file", work.path("no-request.json")], { cwd: work.dir }),
    check: (r) => {
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr.trim()).toBe(`cannot read --json-file ${work.path("no-request.json")}: file not found`)
      expect(r.stderr).not.toMatch(/\n\s+at /)
      expect(r.stdout).toBe("")
    }
  },
  {
    name: "cli: both --json and --json-file (exit 2)",
    run: () => cliInProcess("both", ["connector", "mockapp", "list_accounts", "--json", "{}", "--json-file", work.write("req.json", {})], { cwd: work.dir }),
    check: (r) => usageError(r, "argument --json-file: not allowed with argument --json")
  },
  {
    name: "cli: unknown command (exit 2, lists the commands)",
    run: () => cli("unknown-command", ["frobnicate"], { cwd: work.dir }), // a child
    check: (r) => {
      expect(r.code).toBe(2)
      for (const c of ["run", "demo", "connector", "checkpoint"]) expect(r.stderr).toContain(`'${c}'`)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
  },
  {
    name: "cli: unknown option (exit 2, names it)",
    run: (ctx) => cliInProcess("unknown-option", ["run", "--once", "--config", work.write("opt.json", validConfig(ctx, "opt")), "--frobnicate"], { cwd: work.dir }),
    check: (r) => {
      expect(r.code).toBe(2)
      expect(r.stderr).toContain("unknown argument: '--frobnicate'")
      expect(r.stderr).not.toMatch(/\n\s+at /)
      nothingPublished(dataDir("opt"))
    }
  },
  {
    name: "cli: a bad --log-level value (exit 2, lists the levels)",
    run: () => cliInProcess("log-level", ["--log-level", "loud", "connector", "mockapp", "info"], { cwd: work.dir }),
    check: (r) => {
      expect(r.code).toBe(2)
      expect(r.stderr).toContain("all, trace, debug, info, warning, error, fatal, none")
      expect(r.stdout).toBe("")
    }
  }
]

let scope: Scope.CloseableScope
const results = new Map<string, CliResult>()
let context: Context

beforeAll(async () => {
  scope = Effect.runSync(Scope.make())
  const program = Effect.gen(function*() {
    const simOptions = { org: "acme-corp", repos: 3, members: 5, teams: 1, outsideCollaborators: 1, events: 40, seed: 11 } as const
    const github = yield* startGitHubSimulator({ ...simOptions, token: secrets.githubToken })
    const githubRotated = yield* startGitHubSimulator({ ...simOptions, token: `${secrets.githubToken}_rotated` })
    const mockapp = yield* startMockAppSimulator({ token: secrets.mockappToken, users: 6 })
    const db = yield* testDatabase
    context = {
      github: { url: github.url, org: github.org },
      githubRotated: { url: githubRotated.url, org: githubRotated.org },
      mockapp: { url: mockapp.url },
      closedPgPort: yield* closedPort,
      closedKafkaPort: yield* closedPort,
      dsn: Redacted.value(db.dsn),
      steps: new Map()
    }
    // a child is mostly CPU (node, tsx and the module graph; some wait on sockets): four at a time on two
    // cores; the in-process cases take turns (test/support/Cli.ts) and cost milliseconds each
    yield* Effect.forEach(cases, (c) => c.run(context).pipe(Effect.tap((r) => Effect.sync(() => results.set(c.name, r)))), {
      concurrency: 4,
      discard: true
    })
  })
  await Effect.runPromise(Scope.extend(program, scope))
}, 600_000)

afterAll(async () => {
  if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
})

describe("bad input: config files, tokens, page tokens and CLI arguments (the program as a child process)", () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = results.get(c.name)
      expect(r, "the case ran").toBeDefined()
      c.check(r!, context)
    })
  }

  it("config errors are found before any infrastructure starts: no default data dir (.verity) was created, nothing stored", () => {
    // the cases whose config has no dataDir all fail on the config; had one started a store, it would be here
    expect(existsSync(work.path(".verity"))).toBe(false)
  })

  it("there are at least 30 cases, and every group of the issue is covered", () => {
    expect(cases.length).toBeGreaterThanOrEqual(30)
    for (const group of ["config:", "token:", "page token:", "cli:"]) {
      expect(cases.filter((c) => c.name.startsWith(group)).length, group).toBeGreaterThan(0)
    }
  })

  it("secrets: no configured token or password appears in any stdout or stderr of any case", () => {
    expect(everything().length).toBeGreaterThanOrEqual(2 * cases.length)
    expect(leaks()).toEqual([])
  })
})
