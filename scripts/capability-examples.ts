/**
 * Write the capability README's examples (src/sdk/capabilities/README.md, between its markers): a
 * real request and answer for each capability of MockApp and GitHub, against their simulators.
 * `npm run docs:capabilities`.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { Effect } from "effect"
import { allExamples, beginMarker, endMarker, examplesMarkdown } from "../test/support/CapabilityExamples.js"

const path = new URL("../src/sdk/capabilities/README.md", import.meta.url)
const readme = readFileSync(path, "utf8")
const start = readme.indexOf(beginMarker)
const end = readme.indexOf(endMarker)
if (start < 0 || end < start) throw new Error(`README has no ${beginMarker} ... ${endMarker}`)
const examples = await Effect.runPromise(allExamples)
writeFileSync(path, `${readme.slice(0, start + beginMarker.length)}\n\n${examplesMarkdown(examples)}\n${readme.slice(end)}`)
