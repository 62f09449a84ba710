/** What every GrantStore implementation must do; run against memory and SQL (PostgreSQL, PGlite). */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, type Layer, ManagedRuntime } from "effect"
import type { GrantMechanism } from "../../src/domain/Access.js"
import { Privilege } from "../../src/domain/Access.js"
import type { ObservedGrant } from "../../src/domain/Grant.js"
import { GrantStore, type GrantView } from "../../src/services/GrantStore.js"

const grant = (principal: string, asset: string, privilege: string, mechanism: GrantMechanism): ObservedGrant => ({
  principal,
  asset,
  privilege: Privilege.make(privilege),
  mechanism
})

let clock = Date.parse("2026-01-01T00:00:00Z")
const tick = () => new Date((clock += 1000))
const view = (snapshotId: string, assets?: ReadonlyArray<string>, connectorId = "gh"): GrantView => ({
  connectorId,
  platform: "github",
  snapshotId,
  startedAt: tick(),
  ...(assets === undefined ? {} : { assets })
})

/** Observe `grants` as one complete view, then diff it. */
const complete = (v: GrantView, grants: ReadonlyArray<ObservedGrant>) =>
  Effect.gen(function*() {
    const store = yield* GrantStore
    yield* store.observe(v, grants, tick())
    return yield* store.diff(v)
  })

/**
 * The suite, on one store shared by its tests (each test uses its own connector), built before them on
 * live services. Not @effect/vitest's `layer()`: it writes its own `it.effect` onto vitest's global `it`,
 * so every later file in a shared test process would run on this block's TestContext.
 */
export const grantStoreContract = (name: string, store: Layer.Layer<GrantStore>, timeout: Duration.DurationInput = "30 seconds") =>
  describe(name, () => {
    const runtime = ManagedRuntime.make(store)
    // built here, under the hook's timeout; the tests then get the cached runtime
    beforeAll(async () => {
      await runtime.runtime()
    }, Duration.toMillis(timeout))
    afterAll(() => runtime.dispose(), Duration.toMillis(timeout))
    const onStore = <A, E>(test: Effect.Effect<A, E, GrantStore>) =>
      Effect.flatMap(Effect.promise(() => runtime.runtime()), (built) => Effect.provide(test, built.context))
    contract((title, test) => it.effect(title, () => onStore(test())))
  })

const contract = (it: (title: string, test: () => Effect.Effect<void, unknown, GrantStore>) => void) => {
  it("first snapshot is the baseline; then added, removed, mechanism changed; failed views remove nothing; retried diffs record nothing twice", () =>
    Effect.gen(function*() {
      const store = yield* GrantStore
      const alice = grant("alice", "acme/api", "PUSH", "direct")
      const bob = grant("bob", "acme/api", "PULL", "group")
      const carol = grant("carol", "acme/web", "ADMIN", "role")
      const first = yield* complete(view("s1"), [alice, bob, carol])
      expect(first).toMatchObject({ baseline: true, added: 0, removed: 0, changed: 0 })
      expect((yield* store.pending("gh", 100))).toEqual([])
      const listed = yield* store.list({ platform: "github", connectorId: "gh", limit: 10 })
      expect(listed.grants.map((g) => g.grantKey)).toEqual([
        "github:alice:acme/api:PUSH", "github:bob:acme/api:PULL", "github:carol:acme/web:ADMIN"
      ])
      expect(listed.grants[0]).toMatchObject({ connectorId: "gh", mechanism: "direct", snapshotId: "s1" })

      // a failed view sees only alice: nothing is diffed, nothing removed
      const failed = view("s2")
      yield* store.observe(failed, [alice], tick())
      expect((yield* store.list({ platform: "github", connectorId: "gh", limit: 10 })).grants).toHaveLength(3)

      // complete view: bob gone, carol now via a group, dave new
      const dave = grant("dave", "acme/web", "PULL", "direct")
      const s3 = view("s3")
      const result = yield* complete(s3, [alice, { ...carol, mechanism: "group" }, dave])
      expect(result).toMatchObject({ baseline: false, added: 1, removed: 1, changed: 1, alreadyDiffed: false })
      expect(yield* store.diff(s3)).toMatchObject({ alreadyDiffed: true, added: 0 })
      const pending = yield* store.pending("gh", 100)
      const byKind = Object.fromEntries(pending.map((c) => [c.kind, c]))
      expect(pending).toHaveLength(3)
      expect(byKind.grant_removed).toMatchObject({
        grantKey: "github:bob:acme/api:PULL", beforeSnapshotId: "s1", afterSnapshotId: "s3", changeId: "gh:s3:github:bob:acme/api:PULL"
      })
      expect(byKind.grant_removed?.after).toBeUndefined()
      expect(byKind.grant_removed?.before).toMatchObject({ principal: "bob", mechanism: "group", snapshotId: "s1" })
      expect(byKind.grant_changed?.before?.mechanism).toBe("role")
      expect(byKind.grant_changed?.after).toMatchObject({ mechanism: "group", snapshotId: "s3" })
      expect(byKind.grant_added).toMatchObject({ grantKey: "github:dave:acme/web:PULL", beforeSnapshotId: "s1" })
      expect(byKind.grant_added?.before).toBeUndefined()
      expect((yield* store.list({ platform: "github", principal: "bob", limit: 10 })).grants).toEqual([])

      // publishing: marked changes leave the outbox but stay readable as history, paged
      yield* store.markPublished([byKind.grant_removed!.changeId])
      expect((yield* store.pending("gh", 100)).map((c) => c.kind).sort()).toEqual(["grant_added", "grant_changed"])
      const p1 = yield* store.changes({ platform: "github", connectorId: "gh", since: new Date(0), limit: 2 })
      expect(p1.changes).toHaveLength(2)
      const p2 = yield* store.changes({ platform: "github", connectorId: "gh", since: new Date(0), limit: 2, cursor: p1.nextCursor! })
      expect(p2.changes).toHaveLength(1)
      expect(p2.nextCursor).toBeUndefined()
      expect((yield* store.changes({ platform: "github", connectorId: "gh", since: new Date(Date.now() + 60_000), limit: 10 })).changes).toEqual([])
    }))

  it("a refresh of some assets diffs only those assets", () =>
    Effect.gen(function*() {
      const store = yield* GrantStore
      const a = grant("alice", "acme/api", "PUSH", "direct")
      const b = grant("bob", "acme/web", "PULL", "direct")
      yield* complete(view("r0", undefined, "gh-2"), [a, b])
      // refresh of acme/api only: alice gone there; bob (acme/web) untouched although not re-read
      const r = yield* complete(view("r1", ["acme/api"], "gh-2"), [])
      expect(r).toMatchObject({ removed: 1, added: 0, changed: 0 })
      const keys = (yield* store.list({ platform: "github", connectorId: "gh-2", limit: 10 })).grants.map((g) => g.grantKey)
      expect(keys).toEqual(["github:bob:acme/web:PULL"])
      const pages = yield* store.list({ platform: "github", connectorId: "gh-2", limit: 1, asset: "acme/web" })
      expect(pages.grants).toHaveLength(1)
    }))

  it("a refresh reports what was added and changed on its assets only; before the first complete snapshot it reports nothing", () =>
    Effect.gen(function*() {
      const store = yield* GrantStore
      // no baseline yet: a refresh has nothing to compare against
      expect(yield* complete(view("early", ["acme/api"], "gh-3"), [grant("carol", "acme/api", "PULL", "direct")])).toMatchObject({ added: 0, removed: 0, changed: 0, baseline: false })
      yield* complete(view("s0", undefined, "gh-3"), [grant("alice", "acme/api", "PUSH", "direct"), grant("bob", "acme/web", "PULL", "direct")])
      // on acme/api alice's PUSH now comes from a team and dave is new; acme/web, not re-read, is left alone
      const r = yield* complete(view("r1", ["acme/api"], "gh-3"), [grant("alice", "acme/api", "PUSH", "group"), grant("dave", "acme/api", "PULL", "direct")])
      expect(r).toMatchObject({ added: 1, removed: 0, changed: 1, baseline: false })
      const pending = yield* store.pending("gh-3", 10)
      expect(pending.map((c) => `${c.kind}|${c.grantKey}|${c.afterSnapshotId}|${c.beforeSnapshotId}`).sort()).toEqual([
        "grant_added|github:dave:acme/api:PULL|r1|s0",
        "grant_changed|github:alice:acme/api:PUSH|r1|s0"
      ])
      // the next full snapshot compares against what the refresh reported: nothing new
      const s1 = yield* complete(view("s1", undefined, "gh-3"), [grant("alice", "acme/api", "PUSH", "group"), grant("dave", "acme/api", "PULL", "direct"), grant("bob", "acme/web", "PULL", "direct")])
      expect(s1).toMatchObject({ added: 0, removed: 0, changed: 0 })
    }))
}
