/**
 * `EventSink` as JSON-lines files, the embedded default when no Kafka brokers are configured:
 * one file per topic, `<dir>/<topic>.jsonl`, appended. Each line is
 * `{"key": ..., "headers": {...}, "value": <the wire JSON, or null for a tombstone>}`. A batch counts as acknowledged only
 * after its lines were written and fsync'ed, so the checkpoint never passes what is on disk.
 */
import { mkdir, open } from "node:fs/promises"
import { join } from "node:path"
import { Context, Effect, Layer, Ref } from "effect"
import { SinkError } from "../domain/Errors.js"
import { EventSink, type WireMessage } from "../services/EventSink.js"

/** What the JSON-lines sink wrote since it started: lines per file. */
export class JsonlSinkStats extends Context.Tag("verity/JsonlSinkStats")<JsonlSinkStats, {
  readonly dir: string
  readonly written: Effect.Effect<ReadonlyMap<string, number>>
}>() {}

const line = (m: WireMessage) => `{"key":${JSON.stringify(m.key)},"headers":${JSON.stringify(m.headers)},"value":${m.value ?? "null"}}\n`

// topic names are [A-Za-z0-9._-] in Kafka; keep file names to that too
const fileName = (topic: string) => `${topic.replace(/[^A-Za-z0-9._-]/g, "_")}.jsonl`

const appendSynced = (path: string, text: string) =>
  Effect.tryPromise({
    try: async () => {
      const handle = await open(path, "a")
      try {
        await handle.writeFile(text, "utf8")
        await handle.datasync()
      } finally {
        await handle.close()
      }
    },
    catch: (cause) =>
      new SinkError({
        reason: "unavailable",
        message: `cannot append to ${path}: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause
      })
  })

export const jsonlSinkLayer = (dir: string): Layer.Layer<EventSink | JsonlSinkStats, SinkError> =>
  Layer.effectContext(
    Effect.gen(function*() {
      yield* Effect.tryPromise({
        try: () => mkdir(dir, { recursive: true }),
        catch: (cause) => new SinkError({ reason: "unavailable", message: `cannot create ${dir}: ${String(cause)}`, cause })
      })
      const written = yield* Ref.make<ReadonlyMap<string, number>>(new Map())
      // one batch at a time: lines of concurrent batches never interleave within a file
      const lock = yield* Effect.makeSemaphore(1)
      const sink = EventSink.of({
        describe: `jsonl ${dir}`,
        publish: (batch) =>
          Effect.gen(function*() {
            const byFile = new Map<string, Array<WireMessage>>()
            for (const m of batch) {
              const path = join(dir, fileName(m.topic))
              const list = byFile.get(path)
              if (list) list.push(m)
              else byFile.set(path, [m])
            }
            for (const [path, messages] of byFile) {
              yield* appendSynced(path, messages.map(line).join(""))
              yield* Ref.update(written, (m) => new Map(m).set(path, (m.get(path) ?? 0) + messages.length))
            }
          }).pipe(lock.withPermits(1), Effect.withSpan("JsonlSink.publish", { attributes: { dir, messages: batch.length } }))
      })
      return Context.make(EventSink, sink).pipe(Context.add(JsonlSinkStats, { dir, written: Ref.get(written) }))
    })
  )
