/**
 * Short requests ahead of long work on the one JavaScript thread. Long work (a 1,000-partition
 * batch: parsing, checking, building, writing and answering it) runs in steps and calls `turn()`
 * between them: ready I/O runs first, then it waits while a short request is in flight. A short
 * write thus waits behind at most one step of one batch, not behind whole batches of every writer.
 * Waits are bounded (`maxWaitMs`), and a request counts as short only for its first `agingMs`
 * (a long listing stream does not hold batches back), so long work is slowed, never starved.
 */
export class Pacer {
  /** Short requests in flight, by their entry, and when each began. */
  private readonly shortStarts = new Map<ShortRequest, number>();
  private waiting = new Set<() => void>();

  constructor(
    private readonly maxWaitMs = 250,
    private readonly agingMs = 2000,
  ) {}

  /**
   * A short request begins. Its entry ends it when called (calling it again does nothing), and names it to `turn`:
   * steps of the request's own work pass it there, so that they are not held back by their own request. Passed
   * explicitly rather than found through an async context: AsyncLocalStorage turns on async hooks, whose promise
   * hooks then run on every promise of every request.
   */
  begin(): ShortRequest {
    const entry: ShortRequest = () => {
      if (this.shortStarts.delete(entry)) this.wake();
    };
    this.shortStarts.set(entry, performance.now());
    return entry;
  }

  /** Short requests in flight (for tests and metrics). */
  get short(): number {
    return this.shortStarts.size;
  }

  /** Called by long work between its steps; `own`: the short request the work is done for, if it is one. */
  async turn(own?: ShortRequest): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    const deadline = performance.now() + this.maxWaitMs;
    // Every end wakes the waiters, which look again (their own entry does not count).
    while (this.anyShort(own)) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiting.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiting.add(done);
      });
    }
  }

  private anyShort(own: ShortRequest | undefined): boolean {
    if (this.shortStarts.size === 0) return false;
    const now = performance.now();
    for (const [entry, at] of this.shortStarts) if (now - at > this.agingMs) this.shortStarts.delete(entry);
    return this.shortStarts.size > (own !== undefined && this.shortStarts.has(own) ? 1 : 0);
  }

  private wake(): void {
    if (this.waiting.size === 0) return;
    const waiting = [...this.waiting];
    this.waiting = new Set();
    for (const done of waiting) done();
  }
}

/** A short request in flight (Pacer.begin): calling it ends the request. */
export type ShortRequest = () => void;

/** Request bodies at least this large mark long work (a batch of hundreds of partitions). */
export const LONG_BODY_BYTES = 64 * 1024;
