import { LRUCache } from 'lru-cache';

interface Bucket {
  tokens: number;
  capacity: number;
  rate: number;
  at: number;
}

/**
 * Token buckets keyed by instance: `rate` tokens per second, bursts up to one second's worth.
 * Each replica enforces the limit for the requests it serves.
 */
export class RateLimiter {
  // Bounded by maxSize counting entries rather than by max, which makes lru-cache allocate all 100,000 slots up front
  // (tens of milliseconds at every start).
  private readonly buckets = new LRUCache<string, Bucket>({ maxSize: 100_000, sizeCalculation: () => 1 });

  /** Takes one token; returns false when the caller is over its rate. */
  take(key: string, ratePerSecond: number, now = performance.now()): boolean {
    let b = this.buckets.get(key);
    if (!b || b.rate !== ratePerSecond) {
      b = { tokens: ratePerSecond, capacity: ratePerSecond, rate: ratePerSecond, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(b.capacity, b.tokens + ((now - b.at) / 1000) * b.rate);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /**
   * One request of an instance, from any protocol (REST, Iceberg REST, metastore): counted as
   * offered load (refused ones too, for the request-rate alarms) and taken from the instance's
   * bucket of `stride × qpsPerStride` per second. Returns the rate exceeded, or undefined when admitted.
   */
  admit(
    limit: { instanceId: string; stride: number },
    qpsPerStride: number,
    counter: { hit(instanceId: string): void },
  ): number | undefined {
    const rate = limit.stride * qpsPerStride;
    counter.hit(limit.instanceId);
    return this.take(limit.instanceId, rate) ? undefined : rate;
  }

  forget(key: string): void {
    this.buckets.delete(key);
  }
}
