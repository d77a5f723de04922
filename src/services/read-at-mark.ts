import type { LRUCache } from 'lru-cache';
import type { CacheStats } from './telemetry.js';

/** What is kept of a read: its value and the store change mark it was read at. */
export interface AtMark<V> {
  mark: string;
  value: V;
}

/**
 * Reads outside a transaction kept by the store's change mark (SQLite, a single writer: every commit moves it). While
 * the mark holds, the value read at it is still the value; without a mark (PostgreSQL: other replicas write unseen)
 * every call reads. Kept values are shared by the calls that find them, so they are frozen.
 */
export class ReadAtMark<V> {
  /** `stats`: an answer from what was kept counts as a hit; a read (a value kept at an older mark too) as a miss. */
  constructor(
    private readonly changeMark: () => string | undefined,
    private readonly kept: LRUCache<string, AtMark<V>>,
    private readonly stats?: CacheStats,
  ) {}

  async get(key: () => string, read: () => Promise<V>): Promise<V> {
    return this.at(this.changeMark(), key, read);
  }

  /** The mark now: for `at`, when what its key is made of is read after it (and so is no older than it). */
  mark(): string | undefined {
    return this.changeMark();
  }

  /** `get` at a mark taken before (see `mark`): the key and the read must both come after it. */
  async at(mark: string | undefined, key: () => string, read: () => Promise<V>): Promise<V> {
    // Taken before the read: a write between the two leaves a newer value under an older mark, never the reverse.
    if (mark === undefined) return read();
    const k = key();
    const known = this.kept.get(k);
    if (known && known.mark === mark) {
      if (this.stats) this.stats.hits++;
      return known.value;
    }
    if (this.stats) this.stats.misses++;
    const value = await read();
    if (value !== null && typeof value === 'object') Object.freeze(value);
    this.kept.set(k, { mark, value });
    return value;
  }
}
