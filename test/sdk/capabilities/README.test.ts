/** The capability README's examples are real: regenerated against the simulators, they are what the README shows. */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { allExamples, beginMarker, endMarker, examplesMarkdown } from "../../support/CapabilityExamples.js"
import { answerErrors } from "../../support/LumosContract.js"

describe("src/sdk/capabilities/README.md", () => {
  it.live("shows, for every capability of MockApp and GitHub, a request and the answer it gets today", () =>
    Effect.gen(function*() {
      const readme = readFileSync(new URL("../../../src/sdk/capabilities/README.md", import.meta.url), "utf8")
      const shown = readme.slice(readme.indexOf(beginMarker) + beginMarker.length, readme.indexOf(endMarker)).trim()
      const examples = yield* allExamples
      // every answer conforms to the SDK's model (info and app_info are outlined in the README, so checked before)
      for (const e of examples) if (e.capability !== "info" && e.capability !== "app_info") expect(answerErrors(e.capability, e.answer), e.capability).toEqual([])
      const covered = new Set(examples.map((e) => `${e.app} ${e.capability}`))
      for (const app of ["mockapp", "github"]) {
        for (const capability of ["info", "validate_credentials", "list_accounts", "get_account", "list_resources", "list_entitlements", "find_entitlement_associations", "get_account_entitlement_associations", "assign_entitlement", "unassign_entitlement", "get_last_activity", "list_activity_records"]) {
          expect(covered.has(`${app} ${capability}`), `${app} ${capability}`).toBe(true)
        }
      }
      // the GitHub simulator dates its seeded audit log back from today, and stamps a write's entry now:
      // their times (the event ids hashed from them, list_updated_accounts' cursor holding one) are the
      // only parts that change from run to run
      const steady = (markdown: string) =>
        markdown.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, "<time>").replace(/"id": "[A-Za-z0-9_-]{22}"/g, `"id": "<event id>"`)
          .replace(/"cursor": "[A-Za-z0-9_-]+"/g, `"cursor": "<time>"`)
      expect(steady(shown)).toBe(steady(examplesMarkdown(examples).trim()))
    }), 240_000)
})
