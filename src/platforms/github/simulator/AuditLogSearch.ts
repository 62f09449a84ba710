/**
 * The org audit log (`GET /orgs/{org}/audit-log`) by GitHub's rules: the search `phrase` (`created:`
 * ranges, `action:`), and without a `created` qualifier only the last three months; `include` (web
 * events only by default, `git` for Git events, `all` for both); GitHub's retention (about 180 days,
 * Git events 7); `order`, `per_page`, and cursor paging through `after` (`Link` next) and `before`
 * (`Link` prev), no last. Disabled, it answers 404 like an org not on Enterprise Cloud.
 */
import type { Entry, Model } from "./Model.js"
import { type Answer, notFound } from "./RestShapes.js"

const day = 86_400_000

const isGit = (e: Entry) => String(e.entry["action"]).startsWith("git.")

/** Whether GitHub still keeps an entry at `now`: about 180 days, Git events 7. */
export const retained = (e: Entry, now: number) => e.ts >= now - (isGit(e) ? 7 : 180) * day

/** Three calendar months before `now`: the window searched without a `created` qualifier. */
const threeMonthsBefore = (now: number) => {
  const d = new Date(now)
  d.setUTCMonth(d.getUTCMonth() - 3)
  return d.getTime()
}

const encodeCursor = (e: Entry) => Buffer.from(JSON.stringify([e.ts, e.id])).toString("base64url")
const decodeCursor = (cursor: string): readonly [number, string] | undefined => {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString())
    return Array.isArray(parsed) && typeof parsed[0] === "number" && typeof parsed[1] === "string" ? [parsed[0], parsed[1]] : undefined
  } catch {
    return undefined
  }
}

const invalid = (message: string): Answer => ({ status: 422, body: { message, documentation_url: "https://docs.github.com/rest" } })

export const auditLogAnswer = (model: Model, enabled: boolean, url: URL, base: string, now: number): Answer => {
  if (!enabled) return notFound("https://docs.github.com/rest/orgs/orgs#get-the-audit-log-for-an-organization")
  const per = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page") ?? 30) || 30))
  const asc = url.searchParams.get("order") === "asc"
  const include = url.searchParams.get("include") ?? "web"
  if (include !== "web" && include !== "git" && include !== "all") return invalid("include must be one of web, git, all")
  let lo = -Infinity
  let hi = Infinity
  let hasCreated = false
  let actionFilter: string | undefined
  for (const term of (url.searchParams.get("phrase") ?? "").split(/\s+/).filter((t) => t.length > 0)) {
    const created = /^created:(>=|>|<=|<)?(.+)$/.exec(term)
    if (created && created[2] !== undefined) {
      hasCreated = true
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
      if (Number.isNaN(lo) || Number.isNaN(hi)) return invalid("Invalid phrase")
    }
    const action = /^action:(.+)$/.exec(term)
    if (action) actionFilter = action[1]
  }
  if (!hasCreated) lo = threeMonthsBefore(now)
  const cmp = (a: Entry, ts: number, id: string) => (a.ts !== ts ? a.ts - ts : a.id < id ? -1 : a.id > id ? 1 : 0)
  let matches = model.events.filter((e) =>
    e.ts >= lo && e.ts <= hi && retained(e, now) &&
    (include === "all" || (include === "git") === isGit(e)) &&
    (actionFilter === undefined || e.entry["action"] === actionFilter)
  )
  if (!asc) matches = [...matches].reverse()
  // `after`: the entries past the cursor in the listing order; `before`: the ones ahead of it
  const after = url.searchParams.get("after") ?? ""
  const before = url.searchParams.get("before") ?? ""
  let page: ReadonlyArray<Entry>
  let more: boolean
  let earlier: boolean
  if (before !== "") {
    const cursor = decodeCursor(before)
    if (!cursor) return invalid("Invalid cursor")
    const ahead = matches.filter((e) => asc ? cmp(e, cursor[0], cursor[1]) < 0 : cmp(e, cursor[0], cursor[1]) > 0)
    page = ahead.slice(Math.max(0, ahead.length - per))
    earlier = ahead.length > per
    more = true
  } else {
    if (after !== "") {
      const cursor = decodeCursor(after)
      if (!cursor) return invalid("Invalid cursor")
      matches = matches.filter((e) => asc ? cmp(e, cursor[0], cursor[1]) > 0 : cmp(e, cursor[0], cursor[1]) < 0)
      earlier = true
    } else earlier = false
    page = matches.slice(0, per)
    more = matches.length > per
  }
  const first = page[0]
  const last = page[page.length - 1]
  const link = (rel: string, afterCursor: string, beforeCursor: string) => {
    const u = new URL(url.pathname + url.search, base)
    u.searchParams.delete("page")
    u.searchParams.delete("after")
    u.searchParams.delete("before")
    u.searchParams.set("after", afterCursor)
    u.searchParams.set("before", beforeCursor)
    return `<${u.toString()}>; rel="${rel}"`
  }
  const links: Array<string> = []
  if (more && last) links.push(link("next", encodeCursor(last), ""))
  if (earlier && first) links.push(link("prev", "", encodeCursor(first)))
  return { status: 200, body: page.map((e) => e.entry), headers: links.length > 0 ? { link: links.join(", ") } : {} }
}
