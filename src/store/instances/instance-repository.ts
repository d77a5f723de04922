import { sql } from 'kysely';
import { preparedQuery } from '../prepared.js';
import type { InstanceRow, InstanceSpecRow, InstanceTagRow } from '../schema.js';
import type { Db, Store } from '../store.js';

export type NewInstanceRow = Omit<InstanceRow, 'version' | 'governance_version'>;

export interface InstanceAggregate {
  row: InstanceRow;
  specs: InstanceSpecRow[];
  tags: InstanceTagRow[];
}

export interface InstanceFilter {
  projectId: string;
  inRecycleBin: boolean;
  nameContains?: string;
  enterpriseProjectId?: string;
  /** Every condition must hold: the instance has the key, with one of the values (any value when empty). */
  tags?: { key: string; values: string[] }[];
  offset: number;
  limit: number;
}

/** Serialises writers of one project (quota, default flag). SQLite already runs one writer at a time. */
export async function lockProject(store: Store, q: Db, projectId: string): Promise<void> {
  await store.sql.lockRow(q, 'projects', projectId);
}

// Read by every authorization (instances.active): compiled once (see preparedQuery).
const instanceById = preparedQuery(
  (q: Db, projectId: string, id: string) =>
    q.selectFrom('instances').selectAll().where('project_id', '=', projectId).where('id', '=', id),
  2,
);
const defaultInstance = preparedQuery(
  (q: Db, projectId: string) =>
    q
      .selectFrom('instances')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('default_instance', '=', sql.lit(1)), // a literal: prepared queries take only their arguments
  1,
);

export const findInstanceRow = async (q: Db, projectId: string, id: string): Promise<InstanceRow | undefined> =>
  (await instanceById(q, projectId, id))[0];

export const findDefaultInstanceRow = async (q: Db, projectId: string): Promise<InstanceRow | undefined> =>
  (await defaultInstance(q, projectId))[0];

export async function loadAggregate(q: Db, row: InstanceRow): Promise<InstanceAggregate> {
  const [specs, tags] = await Promise.all([
    q.selectFrom('instance_specs').selectAll().where('instance_id', '=', row.id).orderBy('spec_code').execute(),
    q.selectFrom('instance_tags').selectAll().where('instance_id', '=', row.id).orderBy('tag_key').execute(),
  ]);
  return { row, specs, tags };
}

const selectVersion = preparedQuery(
  (q: Db, projectId: string, id: string) =>
    q.selectFrom('instances').select('version').where('id', '=', id).where('project_id', '=', projectId),
  2,
);

/**
 * The version of an instance: every change to the row, its specs or its tags bumps it (in the
 * same transaction), so an unchanged version means an unchanged aggregate.
 */
export async function findInstanceVersion(q: Db, projectId: string, id: string): Promise<number | undefined> {
  const row = (await selectVersion(q, projectId, id))[0];
  return row === undefined ? undefined : Number(row.version);
}

/** One round trip: the row joined with its specs and tags (at most 10 × 20 rows), folded back here. */
const selectInstanceWithChildren = preparedQuery(
  (q: Db, projectId: string, id: string) =>
    q
      .selectFrom('instances')
      .leftJoin('instance_specs as s', 's.instance_id', 'instances.id')
      .leftJoin('instance_tags as t', 't.instance_id', 'instances.id')
      .selectAll('instances')
      .select(['s.spec_code', 's.stride_num', 's.product_id', 't.tag_key', 't.tag_value'])
      .where('instances.project_id', '=', projectId)
      .where('instances.id', '=', id),
  2,
);

export async function findInstance(q: Db, projectId: string, id: string): Promise<InstanceAggregate | undefined> {
  const rows = await selectInstanceWithChildren(q, projectId, id);
  const first = rows[0];
  if (!first) return undefined;
  const { spec_code: _s, stride_num: _n, product_id: _p, tag_key: _k, tag_value: _v, ...row } = first;
  const specs = new Map<string, InstanceSpecRow>();
  const tags = new Map<string, InstanceTagRow>();
  for (const r of rows) {
    if (r.spec_code !== null)
      specs.set(r.spec_code, {
        instance_id: id,
        spec_code: r.spec_code,
        stride_num: Number(r.stride_num),
        product_id: r.product_id ?? '',
      });
    if (r.tag_key !== null) tags.set(r.tag_key, { instance_id: id, tag_key: r.tag_key, tag_value: r.tag_value ?? '' });
  }
  const byKey = <T>(m: Map<string, T>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return { row: row as InstanceRow, specs: byKey(specs), tags: byKey(tags) };
}

function filtered(q: Db, f: InstanceFilter) {
  let query = q
    .selectFrom('instances')
    .where('project_id', '=', f.projectId)
    .where('in_recycle_bin', '=', f.inRecycleBin ? 1 : 0);
  if (f.nameContains) {
    const escaped = f.nameContains.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
    query = query.where(sql<boolean>`lower(name) LIKE ${`%${escaped}%`} ESCAPE '\\'`);
  }
  if (f.enterpriseProjectId !== undefined) query = query.where('enterprise_project_id', '=', f.enterpriseProjectId);
  for (const t of f.tags ?? []) {
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('instance_tags')
          .select('instance_tags.instance_id')
          .whereRef('instance_tags.instance_id', '=', 'instances.id')
          .where('instance_tags.tag_key', '=', t.key)
          .$if(t.values.length > 0, (sq) => sq.where('instance_tags.tag_value', 'in', t.values)),
      ),
    );
  }
  return query;
}

export async function listInstances(q: Db, f: InstanceFilter): Promise<{ rows: InstanceAggregate[]; total: number }> {
  const [rows, count] = await Promise.all([
    filtered(q, f).selectAll().orderBy('created_at', 'desc').orderBy('id').offset(f.offset).limit(f.limit).execute(),
    filtered(q, f)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  const ids = rows.map((r) => r.id);
  const [specs, tags] =
    ids.length === 0
      ? [[], []]
      : await Promise.all([
          q.selectFrom('instance_specs').selectAll().where('instance_id', 'in', ids).orderBy('spec_code').execute(),
          q.selectFrom('instance_tags').selectAll().where('instance_id', 'in', ids).orderBy('tag_key').execute(),
        ]);
  return {
    rows: rows.map((row) => ({
      row,
      specs: specs.filter((s) => s.instance_id === row.id),
      tags: tags.filter((t) => t.instance_id === row.id),
    })),
    total: Number(count.n),
  };
}

export async function countProjectInstances(q: Db, projectId: string): Promise<number> {
  const r = await q
    .selectFrom('instances')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function insertInstance(
  q: Db,
  row: NewInstanceRow,
  specs: InstanceSpecRow[],
  tags: InstanceTagRow[],
): Promise<void> {
  await q
    .insertInto('instances')
    .values({ ...row, version: 1, governance_version: 0 })
    .execute();
  if (specs.length) await q.insertInto('instance_specs').values(specs).execute();
  if (tags.length) await q.insertInto('instance_tags').values(tags).execute();
}

/**
 * Applies a change only if the row still has the expected version (and, optionally, status):
 * a lost update or a concurrent state change shows up as 0 rows, never as a silent overwrite.
 */
export async function updateInstanceIf(
  q: Db,
  id: string,
  expect: { version: number; status?: string[] },
  patch: Partial<
    Pick<
      InstanceRow,
      'name' | 'description' | 'status' | 'in_recycle_bin' | 'default_instance' | 'updated_at' | 'recycled_at'
    >
  >,
): Promise<boolean> {
  let query = q
    .updateTable('instances')
    .set((eb) => ({ ...patch, version: eb('version', '+', 1) }))
    .where('id', '=', id)
    .where('version', '=', expect.version);
  if (expect.status) query = query.where('status', 'in', expect.status);
  const r = await query.executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function clearDefault(q: Db, projectId: string, now: string): Promise<void> {
  await q
    .updateTable('instances')
    .set((eb) => ({ default_instance: 0, updated_at: now, version: eb('version', '+', 1) }))
    .where('project_id', '=', projectId)
    .where('default_instance', '=', 1)
    .execute();
}

export async function replaceSpecs(q: Db, instanceId: string, specs: InstanceSpecRow[]): Promise<void> {
  await q.deleteFrom('instance_specs').where('instance_id', '=', instanceId).execute();
  if (specs.length) await q.insertInto('instance_specs').values(specs).execute();
}

export async function replaceTags(q: Db, instanceId: string, tags: InstanceTagRow[]): Promise<void> {
  await q.deleteFrom('instance_tags').where('instance_id', '=', instanceId).execute();
  if (tags.length) await q.insertInto('instance_tags').values(tags).execute();
}

export async function deleteInstanceRow(q: Db, id: string, expectStatus: string): Promise<boolean> {
  const r = await q.deleteFrom('instances').where('id', '=', id).where('status', '=', expectStatus).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** Distinct tag keys and values over the project's instances. */
export const projectTags = (q: Db, projectId: string) =>
  q
    .selectFrom('instance_tags')
    .innerJoin('instances', 'instances.id', 'instance_tags.instance_id')
    .select(['instance_tags.tag_key', 'instance_tags.tag_value'])
    .distinct()
    .where('instances.project_id', '=', projectId)
    .orderBy('instance_tags.tag_key')
    .orderBy('instance_tags.tag_value')
    .limit(100_000)
    .execute();

/** Instances in a transitional state, or recycled before a cut-off: the lifecycle worker's to-do list. */
export const pendingLifecycle = (q: Db, transitional: string[], recycledBefore: string) =>
  q
    .selectFrom('instances')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb('status', 'in', transitional),
        eb.and([eb('in_recycle_bin', '=', 1), eb('recycled_at', '<=', recycledBefore)]),
      ]),
    )
    .orderBy('updated_at')
    .limit(100)
    .execute();

/** Current QPS stride of an instance for the rate limiter, without loading the aggregate. */
export const qpsStride = async (q: Db, instanceId: string, specCode: string): Promise<number | undefined> =>
  (
    await q
      .selectFrom('instance_specs')
      .select('stride_num')
      .where('instance_id', '=', instanceId)
      .where('spec_code', '=', specCode)
      .executeTakeFirst()
  )?.stride_num;

/** Ids of a project's instances, recycled ones included (their data is still theirs). */
export const instanceIdsOf = async (q: Db, projectId: string): Promise<string[]> =>
  (await q.selectFrom('instances').select('id').where('project_id', '=', projectId).orderBy('id').execute()).map(
    (r) => r.id,
  );
