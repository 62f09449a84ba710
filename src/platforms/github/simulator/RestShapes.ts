/**
 * GitHub's REST shapes as the simulator answers them: users, repositories, permission flags, the 404
 * body, and list paging with `per_page`/`page` and `Link` next/last.
 */
import type { JsonAnswer } from "../../../sdk/simulator/Json.js"
import type { Level, Model, Repo, User } from "./Model.js"

/** A route's answer; `cost` is the rate budget it spends (GraphQL points; REST: 1). */
export interface Answer extends JsonAnswer {
  readonly cost?: number
}

export const userJson = (base: string, u: User) => ({
  login: u.login,
  id: u.id,
  node_id: `U_${Buffer.from(String(u.id)).toString("base64")}`,
  avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
  url: `${base}/users/${u.login}`,
  html_url: `https://github.com/${u.login}`,
  type: "User",
  site_admin: false
})

export const permissionsJson = (level: Level) => ({
  admin: level >= 5,
  maintain: level >= 4,
  push: level >= 3,
  triage: level >= 2,
  pull: level >= 1
})

export const repoJson = (base: string, model: Model, r: Repo) => ({
  id: r.id,
  node_id: `R_${Buffer.from(String(r.id)).toString("base64")}`,
  name: r.name,
  full_name: `${model.org.login}/${r.name}`,
  private: r.private,
  owner: { login: model.org.login, id: model.org.id, type: "Organization" },
  html_url: `https://github.com/${model.org.login}/${r.name}`,
  url: `${base}/repos/${model.org.login}/${r.name}`,
  visibility: r.private ? "private" : "public"
})

export const notFound = (doc: string) => ({ status: 404, body: { message: "Not Found", documentation_url: doc, status: "404" } })

const paginate = <A>(items: ReadonlyArray<A>, url: URL, base: string): { page: ReadonlyArray<A>; link?: string } => {
  const per = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page") ?? 30) || 30))
  const page = Math.max(1, Number(url.searchParams.get("page") ?? 1) || 1)
  const last = Math.max(1, Math.ceil(items.length / per))
  const slice = items.slice((page - 1) * per, page * per)
  const at = (p: number) => {
    const u = new URL(url.pathname + url.search, base)
    u.searchParams.set("page", String(p))
    u.searchParams.set("per_page", String(per))
    return u.toString()
  }
  const links: Array<string> = []
  if (page > 1) links.push(`<${at(page - 1)}>; rel="prev"`)
  if (page < last) links.push(`<${at(page + 1)}>; rel="next"`, `<${at(last)}>; rel="last"`)
  if (page > 1) links.push(`<${at(1)}>; rel="first"`)
  return links.length > 0 ? { page: slice, link: links.join(", ") } : { page: slice }
}

export const list = <A>(items: ReadonlyArray<A>, url: URL, base: string): Answer => {
  const { link, page } = paginate(items, url, base)
  return { status: 200, body: page, ...(link ? { headers: { link } } : {}) }
}
