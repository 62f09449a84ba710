/**
 * Where published records go. The pipeline encodes records to the wire format (topic, key, JSON
 * value, headers) and hands a batch to `publish`; the returned effect succeeds only once every message
 * of the batch is acknowledged. Implementations: memory (tests), JSON-lines files (embedded default),
 * Kafka (production).
 */
import { Context, Effect, Layer, Ref } from "effect"
import { SinkError } from "../domain/Errors.js"

export interface WireMessage {
  readonly topic: string
  readonly key: string
  /** UTF-8 JSON; `null` is a tombstone (the key's slot in a compacted topic is deleted) */
  readonly value: string | null
  readonly headers: Readonly<Record<string, string>>
}

export class EventSink extends Context.Tag("verity/EventSink")<EventSink, {
  /** Publish a batch; succeed only after the destination acknowledged every message. */
  readonly publish: (batch: ReadonlyArray<WireMessage>) => Effect.Effect<void, SinkError>
  /** A short description for summaries, such as `kafka 127.0.0.1:9092` or `jsonl .verity/out`. */
  readonly describe: string
  /** Whether the destination answers now (readiness); a sink without one is always reachable. */
  readonly check?: Effect.Effect<void, SinkError>
}>() {
  /** An in-memory sink; read what it holds through `MemorySink`. */
  static readonly memory: Layer.Layer<EventSink | MemorySink> = Layer.suspend(() => makeMemoryLayer({}))

  /** An in-memory sink that refuses the batches `fail` picks (numbered from 1, counting every attempt). */
  static readonly memoryFailing = (fail: (attempt: number) => boolean): Layer.Layer<EventSink | MemorySink> =>
    makeMemoryLayer({ fail })
}

/** Inspects the memory sink: every acknowledged message in order, and how many publish calls were made. */
export class MemorySink extends Context.Tag("verity/MemorySink")<MemorySink, {
  readonly messages: Effect.Effect<ReadonlyArray<WireMessage>>
  readonly attempts: Effect.Effect<number>
  readonly clear: Effect.Effect<void>
}>() {}

const makeMemoryLayer = (options: { readonly fail?: (attempt: number) => boolean }) =>
  Layer.effectContext(
    Effect.gen(function*() {
      const messages = yield* Ref.make<ReadonlyArray<WireMessage>>([])
      const attempts = yield* Ref.make(0)
      const sink = EventSink.of({
        describe: "memory",
        publish: (batch) =>
          Ref.updateAndGet(attempts, (n) => n + 1).pipe(
            Effect.flatMap((attempt) =>
              options.fail?.(attempt)
                ? Effect.fail(new SinkError({ reason: "rejected", message: `memory sink refused batch ${attempt}` }))
                : Ref.update(messages, (all) => all.concat(batch))
            )
          )
      })
      const inspect = MemorySink.of({
        messages: Ref.get(messages),
        attempts: Ref.get(attempts),
        clear: Ref.set(messages, [])
      })
      return Context.make(EventSink, sink).pipe(Context.add(MemorySink, inspect))
    })
  )
