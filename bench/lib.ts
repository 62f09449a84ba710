/** Shared pieces of the benchmarks: machine facts, synthetic GitHub audit entries, a results file. */
import { execFileSync } from "node:child_process"
import { cpus, freemem, loadavg, totalmem, type as osType, release } from "node:os"
import { Chunk, Effect, Option, Stream } from "effect"
import type { CompressionTypes, Message, Producer } from "kafkajs"
import type { AuditRecord, Connector } from "../src/sdk/Connector.js"
import { decodeAuditEntry } from "../src/platforms/github/AuditLog.js"
import { normaliseEvent } from "../src/pipeline/Normalise.js"
import { eventMessage } from "../src/pipeline/Wire.js"
import { Checkpoint } from "../src/domain/Checkpoint.js"
import { makeConnectorId, makePlatform } from "../src/domain/Ids.js"
import { mulberry32 } from "../src/sdk/simulator/SeededRandom.js"

export interface Figure {
  readonly name: string
  readonly ours: string
  readonly baseline: string
  readonly ratio: string
  readonly target: string
  readonly met: boolean | "n/a"
  readonly notes?: string
}

export const machineFacts = () => {
  const cpu = cpus()
  let kcat = "unknown"
  try {
    kcat = execFileSync("sh", ["-c", "dpkg-query -W -f='${Version}' kcat 2>/dev/null || true"]).toString().trim() || "unknown"
  } catch {
    // not Debian: leave unknown
  }
  return {
    date: new Date().toISOString(),
    cpu: `${cpu[0]?.model ?? "unknown"} × ${cpu.length}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(freemem() / 2 ** 30).toFixed(1)} GiB free at start`,
    load: loadavg().map((l) => l.toFixed(2)).join(" "),
    os: `${osType()} ${release()}`,
    node: process.version,
    kcat
  }
}

/** A deterministic PRNG, so every run pushes the same entries. */
export const prng = mulberry32

const actions = ["repo.access", "repo.create", "org.add_member", "team.add_repository", "repo.update_member", "git.clone", "org.update_member"]

/**
 * Synthetic GitHub audit-log entries, as `/orgs/{org}/audit-log` returns them, generated lazily (a
 * memory benchmark must not hold its input). About one in five shares its millisecond with the next.
 */
export function* githubAuditEntries(count: number, seed = 7, start = Date.UTC(2026, 0, 1)): Generator<unknown> {
  const random = prng(seed)
  let ts = start
  for (let i = 0; i < count; i++) {
    if (random() > 0.2) ts += 1 + Math.floor(random() * 50)
    const repo = `acme-corp/repo-${Math.floor(random() * 500)}`
    yield {
      "@timestamp": ts,
      created_at: ts,
      _document_id: `doc-${seed}-${i.toString(36)}`,
      action: actions[Math.floor(random() * actions.length)],
      actor: `User-${Math.floor(random() * 2000)}`,
      actor_id: 1000 + Math.floor(random() * 2000),
      org: "acme-corp",
      org_id: 42,
      repo,
      operation_type: "access",
      user_agent: "Mozilla/5.0 (X11; Linux x86_64) verity-bench"
    }
  }
}

/**
 * A GitHub connector whose audit log is `entries` instead of HTTP: the same decode, mapping and
 * positions as the real one (src/connectors/github/AuditLog.ts), so the benchmark measures the
 * pipeline, not the simulator.
 */
export const auditConnector = (id: string, entries: () => Iterable<unknown>): Connector => ({
  id: makeConnectorId(id),
  platform: makePlatform("github"),
  caseInsensitivePrincipals: true,
  permissions: Stream.empty,
  auditEvents: (from) =>
    Stream.fromIterable(entries()).pipe(
      Stream.rechunk(100), // a page of the audit log
      Stream.mapAccum(Option.getOrElse(from, () => Checkpoint.initial), (position, entry): readonly [Checkpoint, AuditRecord] => {
        const record = decodeAuditEntry(entry)
        const next = record._tag === "Valid" ? position.advance(record.value.occurredAt.getTime(), record.value.eventId) : position
        return [next, { record, position: next }]
      })
    )
})

/** The Kafka messages the pipeline would send for these entries, for a bare producer to send. */
export const bareMessages = (entries: ReadonlyArray<unknown>) =>
  entries.flatMap((entry) => {
    const record = decodeAuditEntry(entry)
    if (record._tag === "Invalid") return []
    const normal = normaliseEvent(record.value, { caseInsensitivePrincipals: true })
    if (normal._tag === "Left") return []
    const m = eventMessage(normal.right, "bench")
    return [{ key: m.key, value: m.value, headers: { ...m.headers } }]
  })

/** Send `messages` as the bare producer does in the benchmarks: `batchSize` at a time, one batch in flight, acks=-1. */
export const sendBare = (producer: Producer, messages: ReadonlyArray<Message>, batchSize: number, compression: CompressionTypes) =>
  Effect.gen(function*() {
    for (let i = 0; i < messages.length; i += batchSize) {
      const batch = messages.slice(i, i + batchSize)
      yield* Effect.promise(() => producer.sendBatch({ topicMessages: [{ topic: "verity.events.raw.github", messages: batch }], acks: -1, compression }))
    }
  })

export const rate = (count: number, ms: number) => Math.round((count / ms) * 1000)
export const fmt = (n: number) => n.toLocaleString("en-US")
export const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
export const percentile = (xs: ReadonlyArray<number>, p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!
}
export const chunkOf = <A>(xs: ReadonlyArray<A>) => Chunk.fromIterable(xs)
