/**
 * The kafkajs producers behind the Kafka sink, and how a send is bounded so that a batch we give up on
 * cannot land many times later (issue 15: up to 18 copies after a 30 s broker freeze).
 *
 * - kafkajs gives up on a request before we give up on the send (`requestTimeout` below our
 *   `sendTimeoutMs`), and the producer never re-sends a batch on its own (`retries: 0`): a frozen broker
 *   receives at most one copy of the batch per producer, however long it stays frozen.
 * - A broker ANSWER that says nothing was written (unknown topic, leader not available: the first send to
 *   a topic the cluster is still creating) is retried here, inside the same send timeout.
 * - After any other failure the producer is retired (disconnected once its requests settled) and the next
 *   send connects a new one. While the broker stays frozen a new producer cannot even connect, so it sends
 *   nothing; the batch abandoned on the old connection may still land once the broker thaws, which is the
 *   one extra copy at-least-once delivery allows.
 */
import type { Kafka, Producer, ProducerBatch } from "kafkajs"
import { javaCompatiblePartitioner } from "./KafkaPartitioner.js"
import { Effect, Schedule, Scope } from "effect"
import { SinkError } from "../domain/Errors.js"

export interface SendBounds {
  readonly sendTimeoutMs: number
  /** kafkajs's own bound on one request: below ours, so kafkajs has settled before we give up */
  readonly requestTimeout: number
  readonly connectionTimeout: number
}

export const sendBounds = (sendTimeoutMs: number): SendBounds => {
  const requestTimeout = Math.max(100, Math.floor(sendTimeoutMs * 0.8))
  return { sendTimeoutMs, requestTimeout, connectionTimeout: Math.min(10_000, requestTimeout) }
}

/** kafkajs errors wrap their cause (`cause`, `originalError`); look through the chain. */
const chain = (error: unknown): ReadonlyArray<Record<string, unknown>> => {
  const out: Array<Record<string, unknown>> = []
  let current: unknown = error
  while (typeof current === "object" && current !== null && out.length < 8) {
    const record = current as Record<string, unknown>
    out.push(record)
    current = record["cause"] ?? record["originalError"]
  }
  return out
}

const notWritten = new Set(["UNKNOWN_TOPIC_OR_PARTITION", "LEADER_NOT_AVAILABLE", "NOT_LEADER_FOR_PARTITION"])

/** The broker answered, and its answer means the batch was not written: safe to send again at once. */
export const unwrittenAnswer = (error: unknown): boolean =>
  chain(error).some((e) =>
    e["name"] === "KafkaJSMetadataNotLoaded" || e["name"] === "KafkaJSTopicMetadataNotLoaded" ||
    (e["name"] === "KafkaJSProtocolError" && typeof e["type"] === "string" && notWritten.has(e["type"]))
  )

/** kafkajs gave up waiting for the broker (as opposed to the broker refusing). */
export const requestTimedOut = (error: unknown): boolean =>
  chain(error).some((e) => e["name"] === "KafkaJSRequestTimeoutError")

const message = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** Our send timeout passed before the batch was acknowledged. */
const notAcknowledged: unique symbol = Symbol.for("verity/KafkaProducers/notAcknowledged")

/**
 * Wait for a callback-style result, or fail with `onTimeout()` after `ms`, on a timer of its own (cleared
 * once settled) rather than a race: a race forks the wait, and Effect interrupts a fiber's children at
 * once even while the fiber itself is uninterruptible, so a stopping job would abandon an acknowledged
 * batch before saving its checkpoint. This wait needs no interruption to time out, so the pipeline's
 * publish-then-save stays whole under an outside interrupt and our send timeout still fires.
 * `register` may return a cleanup, run if the wait is interrupted where that is allowed, or times out.
 */
export const awaitWithin = <A, E>(
  ms: number,
  onTimeout: () => E,
  register: (resume: (result: Effect.Effect<A, E>) => void) => (() => void) | void
): Effect.Effect<A, E> =>
  Effect.async<A, E>((resume) => {
    let settled = false
    let cleanup: (() => void) | void = undefined
    const settle = (result: Effect.Effect<A, E>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resume(result)
    }
    const timer = setTimeout(() => {
      if (settled) return
      cleanup?.()
      settle(Effect.fail(onTimeout()))
    }, Math.max(0, ms))
    cleanup = register(settle)
    return Effect.sync(() => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      cleanup?.()
    })
  })

/** Wait for a promise, but never longer than `ms` (a kafkajs promise that never settles must not hold us). */
const settledWithin = (promises: ReadonlyArray<Promise<unknown>>, ms: number): Promise<void> =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    timer.unref()
    void Promise.allSettled(promises).then(() => {
      clearTimeout(timer)
      resolve()
    })
  })

interface Live {
  readonly producer: Producer
  readonly pending: Set<Promise<unknown>>
}

export interface Producers {
  /** The producer sends go to, connected (a new one after a failure). */
  readonly current: Effect.Effect<Producer, SinkError>
  /** One `sendBatch`, with the unwritten-answer retries; a failure retires the producer it used. */
  readonly send: (batch: ProducerBatch) => Effect.Effect<void, { readonly cause: unknown; readonly timedOut: boolean } | SinkError>
}

export const makeProducers = (
  kafka: Kafka,
  options: { readonly brokers: string; readonly idempotent: boolean; readonly bounds: SendBounds }
): Effect.Effect<Producers, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { bounds, brokers } = options
    const lock = yield* Effect.makeSemaphore(1)
    let active: Live | undefined
    const retiring = new Set<Promise<void>>()

    const retire = (live: Live) => {
      if (active === live) active = undefined
      const done: Promise<void> = settledWithin([...live.pending], bounds.sendTimeoutMs)
        .then(() => settledWithin([live.producer.disconnect()], 5_000))
        .finally(() => retiring.delete(done))
      retiring.add(done)
    }

    yield* Effect.addFinalizer(() =>
      Effect.promise(() => {
        if (active !== undefined) retire(active)
        return settledWithin([...retiring], bounds.sendTimeoutMs + 5_000)
      }).pipe(Effect.tap(() => Effect.logDebug("kafka producer disconnected")))
    )

    const connect = Effect.gen(function*() {
      const producer = kafka.producer({
        allowAutoTopicCreation: true,
        idempotent: options.idempotent,
        // the idempotent producer needs retries (the broker drops its repeats); ours never re-sends by itself
        retry: options.idempotent ? { retries: 3, maxRetryTime: bounds.requestTimeout } : { retries: 0 },
        ...(options.idempotent ? { maxInFlightRequests: 1 } : {}),
        createPartitioner: javaCompatiblePartitioner
      })
      const live: Live = { producer, pending: new Set() }
      yield* awaitWithin<void, SinkError>(
        bounds.sendTimeoutMs,
        () => new SinkError({ reason: "timeout", message: `kafka ${brokers}: no connection within ${bounds.sendTimeoutMs} ms` }),
        (resume) =>
          void producer.connect().then(
            () => resume(Effect.void),
            (cause: unknown) =>
              resume(Effect.fail(new SinkError({ reason: "unavailable", message: `kafka ${brokers}: cannot connect: ${message(cause)}`, cause })))
          )
      ).pipe(Effect.tapError(() => Effect.sync(() => retire(live))))
      return live
    })

    const currentLive = lock.withPermits(1)(
      Effect.suspend(() => active !== undefined ? Effect.succeed(active) : connect.pipe(Effect.tap((live) => (active = live))))
    )

    /** One `sendBatch`, awaited until `deadline` (epoch ms) at the latest. */
    const sendOnce = (live: Live, batch: ProducerBatch, deadline: number) =>
      awaitWithin<void, unknown>(deadline - Date.now(), () => notAcknowledged, (resume) => {
        const promise = live.producer.sendBatch(batch)
        live.pending.add(promise)
        promise.then(
          () => resume(Effect.void),
          (cause: unknown) => resume(Effect.fail(cause))
        ).finally(() => live.pending.delete(promise))
      })

    const send = (batch: ProducerBatch) =>
      Effect.gen(function*() {
        const deadline = Date.now() + bounds.sendTimeoutMs
        const live = yield* currentLive
        yield* sendOnce(live, batch, deadline).pipe(
          Effect.retry({ while: (cause) => unwrittenAnswer(cause) && Date.now() < deadline, schedule: Schedule.spaced("100 millis") }),
          Effect.mapError((cause) => ({ cause, timedOut: cause === notAcknowledged || requestTimedOut(cause) })),
          Effect.onExit((exit) => (exit._tag === "Success" ? Effect.void : Effect.sync(() => retire(live))))
        )
      })

    return { current: Effect.map(currentLive, (live) => live.producer), send }
  })
