/**
 * `EventSink` on Kafka with the kafkajs producer in a worker thread (KafkaWorkerMain.ts), chosen with
 * `kafka.producerThread: "worker"`: kafkajs's encoding and compression run on a second core while the
 * pipeline decodes and normalises on the first. That pays only when a second core is free for this
 * process (see KafkaConfig.ts and bench/RESULTS.md).
 *
 * - A batch is packed into one ArrayBuffer here and transferred (KafkaWorkerProtocol.ts); its publish
 *   succeeds when the producer thread says `Acked`, fails with the thread's `SinkError` otherwise. Sends
 *   are not serialised: several batches may be in flight, acknowledged in any order.
 * - The producer thread applies the send timeout and the bounded kafkajs retries (KafkaProducers.ts);
 *   this side only keeps a backstop one second later, for a thread too busy to answer.
 * - A thread that dies (an uncaught error, out of memory, an exit) fails every publish waiting on it
 *   with `SinkError` `unavailable` naming the cause, never a hang; the next publish starts a new thread.
 * - Shutdown: `Close` (the thread lets its sends settle and disconnects), then the thread is terminated.
 */
import { Worker } from "node:worker_threads"
import { Deferred, Effect, Exit, FiberId, LogLevel, Runtime, Schema, type Scope } from "effect"
import { SinkError } from "../domain/Errors.js"
import { EventSink } from "../services/EventSink.js"
import { checkCompression } from "./KafkaClient.js"
import { awaitWithin } from "./KafkaProducers.js"
import { KafkaConfig } from "./KafkaConfig.js"
import { FromWorker, packBatch, type ToWorker } from "./KafkaWorkerProtocol.js"

export interface WorkerSinkOptions {
  /** the producer thread's entry; tests start stand-ins (a thread that crashes) */
  readonly entry?: URL
}

const defaultEntry = new URL("./kafkaWorker.mjs", import.meta.url)

/**
 * The producer thread's heap. Its live set is small (about 30 MB: kafkajs, Effect and a few batches;
 * their bytes live outside the heap), but V8 sizes the old generation's growth steps by this cap: at
 * 128 MB it grew the heap by a factor of 1.3 and collected it every few megabytes, and those collections
 * took the collector's helper threads as much CPU as the producer itself. At 2048 MB it grows by 4: the
 * heap swings between about 30 and 90 MB, a tenth of the collections (bench/README.md). The young
 * generation is not squeezed: at 4 MB the thread spent 30% of its time collecting.
 */
const resourceLimits = { maxOldGenerationSizeMb: 2048, maxYoungGenerationSizeMb: 16 }

const levels = { Debug: LogLevel.Debug, Info: LogLevel.Info, Warning: LogLevel.Warning, Error: LogLevel.Error } as const

type Answer = (exit: Exit.Exit<void, SinkError>) => void

interface Thread {
  readonly worker: Worker
  readonly waiting: Map<number, Answer>
  /** set once the thread is gone: every later request fails with it */
  stopped: SinkError | undefined
  readonly closed: Deferred.Deferred<void>
}

const decodeFromWorker = Schema.decodeUnknownEither(FromWorker)
const message = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

export const makeWorkerSink = (
  config: KafkaConfig,
  options: WorkerSinkOptions = {}
): Effect.Effect<typeof EventSink.Service, SinkError, Scope.Scope> =>
  Effect.gen(function*() {
    yield* checkCompression(config)
    const brokers = config.brokers.join(",")
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())
    const encodedConfig = Schema.encodeSync(KafkaConfig)(config)
    let nextId = 1

    const stop = (thread: Thread, error: SinkError) => {
      if (thread.stopped !== undefined) return
      thread.stopped = error
      for (const answer of thread.waiting.values()) answer(Exit.fail(error))
      thread.waiting.clear()
      Deferred.unsafeDone(thread.closed, Exit.void)
    }

    /** Start a producer thread; succeeds once its producer is connected. */
    const start = awaitWithin<Thread, SinkError>(
      // loading the thread and connecting its producer (itself bounded by the send timeout); a timer of
      // its own, as a restart can happen inside the pipeline's uninterruptible publish
      config.sendTimeoutMs + 30_000,
      () => new SinkError({ reason: "timeout", message: `kafka ${brokers}: producer thread not ready within ${config.sendTimeoutMs + 30_000} ms` }),
      (resume) => {
        const worker = new Worker(options.entry ?? defaultEntry, { workerData: { config: encodedConfig }, resourceLimits })
        const thread: Thread = { worker, waiting: new Map(), stopped: undefined, closed: Deferred.unsafeMake(FiberId.none) }
        let ready = false
        const dead = (error: SinkError) => {
          stop(thread, error)
          if (!ready) {
            ready = true
            resume(Effect.fail(error))
          }
        }
        worker.on("message", (raw: unknown) => {
          const decoded = decodeFromWorker(raw)
          if (decoded._tag === "Left") {
            void worker.terminate()
            return dead(new SinkError({ reason: "unavailable", message: `kafka producer thread sent an unreadable message: ${decoded.left.message}` }))
          }
          const m = decoded.right
          switch (m._tag) {
            case "Ready":
              ready = true
              return resume(Effect.succeed(thread))
            case "StartFailed":
              return dead(new SinkError(m.error))
            case "Acked":
            case "Checked":
            case "Failed": {
              const answer = thread.waiting.get(m.id)
              thread.waiting.delete(m.id)
              const error = m._tag === "Acked" ? undefined : m.error
              return answer?.(error === undefined ? Exit.void : Exit.fail(new SinkError(error)))
            }
            case "Log":
              return runFork(Effect.logWithLevel(levels[m.level], m.message).pipe(Effect.annotateLogs(m.annotations)))
            case "Closed":
              return Deferred.unsafeDone(thread.closed, Exit.void)
          }
        })
        worker.on("error", (error) =>
          dead(new SinkError({ reason: "unavailable", message: `kafka producer thread failed: ${message(error)}`, cause: error }))
        )
        worker.on("exit", (code) =>
          dead(new SinkError({ reason: "unavailable", message: `kafka producer thread stopped (exit code ${code})` }))
        )
        return () => void worker.terminate()
      }
    )

    const close = (thread: Thread) =>
      Effect.suspend(() => {
        if (thread.stopped === undefined) thread.worker.postMessage({ _tag: "Close" } satisfies ToWorker)
        return Deferred.await(thread.closed)
      }).pipe(
        Effect.timeoutOption(config.sendTimeoutMs + 6_000),
        Effect.zipRight(Effect.promise(() => thread.worker.terminate())),
        Effect.tap(() => Effect.logDebug("kafka producer thread stopped")),
        Effect.ignore
      )

    let live = yield* start
    yield* Effect.addFinalizer(() => Effect.suspend(() => close(live)))
    const lock = yield* Effect.makeSemaphore(1)
    /** The running thread, or a new one after the last one died. */
    const current = lock.withPermits(1)(Effect.suspend(() =>
      live.stopped === undefined
        ? Effect.succeed(live)
        : Effect.logWarning(`kafka producer thread restarting: ${live.stopped.message}`).pipe(
          Effect.zipRight(start),
          Effect.tap((thread) => (live = thread))
        )
    ))

    /**
     * Post a request and wait for its answer, at most `ms` (a wait given up is forgotten, the thread
     * carries on). The wait times out on its own timer, with no race, so a publish inside the pipeline's
     * uninterruptible publish-then-save is not cut short by an outside interrupt (KafkaProducers' awaitWithin).
     */
    const ask = (
      ms: number,
      onTimeout: () => SinkError,
      request: (id: number) => { readonly message: ToWorker; readonly transfer: ReadonlyArray<ArrayBuffer> }
    ) =>
      Effect.flatMap(current, (thread) =>
        awaitWithin<void, SinkError>(ms, onTimeout, (resume) => {
          const id = nextId++
          if (thread.stopped !== undefined) return resume(Effect.fail(thread.stopped))
          thread.waiting.set(id, (exit) => resume(exit))
          const { message, transfer } = request(id)
          thread.worker.postMessage(message, [...transfer])
          return () => void thread.waiting.delete(id)
        }))

    const check = ask(
      4_000,
      () => new SinkError({ reason: "timeout", message: `kafka ${brokers}: no metadata within 3 s` }),
      (id) => ({ message: { _tag: "Check", id }, transfer: [] })
    ).pipe(Effect.withSpan("KafkaSink.check", { attributes: { brokers, thread: "worker" } }))

    return EventSink.of({
      describe: `kafka ${brokers}`,
      check,
      publish: (batch) => {
        if (batch.length === 0) return Effect.void
        // the thread applies the send timeout; this is the backstop for a thread too busy to answer
        return ask(
          config.sendTimeoutMs + 1_000,
          () =>
            new SinkError({
              reason: "timeout",
              message: `kafka ${brokers}: batch of ${batch.length} not acknowledged within ${config.sendTimeoutMs} ms`
            }),
          (id) => {
            const send = packBatch(id, batch)
            return { message: send, transfer: [send.data] }
          }
        ).pipe(
          Effect.withSpan("KafkaSink.publish", { attributes: { brokers, messages: batch.length, thread: "worker" } })
        )
      }
    })
  })
