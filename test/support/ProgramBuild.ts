/**
 * vitest globalSetup: a JavaScript copy of the program for the test children, built once per run.
 *
 * A child started as `node --import tsx main.ts` spends most of its start in tsx's loader hooks: every
 * module (about 800 for one command, effect's and fast-check's included) is resolved and loaded through
 * a worker thread, about 5 CPU-s per child on these machines. Bundled with effect (esbuild), it starts on
 * plain node in about 1 CPU-s. test/support/Cli.ts runs it;
 * the tests that check the README's own commands (`npm start`, a launch that keeps the heap limits'
 * re-launch) still run `node --import tsx main.ts`.
 */
import { copyFileSync, cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import type { TestProject } from "vitest/node"

declare module "vitest" {
  export interface ProvidedContext {
    /** main.js of the compiled copy (test/support/ProgramBuild.ts) */
    readonly verityProgram: string
  }
}

const root = fileURLToPath(new URL("../..", import.meta.url))

/** Packages that stay in node_modules: PGlite reads its wasm beside its module, and optional native builds may be absent. */
const external = ["@electric-sql/*", "pg-native", "msgpackr-extract", "bufferutil", "utf-8-validate"]

/**
 * Bundle the program at `root` (main.ts, and the producer thread's entry) into `out`, runnable as
 * `node <out>/main.js`: the commands' lazy `import()`s become chunks beside it, and the files src/ reads
 * through `import.meta.url` (the dashboard page, the scaffold's templates) are copied there too, as every
 * chunk sits in `out`. effect is bundled too: loading its modules one by one is most of a start.
 */
export const compileProgram = async (root: string, out: string): Promise<string> => {
  await build({
    entryPoints: [join(root, "main.ts"), join(root, "src/adapters/KafkaWorkerMain.ts")],
    outdir: out,
    entryNames: "[name]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // node 20 reads `import ... with { type: "json" }` (src/platforms/github/Settings.ts)
    supported: { "import-attributes": true },
    external,
    // bundled CommonJS (kafkajs, pg, prom-client) requires node's built-ins
    banner: { js: `import { createRequire as __verityRequire } from "node:module"; const require = __verityRequire(import.meta.url);` },
    logLevel: "warning"
  })
  copyFileSync(join(root, "src/app/api/dashboard.html"), join(out, "dashboard.html"))
  cpSync(join(root, "src/app/templates"), join(out, "templates"), { recursive: true })
  // the producer thread's entry loads its TypeScript through tsx (src/adapters/kafkaWorker.mjs); here it is bundled
  writeFileSync(join(out, "kafkaWorker.mjs"), `import "./KafkaWorkerMain.js"\n`)
  // "type": "module"
  copyFileSync(join(root, "package.json"), join(out, "package.json"))
  symlinkSync(join(root, "node_modules"), join(out, "node_modules"), "dir")
  return join(out, "main.js")
}

export default async function setup(project: TestProject) {
  const out = mkdtempSync(join(tmpdir(), "verity-program-"))
  project.provide("verityProgram", await compileProgram(root, out))
  return () => rmSync(out, { recursive: true, force: true })
}
