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
  "test/adapters/KafkaSink.test.ts",
  "test/reliability/httpChaos.test.ts",
  "test/app/Scaffold.test.ts",
  "test/integration/handover.test.ts",
  "test/integration/kafka.test.ts",
  "test/integration/grantChanges.test.ts",
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

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // the test children's compiled copy of the program (node starts it without tsx's loader)
    globalSetup: ["test/support/ProgramBuild.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // integration suites start their own broker and simulators on random ports. Three files at a time on
    // these 2-core machines: the outage, crash, chaos and cluster suites spend much of their time waiting
    // (a frozen broker, retry-after, takeovers), and two workers left a core idle through those waits
    maxWorkers: 3,
    minWorkers: 1,
    sequence: { sequencer: SlowFirst }
  }
})
