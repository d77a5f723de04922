import type { TokenRow } from '../schema.js';
import type { Db } from '../store.js';

export async function insertToken(q: Db, row: TokenRow): Promise<void> {
  await q.insertInto('tokens').values(row).execute();
}

export const findToken = (q: Db, tokenHash: string) =>
  q.selectFrom('tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();

export async function deleteToken(q: Db, tokenHash: string): Promise<number> {
  const r = await q.deleteFrom('tokens').where('token_hash', '=', tokenHash).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function deleteUserTokens(q: Db, userId: string): Promise<void> {
  await q.deleteFrom('tokens').where('user_id', '=', userId).execute();
}

export async function deleteExpiredTokens(q: Db, nowIso: string): Promise<number> {
  const r = await q.deleteFrom('tokens').where('expires_at', '<=', nowIso).executeTakeFirst();
  return Number(r.numDeletedRows);
}
