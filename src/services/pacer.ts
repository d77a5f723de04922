import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Short requests ahead of long work on the one JavaScript thread. Long work (a 1,000-partition
 * batch: parsing, checking, building, writing and answering it) runs in steps and calls `turn()`
 * between them: ready I/O runs first, then it waits while a short request is in flight. A short
 * write thus waits behind at most one step of one batch, not behind whole batches of every writer.
 * Waits are bounded (`maxWaitMs`), and a request counts as short only for its first `agingMs`
 * (a long listing stream does not hold batches back), so long work is slowed, never starved.
 */
export class Pacer {
  private readonly shortStarts = new Map<number, number>();
  /** The short request the current async context serves: its own steps never wait for it. */
  private readonly own = new AsyncLocalStorage<number>();
  private next = 0;
  private waiting = new Set<() => void>();

  constructor(
    private readonly maxWaitMs = 250,
    private readonly agingMs = 2000,
  ) {}

  /**
   * A short request begins; the returned function ends it (calling it again does nothing). `within`, when given,
   * runs in the request's async context, so that work the request does itself is not held back by its own entry.
   */
  begin(within?: () => void): () => void {
    const id = this.next++;
    this.shortStarts.set(id, performance.now());
    if (within) this.own.run(id, within);
    return () => {
      if (this.shortStarts.delete(id)) this.wake();
    };
  }

  /** Short requests in flight (for tests and metrics). */
  get short(): number {
    return this.shortStarts.size;
  }

  /** Called by long work between its steps. */
  async turn(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    const deadline = performance.now() + this.maxWaitMs;
    // Every end wakes the waiters, which look again in their own context (their own entry does not count).
    while (this.anyShort()) {
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

  private anyShort(): boolean {
    if (this.shortStarts.size === 0) return false;
    const now = performance.now();
    for (const [id, at] of this.shortStarts) if (now - at > this.agingMs) this.shortStarts.delete(id);
    const own = this.own.getStore();
    return this.shortStarts.size > (own !== undefined && this.shortStarts.has(own) ? 1 : 0);
  }

  private wake(): void {
    const waiting = [...this.waiting];
    this.waiting = new Set();
    for (const done of waiting) done();
  }
}

/** Request bodies at least this large mark long work (a batch of hundreds of partitions). */
export const LONG_BODY_BYTES = 64 * 1024;
