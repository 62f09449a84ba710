import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // integration suites start their own broker and simulators on random ports; keep CPU contention
    // on these 2-core machines predictable
    maxWorkers: 2,
    minWorkers: 1
  }
})
