/**
 * The house's import rules (ARCHITECTURE.md), checked by `npm run deps` (part of `npm test`):
 * imports point down. domain <- sdk <- platforms; services <- pipeline <- app <- cli. A platform never
 * imports the registry, the app or another platform; the pipeline never imports an adapter; only the
 * application edge chooses implementations.
 */
/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No cycles, type-only imports included: a cycle means two modules are one job, or a contract sits in the wrong place.",
      from: {},
      to: { circular: true }
    },
    {
      name: "domain-imports-nothing-of-ours",
      severity: "error",
      comment: "src/domain is pure data: it imports only other domain modules.",
      from: { path: "^src/domain/" },
      to: { path: "^(src|test|bench|examples)/|^main\\.ts$", pathNot: "^src/domain/" }
    },
    {
      name: "sdk-imports-only-domain",
      severity: "error",
      comment: "The SDK is what platforms plug into: it knows no platform, registry, app, CLI, adapter, pipeline or service.",
      from: { path: "^src/sdk/" },
      to: { path: "^(src|test|bench|examples)/|^main\\.ts$", pathNot: "^src/(domain|sdk)/" }
    },
    {
      name: "platform-not-to-registry",
      severity: "error",
      comment: "A platform never imports the registry: the registry lists the platforms, not the other way round.",
      from: { path: "^src/platforms/[^/]+/" },
      to: { path: "^src/platforms/registry\\.ts$" }
    },
    {
      name: "platform-not-to-other-platform",
      severity: "error",
      comment: "A platform never imports another platform: what they share belongs in src/sdk.",
      from: { path: "^src/platforms/([^/]+)/" },
      to: { path: "^src/platforms/[^/]+/", pathNot: "^src/platforms/$1/" }
    },
    {
      name: "platform-imports-only-domain-and-sdk",
      severity: "error",
      comment: "A platform imports the domain, the SDK and its own folder: never the app, the CLI, an adapter, the pipeline or a service.",
      from: { path: "^src/platforms/[^/]+/" },
      to: { path: "^(src|test|bench|examples)/|^main\\.ts$", pathNot: "^src/(domain|sdk|platforms)/" }
    },
    {
      name: "registry-only-from-the-edge",
      severity: "error",
      comment: "Only the application edge (src/app, src/cli, src/index.ts) and tests import the registry.",
      from: { path: "^(src|bench|examples)/|^main\\.ts$", pathNot: "^src/(app|cli)/|^src/index\\.ts$" },
      to: { path: "^src/platforms/registry\\.ts$" }
    },
    {
      name: "services-import-only-domain-and-sdk",
      severity: "error",
      comment: "Service Tags and their memory implementations import only the domain (and the SDK).",
      from: { path: "^src/services/" },
      to: { path: "^(src|test|bench|examples)/|^main\\.ts$", pathNot: "^src/(domain|sdk|services)/" }
    },
    {
      name: "pipeline-sees-only-tags",
      severity: "error",
      comment: "The pipeline sees service Tags only: it never imports an adapter, the app, the CLI or a platform.",
      from: { path: "^src/pipeline/" },
      to: { path: "^src/(adapters|app|cli|platforms|testkit)/|^src/index\\.ts$|^main\\.ts$" }
    },
    {
      name: "adapters-implement-services",
      severity: "error",
      comment: "Adapters implement the service Tags: they never import the app, the CLI, the pipeline or a platform.",
      from: { path: "^src/adapters/" },
      to: { path: "^src/(app|cli|pipeline|platforms|testkit)/|^src/index\\.ts$|^main\\.ts$" }
    },
    {
      name: "implementations-chosen-by-the-app",
      severity: "error",
      comment: "Only the application edge (src/app, whose Layers.ts is the composition root), the public API and the testkit import an adapter.",
      from: { path: "^(src|examples)/|^main\\.ts$", pathNot: "^src/(app|adapters|testkit)/|^src/index\\.ts$" },
      to: { path: "^src/adapters/" }
    },
    {
      name: "drivers-only-in-adapters",
      severity: "error",
      comment: "Kafka, PostgreSQL and PGlite drivers are used by the adapters (and the testkit) alone.",
      from: { path: "^src/", pathNot: "^src/(adapters|app/Layers\\.ts|testkit)" },
      to: { path: "node_modules/(kafkajs|@effect/sql-pg|@electric-sql)/" }
    },
    {
      name: "node-platform-at-the-edge",
      severity: "error",
      comment: "Node's HTTP client and runtime are chosen in src/app/Layers.ts (and simulators serve through src/sdk/simulator): commands, platforms, the pipeline and the services never pick them.",
      from: { path: "^src/(cli|pipeline|platforms|services|domain)/" },
      to: { path: "node_modules/@effect/platform-node/" }
    },
    {
      name: "testkit-not-in-the-product",
      severity: "error",
      comment: "src/testkit serves tests and benchmarks; the product never imports it.",
      from: { path: "^src/|^main\\.ts$", pathNot: "^src/testkit/" },
      to: { path: "^src/testkit/" }
    },
    {
      name: "bench-not-to-test",
      severity: "error",
      comment: "Benchmarks use src/testkit, not the tests' own support.",
      from: { path: "^bench/" },
      to: { path: "^test/" }
    }
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".json"]
    },
    reporterOptions: { text: { highlightFocused: true } }
  }
}
