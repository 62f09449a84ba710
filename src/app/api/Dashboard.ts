/**
 * The dashboard: one static page (`dashboard.html`, HTML and plain JavaScript, no build step) that
 * reads the public API like any client would.
 */
import { readFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"

const page = fileURLToPath(new URL("./dashboard.html", import.meta.url))

export const dashboardHtml = Effect.cached(Effect.promise(() => readFile(page, "utf8"))).pipe(Effect.runSync)
