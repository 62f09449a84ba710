/** The truth's differences between two states of an org, and the change events a consumer read back. */
import type { TruthGrant } from "../../src/platforms/github/simulator/Types.js"
import type { DrainedMessage } from "../../src/testkit/KafkaDrain.js"

const keyOf = (g: TruthGrant) => `github:${g.principal_ref}:${g.asset_ref}:${g.privilege}`

/** `kind|grant_key|before->after` for every difference, sorted. */
export const truthDiff = (before: ReadonlyArray<TruthGrant>, after: ReadonlyArray<TruthGrant>): ReadonlyArray<string> => {
  const a = new Map(before.map((g) => [keyOf(g), g.grant_mechanism]))
  const b = new Map(after.map((g) => [keyOf(g), g.grant_mechanism]))
  const out: Array<string> = []
  for (const [k, m] of a) {
    const now = b.get(k)
    if (now === undefined) out.push(`grant_removed|${k}|${m}->`)
    else if (now !== m) out.push(`grant_changed|${k}|${m}->${now}`)
  }
  for (const [k, m] of b) if (!a.has(k)) out.push(`grant_added|${k}|->${m}`)
  return out.sort()
}

interface WireChange {
  readonly change_id: string
  readonly after_snapshot_id: string
  readonly kind: string
  readonly grant_key: string
  readonly before?: { readonly grant_mechanism: string }
  readonly after?: { readonly grant_mechanism: string }
}

/** Change events deduplicated by `change_id`, in the same form as `truthDiff`, of the run `snapshotId` (or of every run). */
export const readChanges = (messages: ReadonlyArray<Pick<DrainedMessage, "key" | "value">>, snapshotId?: string): ReadonlyArray<string> => {
  const seen = new Map<string, string>()
  for (const m of messages) {
    const c = JSON.parse(m.value) as WireChange
    if (m.key !== c.grant_key) throw new Error(`change ${c.change_id} keyed ${m.key}, not by its grant`)
    if (snapshotId !== undefined && c.after_snapshot_id !== snapshotId) continue
    seen.set(c.change_id, `${c.kind}|${c.grant_key}|${c.before?.grant_mechanism ?? ""}->${c.after?.grant_mechanism ?? ""}`)
  }
  return [...seen.values()].sort()
}

/** The keys removed, in `truthDiff`. */
export const removedKeys = (diff: ReadonlyArray<string>) =>
  diff.filter((d) => d.startsWith("grant_removed|")).map((d) => d.split("|")[1]!).sort()

/** Every change event (deduplicated by `change_id`), whichever run found it. */
export const changeIds = (messages: ReadonlyArray<DrainedMessage>): ReadonlySet<string> =>
  new Set(messages.map((m) => (JSON.parse(m.value) as WireChange).change_id))

/** The keys of the tombstones run `snapshotId` published, sorted. */
export const tombstonesOf = (messages: ReadonlyArray<DrainedMessage>, snapshotId: string) =>
  messages.filter((m) => m.tombstone && m.headers["verity-snapshot-id"] === snapshotId).map((m) => m.key).sort()
