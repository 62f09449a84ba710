/**
 * Bounded dedup on `(platform, event_id)`. Keys enter only through `commit`, which the pipeline calls
 * after the sink acknowledged them: a key recorded before its ack would turn a failed publish into a
 * loss. Memory is flat: past `capacity` keys, the least recently seen key is forgotten (a JS `Map`
 * iterates in insertion order, so re-inserting on a hit keeps it an LRU).
 *
 * Dedup across restarts does not rest on this cache: the checkpoint carries the ids published at its
 * timestamp, and the pipeline seeds them here before it resumes inclusively.
 */
export const defaultDedupCapacity = 100_000

export class Dedup {
  private readonly keys = new Map<string, true>()
  constructor(readonly capacity: number = defaultDedupCapacity) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("dedup capacity must be a positive integer")
  }

  static key(platform: string, eventId: string): string {
    return `${platform}\u0000${eventId}`
  }

  /** Was this key published (and acknowledged) already? */
  has(key: string): boolean {
    return this.keys.has(key)
  }

  /** Record keys whose publish was acknowledged. */
  commit(keys: Iterable<string>): void {
    for (const key of keys) {
      if (this.keys.has(key)) this.keys.delete(key)
      this.keys.set(key, true)
      if (this.keys.size > this.capacity) {
        const oldest = this.keys.keys().next()
        if (!oldest.done) this.keys.delete(oldest.value)
      }
    }
  }

  get size(): number {
    return this.keys.size
  }
}
