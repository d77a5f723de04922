import type { Db } from '../store.js';

/**
 * Whether a user owns a database, table, function or dataset inside a catalog (or, given one, a
 * database of it). Each probe is an index seek (migrations 0012 and 0014) that stops at the first row.
 */
export async function ownsWithin(
  q: Db,
  instanceId: string,
  user: string,
  catalog: string,
  database?: string,
): Promise<boolean> {
  const probes =
    database === undefined
      ? (['databases', 'tables', 'functions', 'datasets'] as const)
      : (['tables', 'functions', 'datasets'] as const);
  for (const table of probes) {
    let query = q
      .selectFrom(table)
      .select('instance_id')
      .where('instance_id', '=', instanceId)
      .where('owner', '=', user)
      .where('owner_type', '=', 'USER')
      .where('catalog_name', '=', catalog);
    if (database !== undefined && table !== 'databases') query = query.where('database_name', '=', database);
    if (await query.limit(1).executeTakeFirst()) return true;
  }
  return false;
}
