import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { Effect, Redacted } from "effect"
import { startKafkaMock } from "../src/testkit/KafkaMock.js"
import { testDatabase } from "../src/testkit/Postgres.js"
const n = process.argv[2] ?? "250000"
await Effect.runPromise(Effect.gen(function*() {
  const kafka = yield* startKafkaMock
  const db = yield* testDatabase
  for (const [label, args] of [["setFlags", ["bench/_flagsTry.ts"]], ["default", ["bench/memoryChild.ts"]]] as const) {
    const { stdout } = yield* Effect.promise(() => promisify(execFile)(process.execPath, ["--expose-gc", "--import", "tsx", ...args, n, kafka.bootstrap, Redacted.value(db.dsn)], { maxBuffer: 1 << 20 }))
    console.log(label, stdout.trim())
  }
}).pipe(Effect.scoped))
