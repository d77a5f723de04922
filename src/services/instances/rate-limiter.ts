import { LRUCache } from 'lru-cache';
import { cacheBound } from '../../memory.js';
import type { BucketSpec } from '../../store/instances/rate-buckets.js';

/** Takes up to `want` tokens from an instance's bucket in the store, shared by every replica. */
export type TakeTokens = (
  instanceId: string,
  spec: BucketSpec,
  want: number,
) => Promise<{ granted: number; left: number }>;

/** Tokens this replica leased from an instance's shared bucket. */
interface Lease {
  rate: number;
  tokens: number;
  /** Unused tokens are dropped then (performance.now() ms): a stale lease is no burst. */
  expiresAt: number;
  /** The shared bucket was empty: refuse without asking it again until then. */
  emptyUntil: number;
  /** A lease being taken from the store, which concurrent requests wait on rather than ask again. */
  pending?: Promise<void>;
  /** Requests waiting for a lease: the next one asks for at least as many tokens. */
  waiting: number;
}

/** A leased batch is this many seconds' worth of the rate (at least one token). */
const BATCH_SECONDS = 0.1;
const LEASE_MS = 1000;

/**
 * The instance's QPS limit across replicas: one token bucket per instance in the store (`rate`
 * tokens per second, bursts up to one second's worth), from which each replica leases small
 * batches. Whatever the number of replicas, an instance is admitted at most its bucket's refill
 * plus its burst plus one batch per replica, and a replica that dies takes only its unused
 * batch with it. A request is decided from the lease in memory; only when it runs out is the
 * store asked (about once per batch, or once per token's refill time while the bucket is empty).
 */
export class RateLimiter {
  // Bounded by maxSize counting entries rather than by max, which makes lru-cache allocate every slot up front
  // (tens of milliseconds at every start).
  private readonly leases = new LRUCache<string, Lease>({ maxSize: cacheBound(100_000), sizeCalculation: () => 1 });

  constructor(
    private readonly takeTokens: TakeTokens,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** undefined: admitted; a number: refused at that rate; null: the store must be asked. */
  private decide(key: string, rate: number): number | undefined | null {
    const l = this.leases.get(key);
    if (!l || l.rate !== rate) return null;
    const now = this.now();
    if (l.tokens >= 1 && now < l.expiresAt) {
      l.tokens -= 1;
      return undefined;
    }
    return now < l.emptyUntil ? rate : null;
  }

  private entry(key: string, rate: number): Lease {
    let l = this.leases.get(key);
    if (!l || l.rate !== rate) {
      l = { rate, tokens: 0, expiresAt: 0, emptyUntil: 0, waiting: 0 };
      this.leases.set(key, l);
    }
    return l;
  }

  private lease(lease: Lease, key: string, rate: number): Promise<void> {
    const want = Math.max(1, Math.floor(rate * BATCH_SECONDS), lease.waiting);
    lease.pending ??= this.takeTokens(key, { rate, capacity: rate }, want)
      .then(({ granted, left }) => {
        const now = this.now();
        lease.tokens = granted;
        lease.expiresAt = now + LEASE_MS;
        // Less granted than asked: the bucket is empty, and the next whole token is due in
        // (1 - left) / rate seconds. Until then whoever finds the lease spent is refused at once.
        lease.emptyUntil = granted >= want ? 0 : now + (Math.max(0, 1 - left) / rate) * 1000;
      })
      .finally(() => {
        lease.pending = undefined;
      });
    return lease.pending;
  }

  /**
   * One request of an instance, from any protocol (REST, Iceberg REST, metastore), decided from
   * this replica's lease alone: undefined when admitted, the rate exceeded when refused, null
   * when the store must be asked (then call admit). Counted as offered load once decided.
   */
  admitNow(
    limit: { instanceId: string; stride: number },
    qpsPerStride: number,
    counter: { hit(instanceId: string): void },
  ): number | undefined | null {
    const verdict = this.decide(limit.instanceId, limit.stride * qpsPerStride);
    if (verdict !== null) counter.hit(limit.instanceId);
    return verdict;
  }

  /**
   * One request of an instance, counted as offered load (refused ones too, for the request-rate
   * alarms) and taken from the instance's bucket of `stride × qpsPerStride` per second. Returns
   * the rate exceeded, or undefined when admitted.
   */
  async admit(
    limit: { instanceId: string; stride: number },
    qpsPerStride: number,
    counter: { hit(instanceId: string): void },
  ): Promise<number | undefined> {
    const rate = limit.stride * qpsPerStride;
    counter.hit(limit.instanceId);
    // A batch taken by concurrent requests first is asked for again (each ask grants some, or
    // finds the bucket empty and so decides); bounded all the same.
    for (let i = 0; i < 20; i++) {
      const verdict = this.decide(limit.instanceId, rate);
      if (verdict !== null) return verdict;
      const l = this.entry(limit.instanceId, rate);
      l.waiting++;
      try {
        await this.lease(l, limit.instanceId, rate);
      } finally {
        l.waiting--;
      }
    }
    return this.decide(limit.instanceId, rate) ?? rate;
  }

  forget(key: string): void {
    this.leases.delete(key);
  }
}
