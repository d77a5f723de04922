import { sql } from 'kysely';
import { preparedQuery } from '../prepared.js';
import type { PolicyChangeRow, PolicyRow } from '../schema.js';
import type { Db } from '../store.js';

export type StoredPolicy = Omit<PolicyRow, 'id'> & { id: number };
const asStored = (r: { id: unknown }) => ({ ...r, id: Number(r.id) }) as StoredPolicy;

export interface PolicyIdentity {
  instance_id: string;
  principal_type: string;
  principal_source: string;
  principal_name: string;
  resource_type: string;
  resource_name: string;
  effect: number;
}

export async function findPolicy(q: Db, k: PolicyIdentity): Promise<StoredPolicy | undefined> {
  const r = await q
    .selectFrom('policies')
    .selectAll()
    .where('instance_id', '=', k.instance_id)
    .where('principal_type', '=', k.principal_type)
    .where('principal_source', '=', k.principal_source)
    .where('principal_name', '=', k.principal_name)
    .where('resource_type', '=', k.resource_type)
    .where('resource_name', '=', k.resource_name)
    .where('effect', '=', k.effect)
    .executeTakeFirst();
  return r && asStored(r);
}

export async function insertPolicy(q: Db, row: Omit<PolicyRow, 'id'>): Promise<number> {
  const r = await q.insertInto('policies').values(row).returning('id').executeTakeFirstOrThrow();
  return Number(r.id);
}

export async function updatePolicy(
  q: Db,
  id: number,
  patch: Partial<
    Pick<PolicyRow, 'permissions' | 'grantable' | 'condition' | 'data_filter' | 'data_mask' | 'updated_at'>
  >,
): Promise<void> {
  if (Object.values(patch).every((v) => v === undefined)) return; // nothing to change: SQL has no empty SET
  await q.updateTable('policies').set(patch).where('id', '=', id).execute();
}

export async function deletePolicy(q: Db, id: number): Promise<void> {
  await q.deleteFrom('policies').where('id', '=', id).execute();
}

/** Appends a change; its id is the new policy version of the instance. */
export async function appendPolicyChange(q: Db, c: Omit<PolicyChangeRow, 'id'>): Promise<void> {
  await q.insertInto('policy_changes').values(c).execute();
}

export async function policyVersion(q: Db, instanceId: string): Promise<number> {
  const r = await q
    .selectFrom('policy_changes')
    .select((eb) => eb.fn.max('id').as('v'))
    .where('instance_id', '=', instanceId)
    .executeTakeFirst();
  return r?.v === null || r?.v === undefined ? 0 : Number(r.v);
}

export async function changesSince(
  q: Db,
  instanceId: string,
  version: number,
): Promise<(Omit<PolicyChangeRow, 'id'> & { id: number })[]> {
  return q
    .selectFrom('policy_changes')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('id', '>', version)
    .orderBy('id')
    .execute();
}

export interface PrincipalKey {
  type: string;
  name: string;
  /** IAM, SAML, LDAP, LOCAL...: a grant to LDAP user alice is not a grant to IAM user alice. */
  source: string;
}

/** Every policy held by any of these principals (by type and name; any source). */
export async function policiesOf(q: Db, instanceId: string, principals: PrincipalKey[]): Promise<StoredPolicy[]> {
  if (principals.length === 0) return [];
  const rows = await q
    .selectFrom('policies')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where((eb) =>
      eb.or(
        principals.map((p) =>
          eb.and([
            eb('principal_type', '=', p.type),
            eb('principal_name', '=', p.name),
            eb('principal_source', '=', p.source),
          ]),
        ),
      ),
    )
    .execute();
  return rows.map(asStored);
}

export interface PolicyFilter {
  instanceId: string;
  principalType?: string;
  principalSource?: string;
  principalName?: string;
  resourceType?: string;
  resourceName?: string;
  /** A keyword found, ignoring case, in the principal's or the resource's name. */
  keyword?: string;
}

function filtered(q: Db, f: PolicyFilter) {
  let query = q.selectFrom('policies').where('instance_id', '=', f.instanceId);
  if (f.principalType) query = query.where('principal_type', '=', f.principalType);
  if (f.principalSource) query = query.where('principal_source', '=', f.principalSource);
  if (f.principalName) query = query.where('principal_name', '=', f.principalName);
  if (f.resourceType) query = query.where('resource_type', '=', f.resourceType);
  if (f.resourceName) query = query.where('resource_name', '=', f.resourceName);
  if (f.keyword) {
    // LIKE wildcards in the keyword match themselves (ESCAPE works alike on SQLite and PostgreSQL).
    const pattern = `%${f.keyword.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where(({ or }) =>
      or([
        sql<boolean>`lower(principal_name) like ${pattern} escape '\\'`,
        sql<boolean>`lower(resource_name) like ${pattern} escape '\\'`,
      ]),
    );
  }
  return query;
}

/** A keyset page in id order (ids are the markers). */
export async function pagePolicies(
  q: Db,
  f: PolicyFilter,
  limit: number,
  cursor: { after?: number; before?: number; last?: boolean },
) {
  let query = filtered(q, f).selectAll();
  if (cursor.before !== undefined || cursor.last)
    query = (cursor.before !== undefined ? query.where('id', '<', cursor.before) : query).orderBy('id', 'desc');
  else query = (cursor.after !== undefined ? query.where('id', '>', cursor.after) : query).orderBy('id', 'asc');
  const rows = (await query.limit(limit + 1).execute()).map(asStored);
  const page = rows.slice(0, limit);
  if (cursor.before !== undefined || cursor.last) page.reverse();
  return { rows: page, more: rows.length > limit };
}

export async function policyExistsBeyond(
  q: Db,
  f: PolicyFilter,
  id: number,
  side: 'before' | 'after',
): Promise<boolean> {
  return (
    (await filtered(q, f)
      .select('id')
      .where('id', side === 'before' ? '<' : '>', id)
      .limit(1)
      .executeTakeFirst()) !== undefined
  );
}

export async function findPolicyById(q: Db, f: PolicyFilter, id: number): Promise<StoredPolicy | undefined> {
  const r = await filtered(q, f).selectAll().where('id', '=', id).executeTakeFirst();
  return r && asStored(r);
}

export async function allPolicies(q: Db, instanceId: string): Promise<StoredPolicy[]> {
  return (await q.selectFrom('policies').selectAll().where('instance_id', '=', instanceId).orderBy('id').execute()).map(
    asStored,
  );
}

/** Moves an instance's governance version: call it in the transaction of the change. */
export async function bumpGovernance(q: Db, instanceId: string): Promise<void> {
  await q
    .updateTable('instances')
    .set((eb) => ({ governance_version: eb('governance_version', '+', 1) }))
    .where('id', '=', instanceId)
    .execute();
}

/** An IAM group changed members: every instance of the domain's projects may grant differently now. */
export async function bumpGovernanceOfDomain(q: Db, domainId: string): Promise<void> {
  await q
    .updateTable('instances')
    .set((eb) => ({ governance_version: eb('governance_version', '+', 1) }))
    .where('project_id', 'in', q.selectFrom('projects').select('id').where('domain_id', '=', domainId))
    .execute();
}

const selectGovernanceVersion = preparedQuery(
  (q: Db, instanceId: string) => q.selectFrom('instances').select('governance_version').where('id', '=', instanceId),
  1,
);

export async function governanceVersion(q: Db, instanceId: string): Promise<number> {
  const rows = await selectGovernanceVersion(q, instanceId);
  return Number(rows[0]?.governance_version ?? 0);
}

/** A role was renamed: its grants follow it. Returns the policies changed. */
export async function renameRolePrincipal(
  q: Db,
  instanceId: string,
  from: string,
  to: string,
): Promise<StoredPolicy[]> {
  await q
    .updateTable('policies')
    .set({ principal_name: to })
    .where('instance_id', '=', instanceId)
    .where('principal_type', '=', 'ROLE')
    .where('principal_name', '=', from)
    .execute();
  return (
    await q
      .selectFrom('policies')
      .selectAll()
      .where('instance_id', '=', instanceId)
      .where('principal_type', '=', 'ROLE')
      .where('principal_name', '=', to)
      .execute()
  ).map(asStored);
}

/** A role was deleted: so are its grants. Returns the policies deleted. */
export async function deleteRolePolicies(q: Db, instanceId: string, role: string): Promise<StoredPolicy[]> {
  const rows = (
    await q
      .selectFrom('policies')
      .selectAll()
      .where('instance_id', '=', instanceId)
      .where('principal_type', '=', 'ROLE')
      .where('principal_name', '=', role)
      .execute()
  ).map(asStored);
  await q
    .deleteFrom('policies')
    .where('instance_id', '=', instanceId)
    .where('principal_type', '=', 'ROLE')
    .where('principal_name', '=', role)
    .execute();
  return rows;
}

/** Policies whose resource path is `prefix` or lies below it (columns, tables), for the caller to match exactly. */
export async function policiesUnder(q: Db, instanceId: string, prefix: string): Promise<StoredPolicy[]> {
  const like = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
  return (
    await q
      .selectFrom('policies')
      .selectAll()
      .where('instance_id', '=', instanceId)
      .where((eb) =>
        eb.or([
          eb('resource_name', '=', prefix),
          sql<boolean>`resource_name LIKE ${`${like}.%`} ESCAPE '\\'`,
          sql<boolean>`resource_name LIKE ${`${like}[%`} ESCAPE '\\'`,
        ]),
      )
      .execute()
  ).map(asStored);
}
