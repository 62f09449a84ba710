import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { EventSink, type WireMessage } from "../../src/services/EventSink.js"
import { JsonlSinkStats, jsonlSinkLayer } from "../../src/adapters/JsonlSink.js"

const message = (topic: string, key: string, value: unknown): WireMessage => ({
  topic,
  key,
  value: JSON.stringify(value),
  headers: { "verity-kind": "raw_event", "verity-connector-id": "gh" }
})

describe("JsonlSink", () => {
  it.live("appends one JSON line per message to <dir>/<topic>.jsonl, across runs, and counts what it wrote", () =>
    Effect.gen(function*() {
      const dir = join(mkdtempSync(join(tmpdir(), "verity-jsonl-")), "out")
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const first = [
        message("verity.events.raw.github", "github:e1", { event_id: "e1" }),
        message("verity.permissions.snapshots.github", "github:alice:acme/api:PUSH", { privilege: "PUSH" }),
        message("verity.events.raw.github", "github:e2", { event_id: "e2" })
      ]
      const written = yield* Effect.gen(function*() {
        const sink = yield* EventSink
        yield* sink.publish(first)
        return yield* (yield* JsonlSinkStats).written
      }).pipe(Effect.provide(jsonlSinkLayer(dir)))
      expect(written.get(join(dir, "verity.events.raw.github.jsonl"))).toBe(2)
      expect(written.get(join(dir, "verity.permissions.snapshots.github.jsonl"))).toBe(1)

      // a second run appends
      yield* Effect.flatMap(EventSink, (sink) => sink.publish([message("verity.events.raw.github", "github:e3", { event_id: "e3" })])).pipe(
        Effect.provide(jsonlSinkLayer(dir))
      )
      const lines = readFileSync(join(dir, "verity.events.raw.github.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l))
      expect(lines.map((l) => l.key)).toEqual(["github:e1", "github:e2", "github:e3"])
      expect(lines[0]).toEqual({ key: "github:e1", headers: { "verity-kind": "raw_event", "verity-connector-id": "gh" }, value: { event_id: "e1" } })
    }).pipe(Effect.scoped))

  it.live("a directory that cannot be created fails with SinkError", () =>
    Effect.gen(function*() {
      // a regular file where the directory should be
      const blocker = join(mkdtempSync(join(tmpdir(), "verity-jsonl-")), "not-a-dir")
      writeFileSync(blocker, "")
      const error = yield* Effect.flip(Effect.scoped(Effect.flatMap(EventSink, () => Effect.void).pipe(Effect.provide(jsonlSinkLayer(join(blocker, "out"))))))
      expect(error._tag).toBe("SinkError")
      expect(error.message).toContain(join(blocker, "out"))
    }))
})
