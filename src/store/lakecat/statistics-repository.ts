import type { PartitionColumnStatisticsRow, TableColumnStatisticsRow } from '../schema.js';
import type { Db } from '../store.js';

/** Column statistics of tables and partitions: one row per (owner, column), replaced on write. */

export async function upsertTableStatistics(q: Db, rows: TableColumnStatisticsRow[]): Promise<void> {
  if (rows.length === 0) return;
  await q
    .insertInto('table_column_statistics')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['table_id', 'column_name']).doUpdateSet((eb) => ({
        column_type: eb.ref('excluded.column_type'),
        data_type: eb.ref('excluded.data_type'),
        data: eb.ref('excluded.data'),
        last_analyzed_time: eb.ref('excluded.last_analyzed_time'),
      })),
    )
    .execute();
}

export function findTableStatistics(q: Db, tableId: string, columns: string[]): Promise<TableColumnStatisticsRow[]> {
  if (columns.length === 0) return Promise.resolve([]);
  return q
    .selectFrom('table_column_statistics')
    .selectAll()
    .where('table_id', '=', tableId)
    .where('column_name', 'in', columns)
    .orderBy('column_name')
    .execute();
}

export async function deleteTableStatistics(q: Db, tableId: string, column?: string): Promise<number> {
  let query = q.deleteFrom('table_column_statistics').where('table_id', '=', tableId);
  if (column !== undefined) query = query.where('column_name', '=', column);
  return Number((await query.executeTakeFirst()).numDeletedRows);
}

export async function upsertPartitionStatistics(q: Db, rows: PartitionColumnStatisticsRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await q
      .insertInto('partition_column_statistics')
      .values(rows.slice(i, i + 500))
      .onConflict((oc) =>
        oc.columns(['partition_id', 'column_name']).doUpdateSet((eb) => ({
          column_type: eb.ref('excluded.column_type'),
          data_type: eb.ref('excluded.data_type'),
          data: eb.ref('excluded.data'),
          last_analyzed_time: eb.ref('excluded.last_analyzed_time'),
        })),
      )
      .execute();
  }
}

export async function findPartitionStatistics(
  q: Db,
  partitionIds: string[],
  columns: string[],
): Promise<PartitionColumnStatisticsRow[]> {
  const out: PartitionColumnStatisticsRow[] = [];
  if (columns.length === 0) return out;
  for (let i = 0; i < partitionIds.length; i += 500) {
    out.push(
      ...(await q
        .selectFrom('partition_column_statistics')
        .selectAll()
        .where('partition_id', 'in', partitionIds.slice(i, i + 500).map(Number))
        .where('column_name', 'in', columns)
        .execute()),
    );
  }
  return out;
}

export async function deletePartitionStatistics(q: Db, partitionIds: string[], column?: string): Promise<number> {
  let n = 0;
  for (let i = 0; i < partitionIds.length; i += 500) {
    let query = q
      .deleteFrom('partition_column_statistics')
      .where('partition_id', 'in', partitionIds.slice(i, i + 500).map(Number));
    if (column !== undefined) query = query.where('column_name', '=', column);
    n += Number((await query.executeTakeFirst()).numDeletedRows);
  }
  return n;
}

/** Statistics of columns a table no longer has, on the table and on all its partitions. */
export async function deleteStatisticsOfDroppedColumns(q: Db, tableId: string, keep: string[]): Promise<void> {
  let t = q.deleteFrom('table_column_statistics').where('table_id', '=', tableId);
  let p = q.deleteFrom('partition_column_statistics').where('table_id', '=', tableId);
  if (keep.length) {
    t = t.where('column_name', 'not in', keep);
    p = p.where('column_name', 'not in', keep);
  }
  await t.execute();
  await p.execute();
}

/** Every column statistics row of a table's partitions (truncating the table empties them). */
export async function deleteAllPartitionStatistics(q: Db, tableId: string): Promise<void> {
  await q.deleteFrom('partition_column_statistics').where('table_id', '=', tableId).execute();
}
