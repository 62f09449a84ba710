/**
 * One GitHub permissions pull in a process of its own, its ETag and grant cache in the state database:
 *   node --import tsx bench/restartChild.ts <simulator url> <org> <token> <dsn>
 * Prints one JSON line: the records the pull gave (valid and invalid). Run twice on the same database,
 * the second process starts with empty memory: only what the first left in PostgreSQL can save budget.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted, Stream } from "effect"
import { SqlStateStoresLive } from "../src/adapters/SqlStateStores.js"
import { makeConnectorId } from "../src/domain/Ids.js"
import { makeGitHubConnector } from "../src/platforms/github/Connector.js"
import { RateLimiter } from "../src/sdk/RateLimiter.js"

const [url, org, token, dsn] = process.argv.slice(2)

const layers = Layer.mergeAll(
  NodeHttpClient.layerUndici,
  RateLimiter.default,
  SqlStateStoresLive.pipe(Layer.provide(PgClient.layer({ url: Redacted.make(dsn ?? ""), maxConnections: 2 })))
)

const pull = Effect.gen(function*() {
  const connector = yield* makeGitHubConnector(makeConnectorId("bench-github-restart"), {
    org: org ?? "",
    token: Redacted.make(token ?? ""),
    apiUrl: url ?? "",
    pageSize: 100,
    concurrency: 4
  })
  return yield* Stream.runFold(connector.permissions, { valid: 0, invalid: 0 }, (acc, r) =>
    r._tag === "Valid" ? { ...acc, valid: acc.valid + 1 } : { ...acc, invalid: acc.invalid + 1 })
})

Effect.runPromise(pull.pipe(Effect.provide(layers))).then(
  (counts) => process.stdout.write(`${JSON.stringify(counts)}\n`),
  (error: unknown) => {
    process.stderr.write(`restart child failed: ${String(error)}\n`)
    process.exitCode = 1
  }
)
