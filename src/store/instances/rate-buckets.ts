import type { Db } from '../store.js';
import { isForeignKeyViolation, isUniqueViolation } from '../store.js';

export interface BucketSpec {
  /** Tokens per second. */
  rate: number;
  /** The most tokens the bucket holds (the burst). */
  capacity: number;
}

/**
 * Takes up to `want` whole tokens from an instance's shared bucket, refilled at `rate` since its
 * last refill as of `nowMs` (this replica's clock). Returns what was granted and the tokens left
 * (fractional), so a caller that got nothing knows when to ask again. A compare-and-swap on the
 * row's version: portable across SQLite and PostgreSQL, and no lock is held between replicas.
 * A bucket starts full. An instance that no longer exists grants nothing.
 */
export async function takeTokens(
  q: Db,
  instanceId: string,
  spec: BucketSpec,
  want: number,
  nowMs: number,
): Promise<{ granted: number; left: number }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const row = await q
      .selectFrom('rate_buckets')
      .select(['tokens', 'refilled_at', 'version'])
      .where('instance_id', '=', instanceId)
      .executeTakeFirst();
    if (!row) {
      const granted = Math.min(want, Math.floor(spec.capacity));
      try {
        await q
          .insertInto('rate_buckets')
          .values({ instance_id: instanceId, tokens: spec.capacity - granted, refilled_at: nowMs, version: 1 })
          .execute();
        return { granted, left: spec.capacity - granted };
      } catch (err) {
        if (isForeignKeyViolation(err)) return { granted: 0, left: 0 };
        if (isUniqueViolation(err)) continue; // another replica made it first
        throw err;
      }
    }
    const at = Number(row.refilled_at);
    // A clock behind the stored one refills nothing (rather than taking tokens back).
    const elapsed = Math.max(0, nowMs - at);
    const available = Math.min(spec.capacity, Number(row.tokens) + (elapsed * spec.rate) / 1000);
    const granted = Math.min(want, Math.floor(available));
    if (granted === 0) return { granted: 0, left: available };
    const done = await q
      .updateTable('rate_buckets')
      .set({ tokens: available - granted, refilled_at: Math.max(at, nowMs), version: Number(row.version) + 1 })
      .where('instance_id', '=', instanceId)
      .where('version', '=', row.version)
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) === 1) return { granted, left: available - granted };
  }
  // Replicas racing this hard for one bucket: refuse this once rather than spin.
  return { granted: 0, left: 0 };
}

/** A new QPS spec starts a full bucket at the new rate (the scale is the caller's whole new budget). */
export async function resetBucket(q: Db, instanceId: string): Promise<void> {
  await q.deleteFrom('rate_buckets').where('instance_id', '=', instanceId).execute();
}
