import { invalid, notFound } from '../services/errors.js';
import type { ListedPartition } from '../services/lakecat/partition-service.js';
import { PARTITION_BATCH_MAX, partitionName, type TablePath } from '../services/lakecat/partition-service.js';
import { type Ctx, getTable, int16, type MethodEntry, PAGE, path } from './context.js';
import { partitionIn, partitionOut, partitionPlain } from './convert.js';
import { type EncodedPage, EncodedPartitions, type PartitionOwner } from './encode.js';
import { partitionSpecOf, partitionValuesOf } from './names.js';
import { type HmsTypes as H, T } from './runtime.js';

/**
 * Partitions of a keyset scan (1,000 a step) up to `max`, encoded step by step as they come, so
 * only their bytes are held; more than the server's cap is refused, not truncated.
 */
async function partitions(
  c: Ctx,
  p: TablePath,
  q: { filter?: string; partial?: string[] },
  max: number,
  inStruct = false,
): Promise<EncodedPage> {
  checkFilter(q);
  if (max <= 0) return new EncodedPartitions(inStruct).page(); // asks for none: nothing is read (nor checked)
  // Kept by the store's change mark (see scanEncoded): the same listing asked again is not read and encoded again.
  return c.s.partitions.scanEncoded(
    c.caller,
    p,
    { filter: q.filter, partialValues: q.partial },
    Math.min(max, c.maxPartitions + 1),
    PAGE,
    `hms ${inStruct ? 'struct' : 'list'} ${c.loc.form}`,
    async (steps, previous) => {
      const out = new EncodedPartitions(inStruct, previous);
      await eachStep(c, p, steps, (table, rows) => {
        for (const r of rows) out.add(table, r, c.loc);
      });
      return out.page();
    },
  );
}

function checkFilter(q: { filter?: string }): void {
  if (q.filter !== undefined && q.filter.length > 65_536)
    throw invalid('the partition filter is longer than 65536 characters');
}

/** Runs `each` over the steps of a partition scan; refuses more than the server's cap. */
async function scan(
  c: Ctx,
  p: TablePath,
  q: { filter?: string; partial?: string[] },
  max: number,
  each: (table: PartitionOwner, rows: ListedPartition[]) => void,
): Promise<void> {
  checkFilter(q);
  if (max <= 0) return; // asks for none: nothing is read (nor checked)
  const steps = c.s.partitions.scan(
    c.caller,
    p,
    { filter: q.filter, partialValues: q.partial },
    Math.min(max, c.maxPartitions + 1),
    PAGE,
  );
  await eachStep(c, p, steps, each);
}

async function eachStep(
  c: Ctx,
  p: TablePath,
  steps: AsyncIterable<{ table: PartitionOwner; rows: ListedPartition[] }>,
  each: (table: PartitionOwner, rows: ListedPartition[]) => void,
): Promise<void> {
  let seen = 0;
  for await (const { table, rows } of steps) {
    seen += rows.length;
    if (seen > c.maxPartitions) {
      throw invalid(
        `more than ${c.maxPartitions} partitions of ${p.tableName} match; pass max_parts or a narrower filter`,
      );
    }
    each(table, rows);
  }
}

/** Partitions by their value lists, encoded as found (lists without a partition are left out). */
async function encodedByValues(c: Ctx, p: TablePath, lists: string[][], inStruct = false): Promise<EncodedPartitions> {
  const out = new EncodedPartitions(inStruct);
  for (let i = 0; i < lists.length; i += PARTITION_BATCH_MAX) {
    const { table, rows } = await c.s.partitions.rowsByValues(c.caller, p, lists.slice(i, i + PARTITION_BATCH_MAX));
    for (const r of rows) out.add(table, r, c.loc);
  }
  return out;
}

async function partitionNames(c: Ctx, p: TablePath, max: number): Promise<string[]> {
  const out: string[] = [];
  let marker: string | undefined;
  while (out.length < max) {
    const page = await c.s.partitions.names(c.caller, p, {
      limit: Math.min(2000, max - out.length),
      marker,
      reversePage: false,
    });
    out.push(...page.partition_name_list);
    marker = page.page_info.next_marker;
    if (!marker) break;
  }
  return out;
}

async function byValues(c: Ctx, p: TablePath, lists: string[][]): Promise<H.Partition[]> {
  const out: H.Partition[] = [];
  for (let i = 0; i < lists.length; i += PARTITION_BATCH_MAX) {
    const raw = await c.s.partitions.byValues(c.caller, p, lists.slice(i, i + PARTITION_BATCH_MAX));
    out.push(...(JSON.parse(raw.text) as Record<string, unknown>[]).map((v) => partitionPlain(v, c.loc)));
  }
  return out;
}

async function onePartition(c: Ctx, p: TablePath, values: string[]): Promise<H.Partition> {
  const [found] = await byValues(c, p, [values]);
  if (!found) throw notFound(`table ${p.tableName} has no partition (${values.join(', ')})`);
  return found;
}

/**
 * Adds partitions of one or more tables (grouped per table, each group all or nothing). Returns
 * the added ones, or only how many when `count` asks for no more (add_partitions answers a number).
 */
async function addPartitions(
  c: Ctx,
  parts: H.Partition[],
  ifNotExists: boolean,
  catName?: string | null,
): Promise<Record<string, unknown>[]>;
async function addPartitions(
  c: Ctx,
  parts: H.Partition[],
  ifNotExists: boolean,
  catName: string | null | undefined,
  count: true,
): Promise<number>;
async function addPartitions(
  c: Ctx,
  parts: H.Partition[],
  ifNotExists: boolean,
  catName?: string | null,
  count = false,
): Promise<Record<string, unknown>[] | number> {
  const groups = new Map<string, { p: TablePath; inputs: ReturnType<typeof partitionIn>[] }>();
  parts.forEach((part, i) => {
    const p = path(c, part.dbName, part.tableName, part.catName ?? catName);
    const key = `${p.catalogName}\u0000${p.databaseName.toLowerCase()}\u0000${p.tableName.toLowerCase()}`;
    const g = groups.get(key) ?? { p, inputs: [] };
    g.inputs.push(partitionIn(part, c.loc, `parts[${i}]`));
    groups.set(key, g);
  });
  const out: Record<string, unknown>[] = [];
  let added = 0;
  for (const g of groups.values()) {
    for (let i = 0; i < g.inputs.length; i += PARTITION_BATCH_MAX) {
      const raw = await c.s.partitions.add(c.caller, g.p, g.inputs.slice(i, i + PARTITION_BATCH_MAX), ifNotExists);
      if (count && raw.count !== undefined) added += raw.count;
      else out.push(...(JSON.parse(raw.text) as Record<string, unknown>[]));
    }
  }
  return count ? added + out.length : out;
}

async function alterPartitions(
  c: Ctx,
  db: string,
  table: string,
  parts: H.Partition[],
  catName?: string | null,
): Promise<void> {
  const p = path(c, db, table, catName);
  const entries = parts.map((part, i) => ({
    partition_values: part.values,
    partition: partitionIn(part, c.loc, `new_parts[${i}]`),
  }));
  for (let i = 0; i < entries.length; i += PARTITION_BATCH_MAX)
    await c.s.partitions.alter(c.caller, p, entries.slice(i, i + PARTITION_BATCH_MAX));
}

async function dropPartition(
  c: Ctx,
  db: string,
  table: string,
  values: string[],
  deleteData: boolean,
): Promise<boolean> {
  await c.s.partitions.drop(c.caller, path(c, db, table), [values], {
    ifExists: false,
    deleteData: Boolean(deleteData),
  });
  return true;
}

/** Partitions. */
export const PARTITION_METHODS: Record<string, MethodEntry> = {
  // partitions
  add_partition: {
    action: 'partition.add',
    run: async (c, a) =>
      partitionOut((await addPartitions(c, [a.new_part], false))[0] as Record<string, unknown>, c.loc),
  },
  add_partition_with_environment_context: {
    action: 'partition.add',
    run: async (c, a) =>
      partitionOut((await addPartitions(c, [a.new_part], false))[0] as Record<string, unknown>, c.loc),
  },
  add_partitions: {
    action: 'partition.add',
    run: (c, a) => addPartitions(c, a.new_parts ?? [], false, undefined, true),
  },
  add_partitions_req: {
    action: 'partition.add',
    run: async (c, a) => {
      const r = a.request as H.AddPartitionsRequest;
      const parts = (r?.parts ?? []).map((p) =>
        Object.assign(p, { dbName: p.dbName || r.dbName, tableName: p.tableName || r.tblName }),
      );
      if (r?.needResult === false) {
        await addPartitions(c, parts, Boolean(r?.ifNotExists), r?.catName, true);
        return new T.AddPartitionsResult({});
      }
      const added = await addPartitions(c, parts, Boolean(r?.ifNotExists), r?.catName);
      return new T.AddPartitionsResult({ partitions: added.map((v) => partitionPlain(v, c.loc)) });
    },
  },
  get_partition: {
    action: 'partition.list',
    run: (c, a) => onePartition(c, path(c, a.db_name, a.tbl_name), a.part_vals ?? []),
  },
  get_partition_with_auth: {
    action: 'partition.list',
    run: (c, a) => onePartition(c, path(c, a.db_name, a.tbl_name), a.part_vals ?? []),
  },
  get_partition_by_name: {
    action: 'partition.list',
    run: (c, a) => onePartition(c, path(c, a.db_name, a.tbl_name), partitionValuesOf(a.part_name)),
  },
  get_partitions: {
    action: 'partition.list',
    encoded: true,
    run: (c, a) => partitions(c, path(c, a.db_name, a.tbl_name), {}, int16(a.max_parts)),
  },
  get_partitions_req: {
    action: 'partition.list',
    encoded: true,
    run: (c, a) => {
      const r = a.req as H.PartitionsRequest;
      return partitions(c, path(c, r?.dbName, r?.tblName, r?.catName), {}, int16(r?.maxParts), true);
    },
  },
  get_partitions_by_names_req: {
    action: 'partition.list',
    encoded: true,
    run: (c, a) => {
      const r = a.req as H.GetPartitionsByNamesRequest;
      return encodedByValues(c, path(c, r?.db_name, r?.tbl_name), (r?.names ?? []).map(partitionValuesOf), true);
    },
  },
  get_partitions_with_auth: {
    action: 'partition.list',
    encoded: true,
    run: (c, a) => partitions(c, path(c, a.db_name, a.tbl_name), {}, int16(a.max_parts)),
  },
  get_partitions_ps: {
    action: 'partition.list',
    encoded: true,
    run: (c, a) => partitions(c, path(c, a.db_name, a.tbl_name), { partial: a.part_vals ?? [] }, int16(a.max_parts)),
  },
  get_partitions_ps_with_auth: {
    action: 'partition.list',
    encoded: true,
    run: (c, a) => partitions(c, path(c, a.db_name, a.tbl_name), { partial: a.part_vals ?? [] }, int16(a.max_parts)),
  },
  get_partitions_ps_with_auth_req: {
    action: 'partition.list',
    encoded: true,
    run: (c, a) => {
      const r = a.req as H.GetPartitionsPsWithAuthRequest;
      const p = path(c, r?.dbName, r?.tblName, r?.catName);
      // Hive 4 names partitions either by (partial) values or by partition names.
      return r?.partNames?.length
        ? encodedByValues(c, p, r.partNames.map(partitionValuesOf), true)
        : partitions(c, p, { partial: r?.partVals ?? [] }, int16(r?.maxParts), true);
    },
  },
  get_partition_names: {
    action: 'partition.list',
    run: (c, a) => partitionNames(c, path(c, a.db_name, a.tbl_name), int16(a.max_parts)),
  },
  get_partition_names_ps: {
    action: 'partition.list',
    run: async (c, a) => {
      const p = path(c, a.db_name, a.tbl_name);
      const partial = (a.part_vals ?? []) as string[];
      if (!partial.some((v) => v !== '' && v !== '*')) return partitionNames(c, p, int16(a.max_parts));
      const keys = (await getTable(c, a.db_name, a.tbl_name)).partitionKeys.map((k) => ({
        name: k.name,
        type: k.type,
      }));
      const names: string[] = [];
      await scan(c, p, { partial }, int16(a.max_parts), (_t, rows) => {
        for (const r of rows) names.push(partitionName(keys, JSON.parse(r.partition_values) as string[]));
      });
      return names;
    },
  },
  get_partitions_by_filter: {
    action: 'partition.list',
    encoded: true,
    run: (c, a) => partitions(c, path(c, a.db_name, a.tbl_name), { filter: a.filter ?? '' }, int16(a.max_parts)),
  },
  get_partitions_by_filter_req: {
    action: 'partition.list',
    encoded: true,
    run: (c, a) => {
      const r = a.req as H.GetPartitionsByFilterRequest;
      return partitions(c, path(c, r?.dbName, r?.tblName, r?.catName), { filter: r?.filter ?? '' }, int16(r?.maxParts));
    },
  },
  get_num_partitions_by_filter: {
    action: 'partition.list',
    run: async (c, a) => {
      let n = 0;
      await scan(
        c,
        path(c, a.db_name, a.tbl_name),
        { filter: a.filter ?? '' },
        Number.POSITIVE_INFINITY,
        (_t, rows) => {
          n += rows.length;
        },
      );
      return n;
    },
  },
  get_partitions_by_names: {
    action: 'partition.list',
    encoded: true,
    run: (c, a) =>
      encodedByValues(c, path(c, a.db_name, a.tbl_name), ((a.names ?? []) as string[]).map(partitionValuesOf)),
  },
  alter_partition: {
    action: 'partition.alter',
    run: (c, a) => alterPartitions(c, a.db_name, a.tbl_name, [a.new_part]),
  },
  alter_partition_with_environment_context: {
    action: 'partition.alter',
    run: (c, a) => alterPartitions(c, a.db_name, a.tbl_name, [a.new_part]),
  },
  alter_partitions: {
    action: 'partition.alter',
    run: (c, a) => alterPartitions(c, a.db_name, a.tbl_name, a.new_parts ?? []),
  },
  alter_partitions_with_environment_context: {
    action: 'partition.alter',
    run: (c, a) => alterPartitions(c, a.db_name, a.tbl_name, a.new_parts ?? []),
  },
  alter_partitions_req: {
    action: 'partition.alter',
    run: async (c, a) => {
      const r = a.req as H.AlterPartitionsRequest;
      await alterPartitions(c, r?.dbName, r?.tableName, r?.partitions ?? [], r?.catName);
      return new T.AlterPartitionsResponse();
    },
  },
  rename_partition: {
    action: 'partition.alter',
    run: async (c, a) => {
      const p = path(c, a.db_name, a.tbl_name);
      await c.s.partitions.alter(c.caller, p, [
        { partition_values: a.part_vals ?? [], partition: partitionIn(a.new_part, c.loc, 'new_part') },
      ]);
    },
  },
  drop_partition: {
    action: 'partition.drop',
    run: (c, a) => dropPartition(c, a.db_name, a.tbl_name, a.part_vals ?? [], a.deleteData),
  },
  drop_partition_with_environment_context: {
    action: 'partition.drop',
    run: (c, a) => dropPartition(c, a.db_name, a.tbl_name, a.part_vals ?? [], a.deleteData),
  },
  drop_partition_by_name: {
    action: 'partition.drop',
    run: (c, a) => dropPartition(c, a.db_name, a.tbl_name, partitionValuesOf(a.part_name), a.deleteData),
  },
  drop_partition_by_name_with_environment_context: {
    action: 'partition.drop',
    run: (c, a) => dropPartition(c, a.db_name, a.tbl_name, partitionValuesOf(a.part_name), a.deleteData),
  },
  partition_name_to_vals: { action: 'service.status', open: true, run: (_c, a) => partitionValuesOf(a.part_name) },
  partition_name_to_spec: {
    action: 'service.status',
    open: true,
    run: (_c, a) => new Map(Object.entries(partitionSpecOf(a.part_name))),
  },
};
