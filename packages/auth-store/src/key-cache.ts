/**
 * A per-session LRU of encoded (plaintext) signal key values, bounded in bytes. It stores bytes,
 * not objects, so a caller mutating a returned value can never change what the cache holds.
 *
 * Reads that overlap a write neither use nor fill the cache: a read issued before a write may resolve after
 * it and would otherwise put the older value back.
 */
export class KeyCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;
  private writeEpoch = 0;
  private writesInFlight = 0;

  constructor(private readonly maxBytes: number) {}

  /**
   * The cached value, if any. While a write is in flight every lookup misses, so a read issued
   * after a write sees it (storage orders the two), exactly as without the cache.
   */
  get(field: string): Buffer | undefined {
    if (this.writesInFlight > 0) return undefined;
    const value = this.entries.get(field);
    if (value === undefined) return undefined;
    // Re-insert to mark as most recently used.
    this.entries.delete(field);
    this.entries.set(field, value);
    return value;
  }

  /** A token to pass to {@link fill} after a read completes. */
  readStarted(): number {
    return this.writesInFlight > 0 ? -1 : this.writeEpoch;
  }

  /** Caches a value read from storage, unless a write started or ran since `token`. */
  fill(token: number, field: string, value: Buffer): void {
    if (token !== this.writeEpoch || this.writesInFlight > 0) return;
    this.put(field, value);
  }

  writeStarted(): void {
    this.writesInFlight++;
    this.writeEpoch++;
  }

  /** After a durable write: the written values become the cached ones (null = deleted). */
  writeSucceeded(changes: Iterable<readonly [string, Buffer | null]>): void {
    this.writesInFlight--;
    for (const [field, value] of changes) {
      if (value === null) this.remove(field);
      else this.put(field, value);
    }
  }

  /**
   * After a failed write. A refused (fenced-out) write stored nothing, so the cache stays; any
   * other failure may or may not have been applied, so those fields are forgotten.
   */
  writeFailed(fields: Iterable<string>, storedNothing: boolean): void {
    this.writesInFlight--;
    if (storedNothing) return;
    for (const field of fields) this.remove(field);
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private put(field: string, value: Buffer): void {
    this.remove(field);
    const size = value.length + field.length;
    if (size > this.maxBytes) return;
    this.entries.set(field, value);
    this.bytes += size;
    for (const [oldest, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= old.length + oldest.length;
    }
  }

  private remove(field: string): void {
    const old = this.entries.get(field);
    if (old === undefined) return;
    this.entries.delete(field);
    this.bytes -= old.length + field.length;
  }
}
