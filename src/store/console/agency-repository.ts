import type { AgencyRow } from '../schema.js';
import type { Db } from '../store.js';

export const findAgency = (q: Db, domainId: string, type: string) =>
  q
    .selectFrom('agencies')
    .selectAll()
    .where('domain_id', '=', domainId)
    .where('agency_type', '=', type)
    .executeTakeFirst();

export async function hasAgency(q: Db, domainId: string): Promise<boolean> {
  return (
    (await q
      .selectFrom('agencies')
      .select('agency_type')
      .where('domain_id', '=', domainId)
      .limit(1)
      .executeTakeFirst()) !== undefined
  );
}

export async function insertAgency(q: Db, row: AgencyRow): Promise<void> {
  await q.insertInto('agencies').values(row).execute();
}

export async function deleteAgency(q: Db, domainId: string, type: string): Promise<boolean> {
  const r = await q
    .deleteFrom('agencies')
    .where('domain_id', '=', domainId)
    .where('agency_type', '=', type)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
