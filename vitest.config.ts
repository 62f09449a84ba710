import { readdirSync, readFileSync } from "node:fs"
import { join, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { BaseSequencer, type TestSpecification } from "vitest/node"
import { defineConfig } from "vitest/config"

/**
 * The files that take longest (wall time, much of it waiting: a frozen broker, a crashed runner's
 * takeover, retry-after, rate-limit windows, the demo's three runs), longest first, each CPU-heavy one
 * (the demo, the crash and cluster suites, the scaffold) beside one that mostly waits. They start first,
 * so that none is left running alone at the end while the other workers idle; a clean clone has no
 * timings from an earlier run (vitest's own order would start them alphabetically, the reliability
 * suites last). Measured 2026-11-22 on a quiet machine and with two CPU hogs beside it.
 */
const slowFirst = [
  "test/app/Demo.test.ts",
  "test/reliability/brokerOutage.test.ts",
  "test/reliability/crash.test.ts",
  "test/integration/cluster.test.ts",
  "test/reliability/databaseOutage.test.ts",
  "test/reliability/grantCrash.test.ts",
  "test/reliability/httpChaos.test.ts",
  "test/app/Scaffold.test.ts",
  "test/integration/handover.test.ts",
  "test/integration/kafka.test.ts",
  "test/integration/grantChanges.test.ts",
  "test/adapters/KafkaSink.test.ts",
  "test/platforms/github/permissions/PermissionsStream.test.ts",
  "test/platforms/github/Client.test.ts",
  "test/platforms/github/Pacing.test.ts",
  "test/adapters/SqlCheckpointStore.test.ts",
  "test/adapters/SqlStreamLock.test.ts",
  "test/pipeline/Refresh.test.ts"
]

class SlowFirst extends BaseSequencer {
  override async sort(files: Array<TestSpecification>): Promise<Array<TestSpecification>> {
    const rank = (file: TestSpecification) => {
      const i = slowFirst.findIndex((name) => file.moduleId.endsWith(name))
      return i === -1 ? slowFirst.length : i
    }
    // stable: the files not listed keep vitest's order (failed first, then longest, when it has timings)
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b))
  }
}

/**
 * @effect/vitest's `layer()` writes its own `it.effect` / `it.scoped` onto vitest's global `it` (fixed
 * upstream only in Effect 4's @effect/vitest): in a shared process (below), every later file's
 * `it.effect` would then run on that block's TestContext, one TestClock for all (Scheduler.test's
 * clock once began at 77.1 s, the sum of Http.test's adjustments). Refuse it here, with the way out.
 */
const testDir = fileURLToPath(new URL("test", import.meta.url))
for (const file of readdirSync(testDir, { recursive: true, encoding: "utf8" })) {
  if (!file.endsWith(".ts")) continue
  const text = readFileSync(join(testDir, file), "utf8")
  // `layer` imported from @effect/vitest, or the same function as `it.layer(...)`
  if (/import\s*\{[^}]*\blayer\b[^}]*\}\s*from\s*"@effect\/vitest"/.test(text) || /\bit\.layer\(/.test(text)) {
    throw new Error(`test/${file.split(sep).join("/")} uses layer from @effect/vitest, which rewrites the global it.effect for every later test file in its process: build the layer once in beforeAll (ManagedRuntime) and provide its context per test, as test/support/GrantStoreContract.ts does`)
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // the test children's compiled copy of the program (node starts it without tsx's loader)
    globalSetup: ["test/support/ProgramBuild.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // integration suites start their own broker and simulators on random ports. Three processes on
    // these 2-core machines: the outage, crash, chaos and cluster suites spend much of their time waiting
    // (a frozen broker, retry-after, takeovers), and two left a core idle through those waits. All three
    // live for the whole run: tinypool stops a worker above the minimum the moment it idles, and with
    // isolation off that can reject the task just handed to it ("Terminating worker thread").
    maxWorkers: 3,
    minWorkers: 3,
    // Each process runs file after file on one module graph, instead of a new process loading effect,
    // the platform modules and the program for each of the 81 files (collect: about 130 s to 16 s). The
    // program is built to be embedded (no global registries: PromMetrics.ts, the state stores' layers),
    // so files sharing a process pass as they do alone; support/Cli.ts restores its process.chdir.
    poolOptions: { forks: { isolate: false } },
    sequence: { sequencer: SlowFirst }
  }
})
