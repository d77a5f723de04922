import { sql } from 'kysely';
import { bulkInsert } from '../bulk-insert.js';
import type { StagedPartitionRow, StagedPartitionValueRow } from '../schema.js';
import type { Db } from '../store.js';
import { PARTITION_COLUMNS as LIVE_COLUMNS, type NewPartition } from './partition-repository.js';
import { BIN_CATALOG } from './recycle-bin-repository.js';

// A batch of partitions staged in short transactions, then landed in one short one (SQLite; see
// migration 0026). Staged rows are never read but by landBatch; a batch not landed is deleted.

const PARTITION_COLUMNS = ['batch_id', 'seq', ...LIVE_COLUMNS, 'staged_at'] satisfies (keyof StagedPartitionRow)[];
const VALUE_COLUMNS = [
  'batch_id',
  'seq',
  'key_index',
  'value',
  'num_value',
] satisfies (keyof StagedPartitionValueRow)[];

// Rows per INSERT statement: under SQLite's 32,766 bound parameters.
const ROWS_PER_STATEMENT = 250;
const VALUES_PER_STATEMENT = 1500;

/** Stages partitions `first`.. of a batch; run it in a transaction of its own. */
export async function stagePartitions(
  q: Db,
  batchId: string,
  first: number,
  parts: NewPartition[],
  stagedAt: string,
): Promise<void> {
  for (let i = 0; i < parts.length; i += ROWS_PER_STATEMENT) {
    const rows: StagedPartitionRow[] = [];
    const values: StagedPartitionValueRow[] = [];
    for (let j = i; j < Math.min(parts.length, i + ROWS_PER_STATEMENT); j++) {
      const p = parts[j] as NewPartition;
      const seq = first + j;
      rows.push({ batch_id: batchId, seq, ...p.row, staged_at: stagedAt });
      p.values.forEach((v, k) => {
        values.push({ batch_id: batchId, seq, key_index: k, value: v.text, num_value: v.num });
      });
    }
    await bulkInsert(q, 'staged_partitions', PARTITION_COLUMNS, rows);
    for (let j = 0; j < values.length; j += VALUES_PER_STATEMENT)
      await bulkInsert(q, 'staged_partition_values', VALUE_COLUMNS, values.slice(j, j + VALUES_PER_STATEMENT));
  }
}

/** The columns of a landed batch's events that all its partitions share. */
export interface BatchEvent {
  instance_id: string;
  event_type: string;
  catalog_name: string;
  database_name: string;
  /** object_name is this followed by the partition's name. */
  object_prefix: string;
  /**
   * The detail up to the partition's values: `{"object":` and the view's table part. The rest is the partition's
   * own, as the service's viewJson writes it (values, times, then the definition's members).
   */
  detail_prefix: string;
  principal: string;
  created_at: string;
}

/** The staged batch is not whole (it was swept as abandoned): nothing of it landed. */
export class StagedBatchLost extends Error {}
/** The table was dropped (into the recycle bin too) while its batch was staged: nothing of it landed. */
export class StagedTableGone extends Error {}

/**
 * Moves a staged batch of `size` partitions into the table, with their key values and events; run it
 * in one transaction, then dropBatch. With `skipExisting`, names the table has by
 * now are left out and returned; otherwise such a name fails the insert (the unique constraint).
 * Returns the table's definition as it is now, for the caller to check it still fits the batch
 * (its partition keys); throwing then undoes the landing.
 */
export async function landBatch(
  q: Db,
  batchId: string,
  tableId: string,
  size: number,
  skipExisting: boolean,
  event: BatchEvent,
): Promise<{ skipped: string[]; definition: string }> {
  const table = await q
    .selectFrom('tables')
    .select(['catalog_name', 'definition'])
    .where('id', '=', tableId)
    .executeTakeFirst();
  if (!table || table.catalog_name === BIN_CATALOG) throw new StagedTableGone(`table ${tableId} was dropped`);
  const counted = await sql<{ n: number }>`
    SELECT count(*) AS n FROM staged_partitions WHERE batch_id = ${batchId}`.execute(q);
  if (Number(counted.rows[0]?.n) !== size) throw new StagedBatchLost(`staged batch ${batchId} is not whole`);
  let skipped: string[] = [];
  if (skipExisting) {
    const gone = await sql<{ name: string }>`
      DELETE FROM staged_partitions WHERE batch_id = ${batchId} AND EXISTS (
        SELECT 1 FROM partitions p WHERE p.table_id = staged_partitions.table_id AND p.name = staged_partitions.name)
      RETURNING name`.execute(q);
    skipped = gone.rows.map((r) => r.name);
  }
  await sql`
    INSERT INTO partitions (table_id, name, partition_values, definition, created_at, updated_at, last_access_time)
    SELECT table_id, name, partition_values, definition, created_at, updated_at, last_access_time
    FROM staged_partitions WHERE batch_id = ${batchId} ORDER BY seq`.execute(q);
  // A skipped partition's values have no staged partition left to join, so they stay behind.
  await sql`
    INSERT INTO partition_values (partition_id, table_id, key_index, value, num_value)
    SELECT p.id, s.table_id, v.key_index, v.value, v.num_value
    FROM staged_partition_values v
    JOIN staged_partitions s ON s.batch_id = v.batch_id AND s.seq = v.seq
    JOIN partitions p ON p.table_id = s.table_id AND p.name = s.name
    WHERE v.batch_id = ${batchId}`.execute(q);
  await sql`
    INSERT INTO metadata_events
      (instance_id, event_type, catalog_name, database_name, object_name, principal, created_at, detail)
    SELECT ${event.instance_id}, ${event.event_type}, ${event.catalog_name}, ${event.database_name},
      ${event.object_prefix} || name, ${event.principal}, ${event.created_at},
      ${event.detail_prefix} || partition_values || ',"create_time":' || json_quote(created_at)
        || ',"last_access_time":' || json_quote(last_access_time) || ',' || substr(definition, 2) || '}'
    FROM staged_partitions WHERE batch_id = ${batchId} ORDER BY seq`.execute(q);
  // The stage is emptied after, in a transaction of its own: this one stays short.
  return { skipped, definition: table.definition };
}

/** Deletes a staged batch (landed, failed or abandoned); in a transaction, so no values outlive their partitions. */
export async function dropBatch(q: Db, batchId: string): Promise<void> {
  await q.deleteFrom('staged_partition_values').where('batch_id', '=', batchId).execute();
  await q.deleteFrom('staged_partitions').where('batch_id', '=', batchId).execute();
}

/**
 * Deletes batches staged before `before` (ISO-8601; every batch without it): what a crash or an
 * abandoned batch left. A batch still staging whose rows go fails at landing with nothing landed.
 * Run it in a transaction. Returns the partitions deleted.
 */
export async function sweepStaged(q: Db, before?: string): Promise<number> {
  let batches = q.selectFrom('staged_partitions').select('batch_id').distinct();
  if (before !== undefined) batches = batches.where('staged_at', '<', before);
  const ids = (await batches.execute()).map((r) => r.batch_id);
  let n = 0;
  for (const id of ids) {
    const r = await q.deleteFrom('staged_partitions').where('batch_id', '=', id).executeTakeFirst();
    await q.deleteFrom('staged_partition_values').where('batch_id', '=', id).execute();
    n += Number(r.numDeletedRows);
  }
  return n;
}
