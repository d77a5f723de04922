import type { Db } from './store.js';

/** The tables `lakeform status` counts, by what an operator calls them. */
const COUNTED = {
  domains: 'domains',
  projects: 'projects',
  users: 'users',
  instances: 'instances',
  catalogs: 'catalogs',
  databases: 'databases',
  tables: 'tables',
  partitions: 'partitions',
  policies: 'policies',
  jobs: 'lf_jobs',
} as const;

export async function storeCounts(db: Db): Promise<Record<keyof typeof COUNTED, number>> {
  const out = {} as Record<keyof typeof COUNTED, number>;
  for (const [label, table] of Object.entries(COUNTED) as [
    keyof typeof COUNTED,
    (typeof COUNTED)[keyof typeof COUNTED],
  ][]) {
    const r = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .executeTakeFirst();
    out[label] = Number(r?.n ?? 0);
  }
  return out;
}
