import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { ConnectorError } from "../../src/domain/Errors.js"
import { decodeGrantChangeJson } from "../../src/domain/Grant.js"
import { defaultPipelineOptions, type PipelineOptions } from "../../src/pipeline/Options.js"
import { runPermissions } from "../../src/pipeline/Permissions.js"
import { topics } from "../../src/pipeline/Wire.js"
import type { Connector } from "../../src/sdk/Connector.js"
import { makeScriptedConnector, type ScriptedGrant } from "../../src/sdk/ScriptedConnector.js"
import { EventSink, MemorySink, type WireMessage } from "../../src/services/EventSink.js"
import { memoryStateStores } from "../../src/services/StateStores.js"

const options: PipelineOptions = {
  ...defaultPipelineOptions,
  batchSize: 2,
  batchWindow: "1 hour",
  publishRetry: { times: 0, base: "1 millis", cap: "1 millis" }
}

const g = (principal: string, asset: string, privilege: string, mechanism: ScriptedGrant["mechanism"]): ScriptedGrant =>
  ({ principal, asset, privilege, mechanism })

const connector = (grants: ReadonlyArray<ScriptedGrant>): Connector =>
  makeScriptedConnector({ id: "gh", platform: "github", entries: [], grants, pageSize: 1 })

/** A connector whose snapshot fails after its first `n` grants. */
const failingAfter = (grants: ReadonlyArray<ScriptedGrant>, n: number): Connector => {
  const c = connector(grants)
  return {
    ...c,
    permissions: c.permissions.pipe(
      Stream.take(n),
      Stream.concat(Stream.fail(new ConnectorError({ reason: "transport", platform: "github", message: "connection reset" })))
    )
  }
}

const on = (topic: string) => (ms: ReadonlyArray<WireMessage>) => ms.filter((m) => m.topic === topic)
const changesOf = (ms: ReadonlyArray<WireMessage>) => on(topics.changes("github"))(ms).map((m) => decodeGrantChangeJson(m.value))

const alice = g("alice", "acme/api", "PUSH", "direct")
const bob = g("bob", "acme/api", "PULL", "group")
const carol = g("carol", "acme/web", "ADMIN", "role")
const dave = g("dave", "acme/web", "PULL", "direct")

describe("permissions runs", () => {
  it.live("records carry the snapshot id; a complete run ends with its marker, then its changes and tombstones; a failed run removes nothing", () =>
    Effect.gen(function*() {
      const sink = yield* MemorySink
      const first = yield* runPermissions(connector([alice, bob, carol]), options)
      let messages = yield* sink.messages
      const snapshots = on(topics.snapshots("github"))(messages)
      expect(snapshots).toHaveLength(3)
      for (const m of snapshots) {
        expect(JSON.parse(m.value ?? "null")).toMatchObject({ snapshot_id: first.runId })
        expect(m.headers).toMatchObject({ "verity-snapshot-id": first.runId, "verity-schema-version": "2" })
      }
      const markers = on(topics.runs("github"))(messages)
      expect(markers.map((m) => JSON.parse(m.value ?? "null"))).toEqual([
        expect.objectContaining({ snapshot_id: first.runId, connector_id: "gh", outcome: "complete", count: 3 })
      ])
      expect(messages.indexOf(markers[0]!)).toBe(messages.length - 1)
      // the first snapshot is the baseline: no changes
      expect(changesOf(messages)).toEqual([])
      yield* sink.clear

      // halfway failure (bob and carol unseen): nothing removed, no marker
      const failed = yield* Effect.either(runPermissions(failingAfter([alice, bob, carol], 1), options))
      expect(failed._tag).toBe("Left")
      messages = yield* sink.messages
      expect(on(topics.runs("github"))(messages)).toEqual([])
      expect(changesOf(messages)).toEqual([])
      expect(messages.filter((m) => m.value === null)).toEqual([])
      yield* sink.clear

      // complete: bob gone, carol through a team now, dave new
      const third = yield* runPermissions(connector([alice, { ...carol, mechanism: "group" }, dave]), options)
      messages = yield* sink.messages
      const changes = changesOf(messages)
      expect(changes.map((c) => [c.kind, c.grantKey]).sort()).toEqual([
        ["grant_added", "github:dave:acme/web:PULL"],
        ["grant_changed", "github:carol:acme/web:ADMIN"],
        ["grant_removed", "github:bob:acme/api:PULL"]
      ])
      for (const c of changes) expect(c).toMatchObject({ beforeSnapshotId: first.runId, afterSnapshotId: third.runId, connectorId: "gh" })
      const changed = changes.find((c) => c.kind === "grant_changed")!
      expect([changed.before?.mechanism, changed.after?.mechanism]).toEqual(["role", "group"])
      const tombstones = messages.filter((m) => m.value === null)
      expect(tombstones.map((m) => [m.topic, m.key])).toEqual([[topics.snapshots("github"), "github:bob:acme/api:PULL"]])
      // keyed per grant, after the run's marker
      const keys = on(topics.changes("github"))(messages).map((m) => m.key).sort()
      expect(keys).toEqual(changes.map((c) => c.grantKey).sort())
      expect(messages.findIndex((m) => m.topic === topics.runs("github"))).toBeLessThan(messages.indexOf(tombstones[0]!))
    }).pipe(Effect.provide(Layer.merge(EventSink.memory, memoryStateStores))))

  it.live("changes recorded but never acknowledged are published by the next run, with the same change ids, before its snapshot records", () =>
    Effect.gen(function*() {
      yield* runPermissions(connector([alice, bob]), options).pipe(Effect.provide(EventSink.memory))
      // every publish after the marker is refused: the diff is recorded, its events are not acknowledged
      let attempts = 0
      const refusing = EventSink.memoryFailing(() => ++attempts > 2)
      const lost = yield* Effect.either(runPermissions(connector([alice]), options).pipe(Effect.provide(refusing)))
      expect(lost._tag).toBe("Left")
      const next = yield* Effect.gen(function*() {
        yield* runPermissions(connector([alice]), options)
        return yield* (yield* MemorySink).messages
      }).pipe(Effect.provide(EventSink.memory))
      const changes = changesOf(next)
      expect(changes.map((c) => [c.kind, c.grantKey])).toEqual([["grant_removed", "github:bob:acme/api:PULL"]])
      // before the next run's own snapshot records, so a late tombstone never deletes a current grant
      const tombstone = next.findIndex((m) => m.value === null)
      const firstSnapshot = next.findIndex((m) => m.topic === topics.snapshots("github") && m.value !== null)
      expect(tombstone).toBeGreaterThanOrEqual(0)
      expect(tombstone).toBeLessThan(firstSnapshot)
    }).pipe(Effect.provide(memoryStateStores)))
})
