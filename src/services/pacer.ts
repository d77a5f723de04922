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
  private next = 0;
  private waiting = new Set<() => void>();

  constructor(
    private readonly maxWaitMs = 250,
    private readonly agingMs = 2000,
  ) {}

  /** A short request begins; the returned function ends it (calling it again does nothing). */
  begin(): () => void {
    const id = this.next++;
    this.shortStarts.set(id, performance.now());
    return () => {
      if (this.shortStarts.delete(id) && this.shortStarts.size === 0) this.wake();
    };
  }

  /** Short requests in flight (for tests and metrics). */
  get short(): number {
    return this.shortStarts.size;
  }

  /** Called by long work between its steps. */
  async turn(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    if (!this.anyShort()) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.maxWaitMs);
      this.waiting.add(done);
    });
  }

  private anyShort(): boolean {
    if (this.shortStarts.size === 0) return false;
    const now = performance.now();
    for (const [id, at] of this.shortStarts) if (now - at > this.agingMs) this.shortStarts.delete(id);
    return this.shortStarts.size > 0;
  }

  private wake(): void {
    const waiting = [...this.waiting];
    this.waiting = new Set();
    for (const done of waiting) done();
  }
}

/** Request bodies at least this large mark long work (a batch of hundreds of partitions). */
export const LONG_BODY_BYTES = 64 * 1024;
