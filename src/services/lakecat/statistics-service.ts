import { findPartitionsByName, type StoredPartition } from '../../store/lakecat/partition-repository.js';
import * as repo from '../../store/lakecat/statistics-repository.js';
import type { ColumnStatisticsRow, TableRow } from '../../store/schema.js';
import { nowIso, type Store } from '../../store/store.js';
import { invalid, notFound } from '../errors.js';
import type { Principal } from '../iam/principal.js';
import { type PartitionService, some, type TablePath } from './partition-service.js';
import type { Column } from './table-service.js';

/** The statistics data of one column, as the reference models it: one `*_statistics_data` member named by data_type. */
export interface ColumnStatisticsObject {
  column_name: string;
  column_type: string;
  data_type: string;
  [data: string]: unknown;
}
export interface ColumnStatisticsInput {
  column_statistics_desc: { last_analyzed_time?: string; partition_values?: string[] };
  column_statistics_objects: ColumnStatisticsObject[];
}

const DATA_FIELD: Record<string, string> = {
  longStats: 'long_statistics_data',
  doubleStats: 'double_statistics_data',
  decimalStats: 'decimal_statistics_data',
  dateStats: 'date_statistics_data',
  stringStats: 'string_statistics_data',
  booleanStats: 'boolean_statistics_data',
  binaryStats: 'binary_statistics_data',
};

/** Which statistics a column type can carry; types not listed (complex types) take none of these checks. */
function statsFor(columnType: string): string[] | undefined {
  const t = columnType.trim().toLowerCase();
  if (/^(tinyint|smallint|int|integer|bigint|timestamp)\b/.test(t)) return ['longStats'];
  if (/^(float|double|real)\b/.test(t)) return ['doubleStats'];
  if (/^(decimal|numeric)\b/.test(t)) return ['decimalStats'];
  if (t === 'date') return ['dateStats'];
  if (/^(string|varchar|char)\b/.test(t)) return ['stringStats'];
  if (t === 'boolean') return ['booleanStats'];
  if (t === 'binary') return ['binaryStats'];
  return undefined;
}

type Data = Record<string, unknown>;
const num = (d: Data, k: string) => (typeof d[k] === 'number' ? (d[k] as number) : 0);

/** A decimal {unscaled: base64 two's complement, scale} as a comparable pair. */
function decimalValue(d: unknown): { unscaled: bigint; scale: number } | undefined {
  const v = d as { unscaled?: string; scale?: number } | undefined;
  if (!v?.unscaled) return undefined;
  const bytes = Buffer.from(v.unscaled, 'base64');
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  if (bytes.length && (bytes[0] as number) & 0x80) n -= 1n << BigInt(bytes.length * 8);
  return { unscaled: n, scale: v.scale ?? 0 };
}
function compareDecimal(a: unknown, b: unknown): number {
  const x = decimalValue(a);
  const y = decimalValue(b);
  if (!x || !y) return x ? 1 : y ? -1 : 0;
  const l = x.unscaled * 10n ** BigInt(Math.max(0, y.scale - x.scale));
  const r = y.unscaled * 10n ** BigInt(Math.max(0, x.scale - y.scale));
  return l < r ? -1 : l > r ? 1 : 0;
}

/**
 * Merges two statistics of one column as Hive's column-stats mergers do: extremes widen, null
 * and true/false counts add up, distinct counts and lengths take the larger. A bit vector
 * (an HLL sketch) cannot be merged here, so merged statistics carry none.
 */
export function mergeStatistics(dataType: string, a: Data, b: Data): Data {
  const base = { number_of_null: num(a, 'number_of_null') + num(b, 'number_of_null') };
  const ndv = {
    number_of_distinct_value: Math.max(num(a, 'number_of_distinct_value'), num(b, 'number_of_distinct_value')),
  };
  const lengths = {
    maximum_length: Math.max(num(a, 'maximum_length'), num(b, 'maximum_length')),
    average_length: Math.max(num(a, 'average_length'), num(b, 'average_length')),
  };
  const pick = (key: string, better: (x: unknown, y: unknown) => boolean) =>
    a[key] === undefined ? b[key] : b[key] === undefined ? a[key] : better(a[key], b[key]) ? a[key] : b[key];
  switch (dataType) {
    case 'booleanStats':
      return {
        ...base,
        number_of_true: num(a, 'number_of_true') + num(b, 'number_of_true'),
        number_of_false: num(a, 'number_of_false') + num(b, 'number_of_false'),
      };
    case 'stringStats':
      return { ...base, ...ndv, ...lengths };
    case 'binaryStats':
      return { ...base, ...lengths };
    case 'decimalStats':
      return {
        ...base,
        ...ndv,
        minimum_value: pick('minimum_value', (x, y) => compareDecimal(x, y) <= 0),
        maximum_value: pick('maximum_value', (x, y) => compareDecimal(x, y) >= 0),
      };
    case 'dateStats':
      return {
        ...base,
        ...ndv,
        ...defined({
          minimum_value: pick('minimum_value', (x, y) => Date.parse(String(x)) <= Date.parse(String(y))),
          maximum_value: pick('maximum_value', (x, y) => Date.parse(String(x)) >= Date.parse(String(y))),
        }),
      };
    default:
      return {
        ...base,
        ...ndv,
        minimum_value: pick('minimum_value', (x, y) => (x as number) <= (y as number)),
        maximum_value: pick('maximum_value', (x, y) => (x as number) >= (y as number)),
      };
  }
}
const defined = (o: Data) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** The name of the entry BatchShowPartitionColumnStatistics returns when it aggregates over the partitions found. */
export const AGGREGATED = 'aggregated';

/** Column statistics of tables and partitions: set (replace or merge), batch read, delete. */
export class StatisticsService {
  constructor(
    private readonly store: Store,
    private readonly partitions: PartitionService,
  ) {}

  private columnsOf(table: TableRow): Map<string, Column> {
    const d = JSON.parse(table.definition) as { storage_descriptor?: { columns?: Column[] } };
    return new Map((d.storage_descriptor?.columns ?? []).map((c) => [c.column_name.toLowerCase(), c]));
  }

  /** Checks each object against the table's columns; returns the rows to store. Fails naming every bad entry. */
  private rows(
    table: TableRow,
    objects: ColumnStatisticsObject[],
    analyzedAt: string,
    where: string,
  ): ColumnStatisticsRow[] {
    const columns = this.columnsOf(table);
    const errors: string[] = [];
    const seen = new Set<string>();
    const rows = objects.flatMap((o, i) => {
      const name = o.column_name.toLowerCase();
      const column = columns.get(name);
      const field = DATA_FIELD[o.data_type] as string;
      const data = o[field];
      if (!column) errors.push(`${where}[${i}]: ${o.column_name} is not a column of table ${table.name}`);
      else if (data === undefined || data === null)
        errors.push(`${where}[${i}]: data_type ${o.data_type} needs ${field}`);
      else if (!(statsFor(column.column_type) ?? [o.data_type]).includes(o.data_type))
        errors.push(
          `${where}[${i}]: column ${name} is ${column.column_type}, which ` +
            `takes ${statsFor(column.column_type)?.join(' or ')}, not ` +
            `${o.data_type}`,
        );
      else if (seen.has(name)) errors.push(`${where}[${i}]: column ${name} appears twice`);
      else {
        seen.add(name);
        return [
          {
            column_name: name,
            column_type: o.column_type,
            data_type: o.data_type,
            data: JSON.stringify(data),
            last_analyzed_time: analyzedAt,
          },
        ];
      }
      return [];
    });
    if (errors.length) throw invalid(`no statistics were written: ${some(errors, 5)}`);
    return rows;
  }

  private objectOf(r: ColumnStatisticsRow): ColumnStatisticsObject {
    return {
      column_name: r.column_name,
      column_type: r.column_type,
      data_type: r.data_type,
      [DATA_FIELD[r.data_type] as string]: JSON.parse(r.data),
    };
  }

  /**
   * New rows merged into the stored ones of the same column (when the data types agree; otherwise the new one wins).
   */
  private merged(fresh: ColumnStatisticsRow[], stored: ColumnStatisticsRow[]): ColumnStatisticsRow[] {
    const byColumn = new Map(stored.map((s) => [s.column_name, s]));
    return fresh.map((f) => {
      const old = byColumn.get(f.column_name);
      if (!old || old.data_type !== f.data_type) return f;
      return {
        ...f,
        data: JSON.stringify(mergeStatistics(f.data_type, JSON.parse(old.data) as Data, JSON.parse(f.data) as Data)),
      };
    });
  }

  async setTable(caller: Principal, p: TablePath, input: ColumnStatisticsInput, merge: boolean) {
    const { table } = await this.partitions.partitionedTable(caller, p, 'statistics.update');
    const analyzedAt = input.column_statistics_desc.last_analyzed_time ?? nowIso();
    const fresh = this.rows(table, input.column_statistics_objects, analyzedAt, 'column_statistics_objects');
    const written = await this.store.transaction(async (trx) => {
      const rows = merge
        ? this.merged(
            fresh,
            await repo.findTableStatistics(
              trx,
              table.id,
              fresh.map((f) => f.column_name),
            ),
          )
        : fresh;
      await repo.upsertTableStatistics(
        trx,
        rows.map((r) => ({ ...r, table_id: table.id })),
      );
      return rows;
    });
    return {
      column_statistics_desc: { last_analyzed_time: analyzedAt },
      column_statistics_objects: written.map((r) => this.objectOf(r)),
    };
  }

  async listTable(caller: Principal, p: TablePath, columnNames: string[]) {
    const { table } = await this.partitions.partitionedTable(caller, p, 'statistics.show');
    const rows = await repo.findTableStatistics(this.store.db, table.id, [
      ...new Set(columnNames.map((c) => c.toLowerCase())),
    ]);
    return rows.map((r) => this.objectOf(r));
  }

  async deleteTable(caller: Principal, p: TablePath, columnName?: string): Promise<void> {
    const { table } = await this.partitions.partitionedTable(caller, p, 'statistics.delete');
    const column = columnName?.toLowerCase();
    if (column !== undefined && !this.columnsOf(table).has(column))
      throw notFound(`${columnName} is not a column of table ${table.name}`);
    const n = await repo.deleteTableStatistics(this.store.db, table.id, column);
    if (column !== undefined && n === 0) throw notFound(`column ${column} of table ${table.name} has no statistics`);
  }

  /** Partitions by value lists; fails naming the value lists that address no partition. */
  private async findPartitions(
    tableId: string,
    keys: Parameters<PartitionService['nameOf']>[0],
    lists: string[][],
    tableName: string,
    q = this.store.db,
  ) {
    const wanted = lists.map((v) => ({ values: v, name: this.partitions.nameOf(keys, v) }));
    const rows = await findPartitionsByName(
      q,
      tableId,
      wanted.flatMap((w) => (w.name ? [w.name] : [])),
    );
    const byName = new Map(rows.map((r) => [r.name, r]));
    const missing = wanted.filter((w) => !w.name || !byName.has(w.name));
    return { byName, wanted, missing: missing.map((m) => `(${m.values.join(', ')})`), tableName };
  }

  async setPartitions(caller: Principal, p: TablePath, inputs: ColumnStatisticsInput[], merge: boolean): Promise<void> {
    const { table, keys } = await this.partitions.partitionedTable(caller, p, 'statistics.update');
    const lists = inputs.map((s, i) => {
      if (!s.column_statistics_desc.partition_values?.length)
        throw invalid(`statistics[${i}].column_statistics_desc needs partition_values`);
      return s.column_statistics_desc.partition_values;
    });
    const prepared = inputs.map((s, i) =>
      this.rows(
        table,
        s.column_statistics_objects,
        s.column_statistics_desc.last_analyzed_time ?? nowIso(),
        `statistics[${i}].column_statistics_objects`,
      ),
    );
    await this.store.transaction(async (trx) => {
      const { byName, wanted, missing } = await this.findPartitions(table.id, keys, lists, table.name, trx);
      if (missing.length)
        throw notFound(`no statistics were written: table ${table.name} has no partition ${some(missing)}`);
      const all = [];
      for (const [i, fresh] of prepared.entries()) {
        const part = byName.get(wanted[i]?.name as string) as StoredPartition;
        const rows = merge
          ? this.merged(
              fresh,
              await repo.findPartitionStatistics(
                trx,
                [part.id],
                fresh.map((f) => f.column_name),
              ),
            )
          : fresh;
        all.push(...rows.map((r) => ({ ...r, partition_id: Number(part.id), table_id: table.id })));
      }
      await repo.upsertPartitionStatistics(trx, all);
    });
  }

  /** Statistics per partition name; or, aggregated, one merged entry per column over the partitions found. */
  async showPartitions(
    caller: Principal,
    p: TablePath,
    q: { columnNames: string[]; partitionValues: string[][]; aggregate: boolean },
  ) {
    const { table, keys } = await this.partitions.partitionedTable(caller, p, 'statistics.show');
    const { byName } = await this.findPartitions(table.id, keys, q.partitionValues, table.name);
    const parts = [...byName.values()];
    const rows = await repo.findPartitionStatistics(
      this.store.db,
      parts.map((r) => r.id),
      [...new Set(q.columnNames.map((c) => c.toLowerCase()))],
    );
    const nameOf = new Map(parts.map((r) => [Number(r.id), r.name]));
    const columnStatistics: Record<string, ColumnStatisticsObject[]> = {};
    if (q.aggregate) {
      const byColumn = new Map<string, ColumnStatisticsRow>();
      for (const r of rows) {
        const prev = byColumn.get(r.column_name);
        byColumn.set(
          r.column_name,
          prev && prev.data_type === r.data_type
            ? {
                ...r,
                data: JSON.stringify(
                  mergeStatistics(r.data_type, JSON.parse(prev.data) as Data, JSON.parse(r.data) as Data),
                ),
              }
            : (prev ?? r),
        );
      }
      if (byColumn.size)
        columnStatistics[AGGREGATED] = [...byColumn.values()]
          .sort((a, b) => (a.column_name < b.column_name ? -1 : 1))
          .map((r) => this.objectOf(r));
    } else {
      for (const r of rows) {
        const name = nameOf.get(Number(r.partition_id)) as string;
        const list = columnStatistics[name] ?? [];
        list.push(this.objectOf(r));
        columnStatistics[name] = list;
      }
    }
    return { column_statistics: columnStatistics, found_partition_number: parts.length };
  }

  async deletePartition(caller: Principal, p: TablePath, values: string[], columnName?: string): Promise<void> {
    const { table, keys } = await this.partitions.partitionedTable(caller, p, 'statistics.delete');
    const { byName, missing } = await this.findPartitions(table.id, keys, [values], table.name);
    if (missing.length) throw notFound(`table ${table.name} has no partition ${some(missing)}`);
    const column = columnName?.toLowerCase();
    if (column !== undefined && !this.columnsOf(table).has(column))
      throw notFound(`${columnName} is not a column of table ${table.name}`);
    const n = await repo.deletePartitionStatistics(
      this.store.db,
      [...byName.values()].map((r) => r.id),
      column,
    );
    if (column !== undefined && n === 0) throw notFound(`column ${column} of that partition has no statistics`);
  }
}
