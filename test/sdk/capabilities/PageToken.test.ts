/** Page tokens: signed, bound to their app and capability; `paginate` spans endpoints behind one token. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { decodePageToken, encodePageToken, PageCursor, paginate } from "../../../src/sdk/capabilities/PageToken.js"

describe("page tokens", () => {
  it.effect("page tokens round-trip and are bound to their app and capability", () =>
    Effect.gen(function*() {
      const cursors = [new PageCursor({ endpoint: "repos", offset: 0, cursor: "page=3" }), new PageCursor({ endpoint: "teams", offset: 0 })]
      const token = encodePageToken("github", "list_resources", cursors)
      expect(token).not.toContain("repos")
      expect(yield* decodePageToken("github", "list_resources", token)).toEqual(cursors)
      const foreignApp = yield* decodePageToken("mockapp", "list_resources", token).pipe(Effect.flip)
      expect(foreignApp.code).toBe("invalid_page_token")
      const foreignCapability = yield* decodePageToken("github", "list_accounts", token).pipe(Effect.flip)
      expect(foreignCapability.code).toBe("invalid_page_token")
      for (const bad of ["", ".", "a.b.c", `${token}x`, token.replace(/^./, (c) => (c === "e" ? "f" : "e"))]) {
        expect((yield* decodePageToken("github", "list_resources", bad).pipe(Effect.flip)).code).toBe("invalid_page_token")
      }
    }))

  it.effect("paginate spans several endpoints behind one token", () =>
    Effect.gen(function*() {
      const data: Record<string, ReadonlyArray<number>> = { a: [1, 2, 3], b: [], c: [4, 5] }
      const fetch = (cursor: PageCursor, size: number) =>
        Effect.sync(() => {
          const all = data[cursor.endpoint] ?? []
          const items = all.slice(cursor.offset, cursor.offset + size)
          const next = cursor.offset + items.length < all.length
            ? Option.some(new PageCursor({ endpoint: cursor.endpoint, offset: cursor.offset + items.length }))
            : Option.none()
          return { items, next }
        })
      const pages: Array<ReadonlyArray<number>> = []
      let token: string | undefined
      do {
        const page = yield* paginate({
          appId: "t",
          capability: "list_resources",
          endpoints: ["a", "b", "c"],
          page: { size: 2, ...(token ? { token } : {}) },
          defaultSize: 10,
          fetch
        })
        pages.push(page.items)
        token = page.page?.token ?? undefined
      } while (token !== undefined)
      expect(pages).toEqual([[1, 2], [3, 4], [5]])
    }))
})
