/** Walking GitHub lists conditionally (ETags: an unchanged page is a free 304), and reading names off a page. */
import { Effect, Stream } from "effect"
import type { CachedPage, GitHubClient } from "../Client.js"

export const loginsOf = (field: "slug" | "name" | "login") => (items: ReadonlyArray<unknown>): ReadonlyArray<string> =>
  items.flatMap((item) => {
    if (typeof item !== "object" || item === null) return []
    const value = (item as Record<string, unknown>)[field]
    return typeof value === "string" ? [value] : []
  })

/**
 * Walk every page of a list conditionally; the stream's elements are the pages. By default a page is
 * `changed` when its ETag moved. With `by: "value"`, only when what `project` keeps of it changed: a new
 * ETag over the same kept value (GitHub's objects carry dates and counters: a push moves a repository's
 * `pushed_at`) is no change, and a page never read before is one.
 */
export const conditionalPages = <V>(
  client: GitHubClient,
  cache: Map<string, CachedPage<V>>,
  firstUrl: string,
  project: (items: ReadonlyArray<unknown>) => V,
  what: string,
  by: "etag" | "value" = "etag"
) =>
  Stream.paginateEffect(firstUrl, (url) => {
    const before = cache.get(url)
    return client.conditional(cache, url, project, what).pipe(
      Effect.map((page) => {
        const changed = page.changed && (by === "etag" || before === undefined || JSON.stringify(before.value) !== JSON.stringify(page.value))
        return [{ ...page, changed }, page.next] as const
      })
    )
  })
