/**
 * Bounded dedup on `(platform, event_id)`. Keys enter only through `commit`, which the pipeline calls
 * after the sink acknowledged them: a key recorded before its ack would turn a failed publish into a
 * loss.
 *
 * Memory is flat: two generations of at most `capacity / 2` keys each. New keys go into the current
 * generation; when it is full it becomes the previous one and the old previous one is dropped whole.
 * A key seen again is copied into the current generation, so recently seen keys survive. Every
 * operation is O(1). (Evicting one oldest key at a time from a JS `Map` is not: V8 leaves deleted
 * slots at the head of the table and `keys().next()` walks over them, which made a long stream
 * quadratic.)
 *
 * Dedup across restarts does not rest on this cache: the checkpoint carries the ids published at its
 * timestamp, and the pipeline seeds them here before it resumes inclusively.
 */
export const defaultDedupCapacity = 100_000

export class Dedup {
  private current = new Set<string>()
  private previous = new Set<string>()
  private readonly generation: number

  constructor(readonly capacity: number = defaultDedupCapacity) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError("dedup capacity must be an integer of at least 2")
    this.generation = Math.floor(capacity / 2)
  }

  /**
   * The event's Kafka key (`RawEvent.key`): a platform name has no `:`, so it is unambiguous, and the
   * pipeline uses the message's key string itself (one string per event, hashed once).
   */
  static key(platform: string, eventId: string): string {
    return `${platform}:${eventId}`
  }

  /** Was this key published (and acknowledged) already, recently enough to be remembered? */
  has(key: string): boolean {
    return this.current.has(key) || this.previous.has(key)
  }

  /** Record keys whose publish was acknowledged. */
  commit(keys: Iterable<string>): void {
    for (const key of keys) {
      if (this.current.has(key)) continue
      if (this.current.size >= this.generation) {
        this.previous = this.current
        this.current = new Set()
      }
      this.current.add(key)
    }
  }

  /** Keys held now: at most `capacity`. */
  get size(): number {
    return this.current.size + this.previous.size
  }
}
