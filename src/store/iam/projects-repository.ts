import type { DomainRow, ProjectRow } from '../schema.js';
import type { Db } from '../store.js';

export const findDomainById = (q: Db, id: string) =>
  q.selectFrom('domains').selectAll().where('id', '=', id).executeTakeFirst();

export const findDomainByName = (q: Db, name: string) =>
  q.selectFrom('domains').selectAll().where('name', '=', name).executeTakeFirst();

export async function insertDomain(q: Db, row: DomainRow): Promise<void> {
  await q.insertInto('domains').values(row).execute();
}

export const findProjectById = (q: Db, id: string) =>
  q.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();

export const findProjectByName = (q: Db, domainId: string, name: string) =>
  q.selectFrom('projects').selectAll().where('domain_id', '=', domainId).where('name', '=', name).executeTakeFirst();

export interface ProjectFilter {
  domainId: string;
  name?: string;
  enabled?: boolean;
  limit: number;
  afterId?: string;
}

/** Projects of one domain, in id order, keyset-paged. */
export async function listProjects(q: Db, f: ProjectFilter): Promise<ProjectRow[]> {
  let query = q.selectFrom('projects').selectAll().where('domain_id', '=', f.domainId);
  if (f.name !== undefined) query = query.where('name', '=', f.name);
  if (f.enabled !== undefined) query = query.where('enabled', '=', f.enabled ? 1 : 0);
  if (f.afterId !== undefined) query = query.where('id', '>', f.afterId);
  return query.orderBy('id').limit(f.limit).execute();
}

export async function insertProject(q: Db, row: ProjectRow): Promise<void> {
  await q.insertInto('projects').values(row).execute();
}

export async function updateProject(
  q: Db,
  id: string,
  patch: Partial<Pick<ProjectRow, 'name' | 'description' | 'enabled' | 'updated_at'>>,
): Promise<void> {
  if (Object.values(patch).every((v) => v === undefined)) return; // nothing to change: SQL has no empty SET
  await q.updateTable('projects').set(patch).where('id', '=', id).execute();
}

export async function deleteProject(q: Db, id: string): Promise<number> {
  const r = await q.deleteFrom('projects').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function countProjectInstances(q: Db, projectId: string): Promise<number> {
  const r = await q
    .selectFrom('instances')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export const getSetting = async (q: Db, name: string): Promise<string | undefined> =>
  (await q.selectFrom('server_settings').select('value').where('name', '=', name).executeTakeFirst())?.value;

/** Inserts the setting unless one exists; returns the value that is stored afterwards. */
export async function putSettingIfAbsent(q: Db, name: string, value: string): Promise<string> {
  await q
    .insertInto('server_settings')
    .values({ name, value })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  return (await getSetting(q, name)) ?? value;
}
