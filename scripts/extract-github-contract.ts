/**
 * `npm run contracts:github`: carries the part of GitHub's published contract that the contract tests need
 * into contracts/github/, so a fresh clone (which has no ../shared) can run them:
 *   - openapi-subset.json: the operations the connector, the capabilities and the simulator's App auth use,
 *     with every response status GitHub declares for them, plus every component (schemas, responses,
 *     parameters, examples, headers) they reference, transitively; `$ref`s are kept as they are;
 *   - schema.graphql.gz: GitHub's public GraphQL schema, byte for byte;
 *   - SOURCE.md: where both came from (files, commits) and how to regenerate.
 * The reference folder is the first of $GITHUB_REFERENCE_DIR, ../shared/reference/github and
 * /work/shared/reference/github that exists.
 */
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { gunzipSync } from "node:zlib"

/**
 * The operations the project calls or serves (method, GitHub's path template): the connector's and the
 * capabilities' reads and writes, the GitHub App token, and the writes the simulator serves for live mode and
 * for tests (its answers must be GitHub's too).
 */
const operations: ReadonlyArray<readonly [method: string, path: string]> = [
  ["get", "/orgs/{org}"],
  ["get", "/orgs/{org}/repos"],
  ["get", "/orgs/{org}/members"],
  ["get", "/orgs/{org}/teams"],
  ["get", "/orgs/{org}/teams/{team_slug}/members"],
  ["get", "/orgs/{org}/teams/{team_slug}/repos"],
  ["get", "/orgs/{org}/audit-log"],
  ["get", "/repos/{owner}/{repo}/collaborators"],
  ["put", "/repos/{owner}/{repo}/collaborators/{username}"],
  ["delete", "/repos/{owner}/{repo}/collaborators/{username}"],
  ["post", "/app/installations/{installation_id}/access_tokens"],
  ["patch", "/orgs/{org}"],
  ["get", "/orgs/{org}/invitations"],
  ["put", "/orgs/{org}/memberships/{username}"],
  ["delete", "/orgs/{org}/memberships/{username}"],
  ["put", "/orgs/{org}/teams/{team_slug}/memberships/{username}"],
  ["delete", "/orgs/{org}/teams/{team_slug}/memberships/{username}"],
  ["put", "/orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}"],
  ["delete", "/orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}"],
  ["get", "/repos/{owner}/{repo}/invitations"],
  // the account lifecycle capabilities: an org invitation, its withdrawal, a member's removal, the role
  ["get", "/users/{username}"],
  ["post", "/orgs/{org}/invitations"],
  ["delete", "/orgs/{org}/invitations/{invitation_id}"],
  ["delete", "/orgs/{org}/members/{username}"],
  ["get", "/orgs/{org}/memberships/{username}"],
  // the audit log's 404 is told apart by the token's membership (owner or not)
  ["get", "/user/memberships/orgs/{org}"]
]

const sourceFiles = {
  openapi: {
    file: "api.github.com.json.gz",
    origin: "octokit/openapi, generated/api.github.com.json",
    commit: "58592853068e7e3d7fa50cb61687c41f6a9a11f0"
  },
  graphql: {
    file: "schema.graphql.gz",
    origin: "octokit/graphql-schema, schema.graphql",
    commit: "82ff2d4780080e6929ebb95608cefa22dfa05ac7"
  }
} as const

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }
type JsonObject = { readonly [key: string]: Json }

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const field = (value: Json | undefined, key: string): Json | undefined => (isObject(value) ? value[key] : undefined)

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..")

const referenceDir = (): string => {
  const candidates = [
    process.env["GITHUB_REFERENCE_DIR"],
    resolve(repoRoot, "../shared/reference/github"),
    "/work/shared/reference/github"
  ].filter((dir): dir is string => dir !== undefined && dir.length > 0)
  const found = candidates.find((dir) => existsSync(join(dir, sourceFiles.openapi.file)))
  if (found === undefined) throw new Error(`GitHub's reference files not found in: ${candidates.join(", ")}`)
  return found
}

/** Every `$ref` under `value`, as the component it names ("schemas/org-full"). */
const refsIn = (value: Json | undefined, into: Set<string>): void => {
  if (Array.isArray(value)) {
    for (const item of value) refsIn(item, into)
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (key === "$ref" && typeof item === "string") {
        const m = /^#\/components\/([^/]+)\/(.+)$/.exec(item)
        if (m === null || m[1] === undefined || m[2] === undefined) throw new Error(`unexpected $ref ${item}`)
        into.add(`${m[1]}/${m[2]}`)
      } else refsIn(item, into)
    }
  }
}

const extract = (spec: JsonObject) => {
  const paths: Record<string, Record<string, Json>> = {}
  const wanted = new Set<string>()
  for (const [method, path] of operations) {
    const operation = field(field(field(spec, "paths"), path), method)
    if (!isObject(operation)) throw new Error(`${method.toUpperCase()} ${path} is not in the description`)
    const item = (paths[path] ??= {})
    item[method] = operation
    refsIn(operation, wanted)
  }
  const components: Record<string, Record<string, Json>> = {}
  const done = new Set<string>()
  const queue = [...wanted]
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    if (done.has(next)) continue
    done.add(next)
    const [kind, name] = next.split("/", 2) as [string, string]
    const component = field(field(field(spec, "components"), kind), name)
    if (component === undefined) throw new Error(`#/components/${next} is referenced but missing`)
    ;(components[kind] ??= {})[name] = component
    const inner = new Set<string>()
    refsIn(component, inner)
    queue.push(...[...inner].filter((r) => !done.has(r)))
  }
  const sorted = Object.fromEntries(
    Object.entries(components).sort(([a], [b]) => a.localeCompare(b)).map(([kind, byName]) => [
      kind,
      Object.fromEntries(Object.entries(byName).sort(([a], [b]) => a.localeCompare(b)))
    ])
  )
  return {
    openapi: field(spec, "openapi") ?? "3.0.3",
    info: {
      ...(isObject(field(spec, "info")) ? field(spec, "info") as JsonObject : {}),
      "x-verity-source": `${sourceFiles.openapi.origin} at ${sourceFiles.openapi.commit}`
    },
    paths,
    components: sorted
  }
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex")

const sourceNote = (openapiSha: string, graphqlSha: string, componentCount: number) => `# GitHub's published contract, as the contract tests carry it

Generated by \`npm run contracts:github\` (scripts/extract-github-contract.ts). Do not edit by hand.

| file | what | source | commit |
| --- | --- | --- | --- |
| openapi-subset.json | the ${operations.length} operations below, every response status GitHub declares for them, and the ${componentCount} components they reference (transitively; \`$ref\`s kept) | \`${sourceFiles.openapi.origin}\` (GitHub's REST description plus Octokit's \`x-octokit\` keys) | \`${sourceFiles.openapi.commit}\` |
| schema.graphql.gz | GitHub's public GraphQL schema, byte for byte | \`${sourceFiles.graphql.origin}\` | \`${sourceFiles.graphql.commit}\` |

sha256 of the inputs: \`${sourceFiles.openapi.file}\` ${openapiSha}, \`${sourceFiles.graphql.file}\` ${graphqlSha}.

Operations:

${operations.map(([method, path]) => `- \`${method.toUpperCase()} ${path}\``).join("\n")}

The description of 2022-07-18 still carries \`GET /orgs/{org}/audit-log\`; GitHub now keeps it in the Enterprise
Cloud description (\`github/rest-api-description\`, \`descriptions/ghec/ghec.2022-11-28.json\`) with the same
parameters and three more event fields (\`user_id\`, \`business_id\`, \`operation_type\`). \`POST /graphql\` is not
in the REST description: the GraphQL schema is its contract.

## Regenerate

With GitHub's files in a reference folder (\`${sourceFiles.openapi.file}\`, \`${sourceFiles.graphql.file}\`):

    GITHUB_REFERENCE_DIR=/path/to/reference/github npm run contracts:github

Without the variable the script looks in \`../shared/reference/github\`, then \`/work/shared/reference/github\`.
To carry another operation, add it to \`operations\` in the script and run it again.
`

const main = () => {
  const dir = referenceDir()
  const out = join(repoRoot, "contracts", "github")
  mkdirSync(out, { recursive: true })
  const openapiBytes = readFileSync(join(dir, sourceFiles.openapi.file))
  const spec = JSON.parse(gunzipSync(openapiBytes).toString("utf8")) as JsonObject
  const subset = extract(spec)
  writeFileSync(join(out, "openapi-subset.json"), JSON.stringify(subset, null, 1) + "\n")
  const graphqlPath = join(dir, sourceFiles.graphql.file)
  writeFileSync(join(out, sourceFiles.graphql.file), readFileSync(graphqlPath))
  const componentCount = Object.values(subset.components).reduce((n, byName) => n + Object.keys(byName).length, 0)
  writeFileSync(
    join(out, "SOURCE.md"),
    sourceNote(sha256(openapiBytes), sha256(readFileSync(graphqlPath)), componentCount)
  )
  process.stdout.write(`contracts/github: ${operations.length} operations, ${componentCount} components, from ${dir}\n`)
}

main()
