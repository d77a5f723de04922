import { invalid, notFound } from '../services/errors.js';
import type { ColumnStatisticsObject } from '../services/lakecat/statistics-service.js';
import { type Ctx, type MethodEntry, path } from './context.js';
import { statsObjectIn, statsObjectOut } from './convert.js';
import { partitionValuesOf } from './names.js';
import { type HmsTypes as H, num, T } from './runtime.js';

/** Statistics of a table or one partition, from a ColumnStatistics. */
async function setStatistics(c: Ctx, cs: H.ColumnStatistics, merge: boolean): Promise<boolean> {
  const d = cs?.statsDesc;
  if (!d) throw invalid('the statistics need a statsDesc');
  const p = path(c, d.dbName, d.tableName, d.catName);
  const objects = (cs.statsObj ?? []).map((o, i) => statsObjectIn(o, `statsObj[${i}]`));
  const analyzed =
    d.lastAnalyzed !== null && d.lastAnalyzed !== undefined && num(d.lastAnalyzed) > 0
      ? new Date(num(d.lastAnalyzed) * 1000).toISOString()
      : undefined;
  const desc = analyzed ? { last_analyzed_time: analyzed } : {};
  if (d.isTblLevel) {
    await c.s.statistics.setTable(
      c.caller,
      p,
      { column_statistics_desc: desc, column_statistics_objects: objects },
      merge,
    );
  } else {
    if (!d.partName) throw invalid('partition statistics need statsDesc.partName');
    await c.s.statistics.setPartitions(
      c.caller,
      p,
      [
        {
          column_statistics_desc: { ...desc, partition_values: partitionValuesOf(d.partName) },
          column_statistics_objects: objects,
        },
      ],
      merge,
    );
  }
  return true;
}

async function partitionStatistics(
  c: Ctx,
  db: string,
  table: string,
  cols: string[],
  partNames: string[],
  aggregate: boolean,
  catName?: string | null,
) {
  const p = path(c, db, table, catName);
  return c.s.statistics.showPartitions(c.caller, p, {
    columnNames: cols ?? [],
    partitionValues: (partNames ?? []).map(partitionValuesOf),
    aggregate,
  });
}

async function setAll(c: Ctx, r: H.SetPartitionsStatsRequest | undefined): Promise<boolean> {
  for (const cs of r?.colStats ?? []) await setStatistics(c, cs, Boolean(r?.needMerge));
  return true;
}

/** Column statistics of tables and partitions. */
export const STATISTICS_METHODS: Record<string, MethodEntry> = {
  // statistics
  update_table_column_statistics: { action: 'statistics.update', run: (c, a) => setStatistics(c, a.stats_obj, false) },
  update_partition_column_statistics: {
    action: 'statistics.update',
    run: (c, a) => setStatistics(c, a.stats_obj, false),
  },
  set_aggr_stats_for: {
    action: 'statistics.update',
    run: async (c, a) => {
      await setAll(c, a.request);
      return true;
    },
  },
  // Hive 4's forms of the two updates above.
  update_table_column_statistics_req: {
    action: 'statistics.update',
    run: async (c, a) => new T.SetPartitionsStatsResponse({ result: await setAll(c, a.req) }),
  },
  update_partition_column_statistics_req: {
    action: 'statistics.update',
    run: async (c, a) => new T.SetPartitionsStatsResponse({ result: await setAll(c, a.req) }),
  },
  get_table_column_statistics: {
    action: 'statistics.show',
    run: async (c, a) => {
      const p = path(c, a.db_name, a.tbl_name);
      const objs = (await c.s.statistics.listTable(c.caller, p, [a.col_name])) as ColumnStatisticsObject[];
      if (!objs.length) throw notFound(`column ${a.col_name} of table ${a.tbl_name} has no statistics`);
      return new T.ColumnStatistics({
        statsDesc: new T.ColumnStatisticsDesc({ isTblLevel: true, dbName: a.db_name, tableName: a.tbl_name }),
        statsObj: objs.map(statsObjectOut),
      });
    },
  },
  get_partition_column_statistics: {
    action: 'statistics.show',
    run: async (c, a) => {
      const r = await partitionStatistics(c, a.db_name, a.tbl_name, [a.col_name], [a.part_name], false);
      const objs = Object.values(r.column_statistics)[0] ?? [];
      if (!objs.length) throw notFound(`column ${a.col_name} of partition ${a.part_name} has no statistics`);
      return new T.ColumnStatistics({
        statsDesc: new T.ColumnStatisticsDesc({
          isTblLevel: false,
          dbName: a.db_name,
          tableName: a.tbl_name,
          partName: a.part_name,
        }),
        statsObj: objs.map(statsObjectOut),
      });
    },
  },
  get_table_statistics_req: {
    action: 'statistics.show',
    run: async (c, a) => {
      const r = a.request as H.TableStatsRequest;
      const objs = (await c.s.statistics.listTable(
        c.caller,
        path(c, r?.dbName, r?.tblName, r?.catName),
        r?.colNames ?? [],
      )) as ColumnStatisticsObject[];
      return new T.TableStatsResult({ tableStats: objs.map(statsObjectOut) });
    },
  },
  get_partitions_statistics_req: {
    action: 'statistics.show',
    run: async (c, a) => {
      const r = a.request as H.PartitionsStatsRequest;
      const s = await partitionStatistics(c, r?.dbName, r?.tblName, r?.colNames, r?.partNames, false, r?.catName);
      return new T.PartitionsStatsResult({
        partStats: Object.fromEntries(
          Object.entries(s.column_statistics).map(([name, objs]) => [name, objs.map(statsObjectOut)]),
        ),
      });
    },
  },
  get_aggr_stats_for: {
    action: 'statistics.show',
    run: async (c, a) => {
      const r = a.request as H.PartitionsStatsRequest;
      const s = await partitionStatistics(c, r?.dbName, r?.tblName, r?.colNames, r?.partNames, true, r?.catName);
      return new T.AggrStats({
        colStats: (Object.values(s.column_statistics)[0] ?? []).map(statsObjectOut),
        partsFound: s.found_partition_number,
      });
    },
  },
  delete_table_column_statistics: {
    action: 'statistics.delete',
    run: async (c, a) => {
      await c.s.statistics.deleteTable(c.caller, path(c, a.db_name, a.tbl_name), a.col_name || undefined);
      return true;
    },
  },
  delete_partition_column_statistics: {
    action: 'statistics.delete',
    run: async (c, a) => {
      await c.s.statistics.deletePartition(
        c.caller,
        path(c, a.db_name, a.tbl_name),
        partitionValuesOf(a.part_name),
        a.col_name || undefined,
      );
      return true;
    },
  },
};
