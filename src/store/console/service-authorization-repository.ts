import type { AccessServiceRow, AgreementRow } from '../schema.js';
import type { Db } from '../store.js';

export const listAgreements = (q: Db, projectId: string) =>
  q.selectFrom('agreements').selectAll().where('project_id', '=', projectId).orderBy('name').execute();

/** Signing again records the newer version. */
export async function upsertAgreement(q: Db, row: AgreementRow): Promise<void> {
  await q
    .insertInto('agreements')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['project_id', 'name'])
        .doUpdateSet({ version: row.version, signed_by: row.signed_by, signed_at: row.signed_at }),
    )
    .execute();
}

export async function deleteAgreements(q: Db, projectId: string): Promise<number> {
  const r = await q.deleteFrom('agreements').where('project_id', '=', projectId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export const listAccessServices = (q: Db, projectId: string) =>
  q.selectFrom('access_services').selectAll().where('project_id', '=', projectId).orderBy('name').execute();

export async function upsertAccessService(q: Db, row: AccessServiceRow): Promise<void> {
  await q
    .insertInto('access_services')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['project_id', 'name'])
        .doUpdateSet({ granted: row.granted, description: row.description, updated_at: row.updated_at }),
    )
    .execute();
}
