import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // integration suites start their own broker and simulators on random ports. Three files at a time on
    // these 2-core machines: the outage, crash, chaos and cluster suites spend much of their time waiting
    // (a frozen broker, retry-after, takeovers), and two workers left a core idle through those waits
    maxWorkers: 3,
    minWorkers: 1
  }
})
