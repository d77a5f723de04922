import type { IcebergIdempotencyRow } from '../schema.js';
import type { Db } from '../store.js';

/** The answer kept under a key, expired or not (see deleteExpiredAnswer). */
export const findKeptAnswer = (q: Db, projectId: string, key: string) =>
  q
    .selectFrom('iceberg_idempotency_keys')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();

export const findAnswer = (q: Db, projectId: string, key: string, now: string) =>
  q
    .selectFrom('iceberg_idempotency_keys')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('idempotency_key', '=', key)
    .where('expires_at', '>', now)
    .executeTakeFirst();

/** Fails on a duplicate key: the caller's transaction then rolls back with its change. */
export async function insertAnswer(q: Db, row: IcebergIdempotencyRow): Promise<void> {
  await q.insertInto('iceberg_idempotency_keys').values(row).execute();
}

/** Replaces an expired answer under the same key, which may be reused once its lifetime is over. */
export async function deleteExpiredAnswer(q: Db, projectId: string, key: string, now: string): Promise<void> {
  await q
    .deleteFrom('iceberg_idempotency_keys')
    .where('project_id', '=', projectId)
    .where('idempotency_key', '=', key)
    .where('expires_at', '<=', now)
    .execute();
}

export async function deleteExpiredAnswers(q: Db, now: string, limit: number): Promise<number> {
  const victims = q
    .selectFrom('iceberg_idempotency_keys')
    .select('idempotency_key')
    .where('expires_at', '<=', now)
    .limit(limit);
  const r = await q
    .deleteFrom('iceberg_idempotency_keys')
    .where('expires_at', '<=', now)
    .where('idempotency_key', 'in', victims)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
