/**
 * vitest globalSetup: a JavaScript copy of the program for the test children, built once per run.
 *
 * A child started as `node --import tsx main.ts` spends most of its start in tsx's loader hooks: every
 * module (about 800 for one command, effect's and fast-check's included) is resolved and loaded through
 * a worker thread, about 5 CPU-s per child on these machines. The same program compiled file by file
 * (esbuild, the layout kept, so `import.meta.url` assets, lazy `import()`s and `../../../package.json`
 * resolve as in src/) starts on plain node in about a third of that. test/support/Cli.ts runs it;
 * the tests that check the README's own commands (`npm start`, a launch that keeps the heap limits'
 * re-launch) still run `node --import tsx main.ts`.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, relative } from "node:path"
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

const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? filesUnder(path) : [path]
  })

/**
 * Compile the program at `root` (main.ts and src/) into `out`, runnable as `node <out>/main.js`: the
 * layout kept, src/'s other files copied, node_modules linked.
 */
export const compileProgram = async (root: string, out: string): Promise<string> => {
  const files = filesUnder(join(root, "src"))
  await build({
    entryPoints: [join(root, "main.ts"), ...files.filter((f) => f.endsWith(".ts"))],
    outdir: out,
    outbase: root,
    format: "esm",
    platform: "node",
    target: "node20",
    // node 20 reads `import ... with { type: "json" }` (src/platforms/github/Settings.ts)
    supported: { "import-attributes": true },
    logLevel: "warning"
  })
  for (const file of files.filter((f) => !f.endsWith(".ts"))) {
    const to = join(out, relative(root, file))
    mkdirSync(dirname(to), { recursive: true })
    copyFileSync(file, to)
  }
  // the producer thread's entry loads its TypeScript through tsx (src/adapters/kafkaWorker.mjs); here it is compiled
  writeFileSync(join(out, "src/adapters/kafkaWorker.mjs"), `import "./KafkaWorkerMain.js"\n`)
  // "type": "module", and the version src/platforms/github/Settings.ts reads
  copyFileSync(join(root, "package.json"), join(out, "package.json"))
  symlinkSync(join(root, "node_modules"), join(out, "node_modules"), "dir")
  return join(out, "main.js")
}

export default async function setup(project: TestProject) {
  const out = mkdtempSync(join(tmpdir(), "verity-program-"))
  project.provide("verityProgram", await compileProgram(root, out))
  return () => rmSync(out, { recursive: true, force: true })
}
