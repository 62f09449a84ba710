/**
 * GitHub pull of an unchanged org after a process restart: two processes, one after the other, each a
 * fresh `node` with empty memory, pull the same simulated org (a simulator in a third process) with their
 * ETag and grant cache in the same PostgreSQL database. The second's rate budget against the first's,
 * both counted by the simulator in the same run.
 */
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { Effect, Redacted } from "effect"
import { testDatabase } from "../src/testkit/Postgres.js"
import { childSimulator, resetSimulatorStats, simulatorStats } from "./connector.js"
import { type Figure, fmt } from "./lib.js"

interface Counts {
  readonly valid: number
  readonly invalid: number
}

const pullInNewProcess = (url: string, org: string, token: string, dsn: string) =>
  Effect.tryPromise({
    try: async () => {
      const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "bench/restartChild.ts", url, org, token, dsn], {
        cwd: new URL("..", import.meta.url).pathname,
        maxBuffer: 16 * 1024 * 1024
      })
      const last = stdout.trim().split("\n").pop() ?? "{}"
      return JSON.parse(last) as Counts
    },
    catch: (e) => new Error(`restart child: ${String(e)}`)
  })

export const restartBudget = (repos = 300, latencyMs = 20) =>
  Effect.gen(function*() {
    const token = "ghp_bench_token"
    const org = "acme-corp"
    const { url } = yield* childSimulator([
      "--repos", String(repos), "--members", "120", "--teams", "20", "--outside-collaborators", "30", "--events", "0",
      "--seed", "5", "--latency-ms", String(latencyMs), "--base-permission", "none", "--token", token
    ])
    const db = yield* testDatabase
    const dsn = Redacted.value(db.dsn)

    yield* resetSimulatorStats(url)
    const firstCounts = yield* pullInNewProcess(url, org, token, dsn)
    const first = yield* simulatorStats(url)
    yield* resetSimulatorStats(url)
    const secondCounts = yield* pullInNewProcess(url, org, token, dsn)
    const second = yield* simulatorStats(url)

    const share = second.budgetSpent / first.budgetSpent
    const same = secondCounts.valid === firstCounts.valid && secondCounts.invalid === 0 && firstCounts.invalid === 0
    const figures: Array<Figure> = [{
      name: `GitHub pull of the unchanged org after a process restart (${repos} repos; a new node process, ETag and grant cache in PostgreSQL), rate budget`,
      ours: `${fmt(second.budgetSpent)} budget (${fmt(second.requests)} requests, ${fmt(second.notModified)} answered 304), ${fmt(secondCounts.valid)} snapshots, ${secondCounts.invalid} invalid`,
      baseline: `${fmt(first.budgetSpent)} budget on the first process's pull (${fmt(first.requests)} requests), ${fmt(firstCounts.valid)} snapshots`,
      ratio: share.toFixed(3),
      target: "<= 0.10, same snapshots",
      met: share <= 0.1 && same
    }]
    return figures
  }).pipe(Effect.scoped)
