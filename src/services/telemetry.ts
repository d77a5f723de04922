import type { LRUCache } from 'lru-cache';

/**
 * What the services tell the operator, without knowing who listens: plain counters and hooks the
 * protocol layer's metrics read (src/ops/metrics.ts). Process-wide, as the caches are.
 */
export interface CacheStats {
  hits: number;
  misses: number;
}

const caches = new Map<string, CacheStats>();
type JobListener = (type: string, status: string) => void;
const jobListeners = new Set<JobListener>();

/** The counters of a cache under a name, for a cache that counts its own hits and misses (see ReadAtMark). */
export function cacheCounters(name: string): CacheStats {
  const stats = caches.get(name) ?? { hits: 0, misses: 0 };
  caches.set(name, stats);
  return stats;
}

/** Counts hits and misses of a cache's get() under a name; returns the same cache. */
export function countedCache<K extends {}, V extends {}, C = unknown>(
  name: string,
  cache: LRUCache<K, V, C>,
): LRUCache<K, V, C> {
  const stats = cacheCounters(name);
  const get = cache.get.bind(cache);
  cache.get = ((key: K, options?: unknown) => {
    const v = get(key, options as never);
    if (v === undefined) stats.misses++;
    else stats.hits++;
    return v;
  }) as typeof cache.get;
  return cache;
}

export function cacheStats(): ReadonlyMap<string, CacheStats> {
  return caches;
}

/** A job run ended with a status (SUCCESS, PARTIAL_SUCCESS, FAILED, STOPPED). */
export function jobRunEnded(type: string, status: string): void {
  for (const l of jobListeners) l(type, status);
}

export function onJobRunEnded(listener: JobListener): () => void {
  jobListeners.add(listener);
  return () => jobListeners.delete(listener);
}
