import type { Compilable } from 'kysely';
import { preparedStatement } from '../prepared.js';
import type { TableVersionRow } from '../schema.js';
import type { Db } from '../store.js';

/**
 * Keeps a replaced version of a table, then drops those beyond the newest `keep`: the statements, to run with others
 * of the change (see SqlDialect.writeAll). The insert and the delete touch different rows.
 */
const insertVersion = preparedStatement(
  (q: Db, tableId: string, instanceId: string, version: number, snapshot: string, replacedAt: string) =>
    q.insertInto('table_versions').values({
      table_id: tableId,
      instance_id: instanceId,
      version,
      snapshot,
      replaced_at: replacedAt,
    }),
  5,
);

const trimVersions = preparedStatement(
  (q: Db, tableId: string, instanceId: string, upTo: number) =>
    q
      .deleteFrom('table_versions')
      .where('table_id', '=', tableId)
      .where('instance_id', '=', instanceId)
      .where('version', '<=', upTo),
  3,
);

export function keepTableVersionWrites(q: Db, row: TableVersionRow, keep: number): Compilable<unknown>[] {
  const trim = trimVersions(q, row.table_id, row.instance_id, row.version - keep);
  return keep > 0
    ? [insertVersion(q, row.table_id, row.instance_id, row.version, row.snapshot, row.replaced_at), trim]
    : [trim];
}

export async function findTableVersion(
  q: Db,
  instanceId: string,
  tableId: string,
  version: number,
): Promise<TableVersionRow | undefined> {
  return q
    .selectFrom('table_versions')
    .selectAll()
    .where('table_id', '=', tableId)
    .where('instance_id', '=', instanceId)
    .where('version', '=', version)
    .executeTakeFirst();
}

/** A page of a table's kept versions, newest first, strictly below `before` when given. */
export async function pageTableVersions(
  q: Db,
  instanceId: string,
  tableId: string,
  limit: number,
  before?: number,
): Promise<TableVersionRow[]> {
  let query = q
    .selectFrom('table_versions')
    .selectAll()
    .where('table_id', '=', tableId)
    .where('instance_id', '=', instanceId);
  if (before !== undefined) query = query.where('version', '<', before);
  return query.orderBy('version', 'desc').limit(limit).execute();
}
