/**
 * Paging behind opaque tokens: a page request, the page a response carries, and signed tokens that
 * hold where each upstream endpoint stopped. `paginate` fills one page from several endpoints in turn.
 */
import { createHmac, timingSafeEqual } from "node:crypto"
import { Effect, Either, Option, Schema } from "effect"
import { CapabilityError } from "./Errors.js"
import { Page, type PageRequest } from "./Page.js"

export { Page, PageRequest } from "./Page.js"

/** Where one upstream endpoint stopped: an offset, or the platform's own cursor (a page number, a link). */
export class PageCursor extends Schema.Class<PageCursor>("PageCursor")({
  endpoint: Schema.String,
  offset: Schema.optionalWith(Schema.Int.pipe(Schema.nonNegative()), { default: () => 0 }),
  cursor: Schema.optional(Schema.String)
}) {}

const PageState = Schema.parseJson(Schema.Struct({
  v: Schema.Literal(1),
  app: Schema.String,
  cap: Schema.String,
  cursors: Schema.Array(PageCursor)
}))

// Integrity, not secrecy: the key is fixed so tokens survive across processes (a CLI run hands its
// token to the next); the MAC binds a token to its app and capability, so a tampered or foreign token
// is recognised before anything in it is trusted.
const tokenKey = "verity/page-token/v1"
const mac = (appId: string, capability: string, payload: string) =>
  createHmac("sha256", tokenKey).update(`${appId}\n${capability}\n${payload}`).digest().subarray(0, 16)

export const encodePageToken = (appId: string, capability: string, cursors: ReadonlyArray<PageCursor>): string => {
  const payload = Buffer.from(
    Schema.encodeSync(PageState)({ v: 1, app: appId, cap: capability, cursors }),
    "utf8"
  ).toString("base64url")
  return `${payload}.${mac(appId, capability, payload).toString("base64url")}`
}

const badToken = (why: string) =>
  new CapabilityError({
    code: "invalid_page_token",
    message: `invalid page token: ${why}; pass back the token of the previous page unchanged`,
    raisedBy: "PageTokenError"
  })

export const decodePageToken = (
  appId: string,
  capability: string,
  token: string
): Effect.Effect<ReadonlyArray<PageCursor>, CapabilityError> =>
  Effect.suspend(() => {
    const [payload, signature, ...rest] = token.split(".")
    if (payload === undefined || signature === undefined || rest.length > 0 || payload === "") {
      return Effect.fail(badToken("not a page token"))
    }
    const expected = mac(appId, capability, payload)
    const given = Buffer.from(signature, "base64url")
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return Effect.fail(badToken(`it was altered, or issued by another app or capability than ${appId} ${capability}`))
    }
    return Either.match(Schema.decodeUnknownEither(PageState)(Buffer.from(payload, "base64url").toString("utf8")), {
      onLeft: () => Effect.fail(badToken("unreadable contents")),
      onRight: (state) => Effect.succeed(state.cursors)
    })
  })

/**
 * Page through several upstream endpoints, one after the other, behind one opaque token. `fetch`
 * reads up to `size` items from one endpoint at `cursor` and says where that endpoint continues (or
 * `None` when it is done). A page is filled from as many endpoints as it takes.
 */
export const paginate = <A, E, R>(options: {
  readonly appId: string
  readonly capability: string
  readonly endpoints: ReadonlyArray<string>
  readonly page: PageRequest | null | undefined
  readonly defaultSize: number
  readonly fetch: (
    cursor: PageCursor,
    size: number
  ) => Effect.Effect<{ readonly items: ReadonlyArray<A>; readonly next: Option.Option<PageCursor> }, E, R>
}): Effect.Effect<{ readonly items: ReadonlyArray<A>; readonly page: Page | null }, E | CapabilityError, R> =>
  Effect.gen(function*() {
    const asked = options.page?.size
    const size = asked !== undefined && asked !== null && asked >= 1 ? asked : options.defaultSize
    const token = options.page?.token
    let cursors: ReadonlyArray<PageCursor> = token
      ? yield* decodePageToken(options.appId, options.capability, token)
      : options.endpoints.map((endpoint) => new PageCursor({ endpoint, offset: 0 }))
    for (const c of cursors) {
      if (!options.endpoints.includes(c.endpoint)) return yield* badToken(`unknown endpoint "${c.endpoint}"`)
    }
    const items: Array<A> = []
    while (items.length < size && cursors.length > 0) {
      const [head, ...rest] = cursors
      if (head === undefined) break
      const got = yield* options.fetch(head, size - items.length)
      items.push(...got.items)
      cursors = Option.match(got.next, { onNone: () => rest, onSome: (next) => [next, ...rest] })
    }
    return {
      items,
      page: cursors.length > 0 ? new Page({ token: encodePageToken(options.appId, options.capability, cursors), size }) : null
    }
  })
