/** Walking GitHub lists conditionally (ETags: an unchanged page is a free 304), and reading names off a page. */
import { Effect, Stream } from "effect"
import type { CachedPage, GitHubClient } from "../Client.js"

export const loginsOf = (field: "slug" | "name") => (items: ReadonlyArray<unknown>): ReadonlyArray<string> =>
  items.flatMap((item) => {
    if (typeof item !== "object" || item === null) return []
    const value = (item as Record<string, unknown>)[field]
    return typeof value === "string" ? [value] : []
  })

/** Walk every page of a list conditionally; the stream's elements are the pages. */
export const conditionalPages = <V>(
  client: GitHubClient,
  cache: Map<string, CachedPage<V>>,
  firstUrl: string,
  project: (items: ReadonlyArray<unknown>) => V,
  what: string
) =>
  Stream.paginateEffect(firstUrl, (url) =>
    client.conditional(cache, url, project, what).pipe(Effect.map((page) => [page, page.next] as const))
  )
