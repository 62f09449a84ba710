/**
 * The org audit log (`GET /orgs/{org}/audit-log`): GitHub's search `phrase` (`created:` ranges,
 * `action:`), `order`, `per_page`, and cursor paging through `after` (a `Link` next, no last).
 * Disabled, it answers 404 like an org not on Enterprise Cloud.
 */
import type { Entry, Model } from "./Model.js"
import { type Answer, notFound } from "./RestShapes.js"

export const auditLogAnswer = (model: Model, enabled: boolean, url: URL, base: string): Answer => {
  if (!enabled) return notFound("https://docs.github.com/rest/orgs/orgs#get-the-audit-log-for-an-organization")
  const per = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page") ?? 30) || 30))
  const asc = url.searchParams.get("order") === "asc"
  let lo = -Infinity
  let hi = Infinity
  let actionFilter: string | undefined
  for (const term of (url.searchParams.get("phrase") ?? "").split(/\s+/).filter((t) => t.length > 0)) {
    const created = /^created:(>=|>|<=|<)?(.+)$/.exec(term)
    if (created && created[2] !== undefined) {
      const range = created[2].split("..")
      const t0 = Date.parse(range[0] ?? "")
      if (range.length === 2) {
        lo = t0
        hi = Date.parse(range[1] ?? "")
      } else if (created[1] === ">=") lo = t0
      else if (created[1] === ">") lo = t0 + 1000
      else if (created[1] === "<=") hi = t0 + 999
      else if (created[1] === "<") hi = t0 - 1
      else {
        lo = t0
        hi = t0 + 86_399_999
      }
      if (Number.isNaN(lo) || Number.isNaN(hi)) return { status: 422, body: { message: "Invalid phrase", documentation_url: "https://docs.github.com/rest" } }
    }
    const action = /^action:(.+)$/.exec(term)
    if (action) actionFilter = action[1]
  }
  const cmp = (a: Entry, ts: number, id: string) => (a.ts !== ts ? a.ts - ts : a.id < id ? -1 : a.id > id ? 1 : 0)
  let matches = model.events.filter((e) => e.ts >= lo && e.ts <= hi && (actionFilter === undefined || e.entry["action"] === actionFilter))
  if (!asc) matches = [...matches].reverse()
  const after = url.searchParams.get("after")
  if (after) {
    try {
      const [ts, id] = JSON.parse(Buffer.from(after, "base64url").toString()) as [number, string]
      matches = matches.filter((e) => asc ? cmp(e, ts, id) > 0 : cmp(e, ts, id) < 0)
    } catch {
      return { status: 422, body: { message: "Invalid cursor", documentation_url: "https://docs.github.com/rest" } }
    }
  }
  const page = matches.slice(0, per)
  const lastEntry = page[page.length - 1]
  const headers: Record<string, string> = {}
  if (matches.length > per && lastEntry) {
    const u = new URL(url.pathname + url.search, base)
    u.searchParams.delete("page")
    u.searchParams.set("after", Buffer.from(JSON.stringify([lastEntry.ts, lastEntry.id])).toString("base64url"))
    u.searchParams.set("before", "")
    headers["link"] = `<${u.toString()}>; rel="next"`
  }
  return { status: 200, body: page.map((e) => e.entry), headers }
}