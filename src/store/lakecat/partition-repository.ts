import { type RawBuilder, sql } from 'kysely';
import { bulkInsert } from '../bulk-insert.js';
import { dialectOf } from '../dialect.js';
import { preparedColumn, rowArrays } from '../prepared.js';
import type { PartitionRow, PartitionValueRow } from '../schema.js';
import type { Db } from '../store.js';
import { filterCondition, keyAlias, keysOf, partitionColumn, type TypedFilter } from './partition-filter-sql.js';
import { BIN_CATALOG } from './recycle-bin-repository.js';

/** A stored partition; ids come back as strings from PostgreSQL's bigint, so they are kept as text. */
export type StoredPartition = Omit<PartitionRow, 'id'> & { id: string };
/** What a listing reads of a partition (not its table id or update time). */
export type ListedPartition = Pick<
  StoredPartition,
  'id' | 'name' | 'partition_values' | 'definition' | 'created_at' | 'last_access_time'
>;

export interface NewPartition {
  row: Omit<PartitionRow, 'id'>;
  /** Per key, in key order: the text and, for numeric and date keys, the number it compares as. */
  values: { text: string; num: number | null }[];
}

// Rows per INSERT statement: well under both databases' limits on bound parameters.
const PARTITION_CHUNK = 400;
const VALUE_CHUNK = 1500;

export const PARTITION_COLUMNS = [
  'table_id',
  'name',
  'partition_values',
  'definition',
  'created_at',
  'updated_at',
  'last_access_time',
] satisfies (keyof PartitionRow)[];
const VALUE_COLUMNS = [
  'partition_id',
  'table_id',
  'key_index',
  'value',
  'num_value',
] satisfies (keyof PartitionValueRow)[];

// In place: rows come fresh from the driver, and a page of 1,000 need not be copied.
const asStored = <R extends { id: unknown }>(r: R) => {
  r.id = String(r.id);
  return r as R & StoredPartition;
};

/**
 * Inserts partitions and their key values. With `skipExisting`, a name the table already has is
 * left alone (ON CONFLICT DO NOTHING); otherwise the unique (table, name) constraint fails the
 * whole transaction. Returns the partitions inserted.
 */
export async function insertPartitions(
  q: Db,
  parts: NewPartition[],
  skipExisting: boolean,
): Promise<StoredPartition[]> {
  const inserted: StoredPartition[] = [];
  for (let i = 0; i < parts.length; i += PARTITION_CHUNK) {
    const chunk = parts.slice(i, i + PARTITION_CHUNK);
    const rows = await bulkInsert<Omit<PartitionRow, 'id'>, { id: number; name: string }>(
      q,
      'partitions',
      PARTITION_COLUMNS,
      chunk.map((p) => p.row),
      { returning: ['id', 'name'], ...(skipExisting ? { onConflictDoNothing: ['table_id', 'name'] } : {}) },
    );
    const byName = new Map(chunk.map((p) => [p.row.name, p]));
    const values: PartitionValueRow[] = [];
    for (const r of rows) {
      const p = byName.get(r.name) as NewPartition;
      inserted.push({ ...p.row, id: String(r.id) });
      p.values.forEach((v, k) => {
        values.push({ partition_id: r.id, table_id: p.row.table_id, key_index: k, value: v.text, num_value: v.num });
      });
    }
    for (let j = 0; j < values.length; j += VALUE_CHUNK)
      await bulkInsert(q, 'partition_values', VALUE_COLUMNS, values.slice(j, j + VALUE_CHUNK));
  }
  return inserted;
}

/** Partitions of a table by name, in name order (names are unique per table). */
export async function findPartitionsByName(q: Db, tableId: string, names: string[]): Promise<StoredPartition[]> {
  const out: StoredPartition[] = [];
  const unique = [...new Set(names)];
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await q
      .selectFrom('partitions')
      .selectAll()
      .where('table_id', '=', tableId)
      .where('name', 'in', unique.slice(i, i + 500))
      .execute();
    out.push(...rows.map(asStored));
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function findPartitionById(q: Db, tableId: string, id: string): Promise<StoredPartition | undefined> {
  if (!/^\d{1,18}$/.test(id)) return undefined;
  const r = await q
    .selectFrom('partitions')
    .selectAll()
    .where('table_id', '=', tableId)
    .where('id', '=', Number(id))
    .executeTakeFirst();
  return r && asStored(r);
}

export interface PartitionQuery {
  tableId: string;
  filter?: TypedFilter;
}

/** FROM/WHERE of a filtered partition query: one join per key the filter reads, all bound. */
function fromWhere(pq: PartitionQuery, extra?: RawBuilder<boolean>) {
  const keys = pq.filter ? [...keysOf(pq.filter)] : [];
  // A text key's values have no number: saying so lets the planner use the text index (partial on that).
  const joins = keys.map(
    ([k, kind]) =>
      sql`JOIN partition_values ${keyAlias(k)} ON ${keyAlias(k)}.partition_id = p.id
        AND ${keyAlias(k)}.table_id = ${pq.tableId} AND ${keyAlias(k)}.key_index = ${k}
        ${kind === 'text' ? sql`AND ${keyAlias(k)}.num_value IS NULL` : sql``}`,
  );
  const conditions = [sql`p.table_id = ${pq.tableId}`];
  if (pq.filter) conditions.push(filterCondition(pq.filter, partitionColumn));
  if (extra) conditions.push(extra);
  return sql`FROM partitions p ${sql.join(joins, sql` `)} WHERE ${sql.join(conditions, sql` AND `)}`;
}

/**
 * A listed row's text columns as one value, split again by unpack: the driver makes one string of it instead of five
 * (on SQLite a page of 1,000 partitions costs about a quarter less to read). U+0001 cannot occur in the timestamps nor
 * in JSON text (partition_values, definition), where control characters are escaped; the name, last, may hold anything.
 */
const SEP = '\u0001';
const PACKED = sql`p.created_at || ${SEP} || p.last_access_time || ${SEP} || p.partition_values || ${SEP} ||
  p.definition || ${SEP} || p.name`;
const LISTED = sql`p.id, ${PACKED}`;
const SCANNED = PACKED;

/** A row packed as PACKED reads it, with its id when listed (objects of one shape either way). */
function unpack(t: string): ScannedPartition;
function unpack(t: string, id: unknown): ListedPartition;
function unpack(t: string, id?: unknown): ScannedPartition | ListedPartition {
  const a = t.indexOf(SEP);
  const b = t.indexOf(SEP, a + 1);
  const c = t.indexOf(SEP, b + 1);
  const d = t.indexOf(SEP, c + 1);
  const name = t.slice(d + 1);
  const partition_values = t.slice(b + 1, c);
  const definition = t.slice(c + 1, d);
  const created_at = t.slice(0, a);
  const last_access_time = t.slice(a + 1, b);
  return id === undefined
    ? { name, partition_values, definition, created_at, last_access_time }
    : { id: String(id), name, partition_values, definition, created_at, last_access_time };
}

/** What a scan reads of a partition: a listing's row but its id, which a protocol encoding it has no use for. */
export type ScannedPartition = Omit<ListedPartition, 'id'>;

const beyond = (name: string, side: 'before' | 'after') =>
  sql<boolean>`p.name ${sql.raw(side === 'before' ? '<' : '>')} ${name}`;

/** A keyset page's statement (see pagePartitions): `columns` read, `limit + 1` rows. */
function pageQuery(
  pq: PartitionQuery,
  limit: number,
  cursor: { after?: string; before?: string; last?: boolean },
  columns: 'names' | 'listed' | 'scanned',
): { query: RawBuilder<unknown>; backward: boolean } {
  const backward = cursor.before !== undefined || cursor.last === true;
  const position =
    cursor.before !== undefined
      ? beyond(cursor.before, 'before')
      : cursor.after !== undefined
        ? beyond(cursor.after, 'after')
        : undefined;
  const order = sql.raw(backward ? 'DESC' : 'ASC');
  const read = columns === 'scanned' ? SCANNED : LISTED;
  let query: RawBuilder<unknown>;
  if (columns === 'names')
    query = sql`SELECT p.id, p.name ${fromWhere(pq, position)} ORDER BY p.name ${order} LIMIT ${limit + 1}`;
  else if (pq.filter)
    // Joined key values: the page is sorted as ids and names, then its rows read by id in that order, rather than
    // sorting whole rows (definitions and all); SQLite reads the sorted page as it comes, without sorting it again.
    query = sql`SELECT ${read} FROM
      (SELECT p.id, p.name ${fromWhere(pq, position)} ORDER BY p.name ${order} LIMIT ${limit + 1}) ids
      JOIN partitions p ON p.id = ids.id ORDER BY ids.name ${order}`;
  else query = sql`SELECT ${read} ${fromWhere(pq, position)} ORDER BY p.name ${order} LIMIT ${limit + 1}`;
  return { query, backward };
}

/**
 * A keyset page in name order: forward after `after`, or backward before `before`; one row
 * beyond the limit is read to tell whether more follow. `namesOnly` reads just id and name.
 */
export async function pagePartitions(
  q: Db,
  pq: PartitionQuery,
  limit: number,
  cursor: { after?: string; before?: string; last?: boolean },
  namesOnly = false,
) {
  const { query, backward } = pageQuery(pq, limit, cursor, namesOnly ? 'names' : 'listed');
  const rows = await rowArrays(q, query.compile(q));
  const more = rows.length > limit;
  const n = Math.min(rows.length, limit);
  const page = new Array<ListedPartition>(n);
  // Objects of one shape built here: ids come back as strings from PostgreSQL's bigint, so they are kept as text.
  for (let i = 0; i < n; i++) {
    const r = rows[i] as unknown[];
    page[i] = namesOnly ? ({ id: String(r[0]), name: r[1] } as ListedPartition) : unpack(r[1] as string, r[0]);
  }
  if (backward) page.reverse();
  return { rows: page, more };
}

/** A forward keyset page (see pagePartitions) of what a scan reads, after the partition named `after`. */
export async function scanPartitions(
  q: Db,
  pq: PartitionQuery,
  limit: number,
  after: string | undefined,
): Promise<{ rows: ScannedPartition[]; more: boolean }> {
  const { query } = pageQuery(pq, limit, { after }, 'scanned');
  const rows = await rowArrays(q, query.compile(q));
  const n = Math.min(rows.length, limit);
  const page = new Array<ScannedPartition>(n);
  for (let i = 0; i < n; i++) {
    page[i] = unpack((rows[i] as unknown[])[0] as string);
  }
  return { rows: page, more: rows.length > limit };
}

const partitionMarkOf = preparedColumn(
  (q: Db, tableId: string) => q.selectFrom('partition_marks').select('n').where('table_id', '=', tableId),
  1,
);

/**
 * The count every write to a table's partitions moves (SQLite; see migration 0028): 0 for a table whose partitions
 * were never written. Read outside a transaction, on the synchronous read path where there is one.
 */
export async function partitionMark(q: Db, tableId: string): Promise<number> {
  const [n] = await partitionMarkOf(q, tableId);
  return Number(n ?? 0);
}

export async function partitionExistsBeyond(
  q: Db,
  pq: PartitionQuery,
  name: string,
  side: 'before' | 'after',
): Promise<boolean> {
  const { rows } = await sql`SELECT 1 AS one ${fromWhere(pq, beyond(name, side))} LIMIT 1`.execute(q);
  return rows.length > 0;
}

/** Partitions of an instance, counted table by table through the (table, name) index. */
export async function countPartitions(q: Db, instanceId: string): Promise<number> {
  const r = await q
    .selectFrom('partitions')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('table_id', 'in', (eb) =>
      eb
        .selectFrom('tables')
        .select('tables.id')
        .where('instance_id', '=', instanceId)
        .where('catalog_name', '!=', BIN_CATALOG),
    )
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function tableHasPartitions(q: Db, tableId: string): Promise<boolean> {
  return (
    (await q.selectFrom('partitions').select('id').where('table_id', '=', tableId).limit(1).executeTakeFirst()) !==
    undefined
  );
}

export async function updatePartition(
  q: Db,
  id: string,
  patch: Partial<Pick<PartitionRow, 'name' | 'partition_values' | 'definition' | 'updated_at' | 'last_access_time'>>,
  values?: NewPartition['values'],
  tableId?: string,
): Promise<void> {
  await q.updateTable('partitions').set(patch).where('id', '=', Number(id)).execute();
  if (values && tableId) {
    await q.deleteFrom('partition_values').where('partition_id', '=', Number(id)).execute();
    await q
      .insertInto('partition_values')
      .values(
        values.map((v, k) => ({
          partition_id: Number(id),
          table_id: tableId,
          key_index: k,
          value: v.text,
          num_value: v.num,
        })),
      )
      .execute();
  }
}

/** Deletes partitions by id; their key values and statistics go with them (foreign keys cascade). */
export async function deletePartitions(q: Db, tableId: string, ids: string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const r = await q
      .deleteFrom('partitions')
      .where('table_id', '=', tableId)
      .where('id', 'in', ids.slice(i, i + 500).map(Number))
      .executeTakeFirst();
    n += Number(r.numDeletedRows);
  }
  return n;
}

/** Partitions rewritten per statement of a cascade: each batch is one keyset range of ids. */
export const CASCADE_BATCH = 5000;

/**
 * Sets every partition's storage-descriptor columns of a table to `columns` (an ALTER ... CASCADE),
 * in keyset batches by id, each one UPDATE done by the database: no partition row is read into
 * memory, however many the table has. Runs in the caller's transaction. Returns the count.
 */
export async function cascadePartitionColumns(
  q: Db,
  tableId: string,
  columns: unknown[],
  updatedAt: string,
  batch = CASCADE_BATCH,
): Promise<number> {
  const json = JSON.stringify(columns);
  const set = dialectOf(q).jsonSet('definition', ['storage_descriptor', 'columns'], json);
  let after = -1;
  let total = 0;
  for (;;) {
    const bound = await sql<{ hi: number | string | null; n: number | string }>`
      SELECT max(id) AS hi, count(*) AS n FROM (
        SELECT id FROM partitions WHERE table_id = ${tableId} AND id > ${after} ORDER BY id LIMIT ${batch}
      ) b`.execute(q);
    const hi = bound.rows[0]?.hi;
    if (hi === null || hi === undefined) return total;
    await sql`UPDATE partitions SET definition = ${set}, updated_at = ${updatedAt}
      WHERE table_id = ${tableId} AND id > ${after} AND id <= ${Number(hi)}`.execute(q);
    total += Number(bound.rows[0]?.n ?? 0);
    after = Number(hi);
  }
}
