import type { Store } from '../../src/store/store.js';

/**
 * Every stored row of an instance's catalog and of what is in it (databases, tables, their kept versions, partitions,
 * statistics and constraints, functions, datasets, recycle bin entries), and the ids of its logged events and Iceberg
 * metrics reports, as one string: a refused call must leave it exactly as it was. Read from the store in a few
 * queries, where the same through the API took about ten requests.
 */
export async function catalogRows(store: Store, instance: string, c: string): Promise<{ text: string; found: Found }> {
  const db = store.db;
  const inCatalog = <T extends 'databases' | 'tables' | 'functions' | 'datasets' | 'recycle_bin'>(t: T) =>
    db
      .selectFrom(t as 'databases')
      .selectAll()
      .where('instance_id', '=', instance)
      .where('catalog_name', '=', c)
      .orderBy('id')
      .execute();
  const idsIn = (t: 'metadata_events' | 'lf_iceberg_metrics_reports') =>
    db
      .selectFrom(t as 'metadata_events')
      .select('id')
      .where('instance_id', '=', instance)
      .where('catalog_name', '=', c)
      .orderBy('id')
      .execute();
  const [catalog, databases, tables, functions, datasets, bin, events, reports] = await Promise.all([
    db.selectFrom('catalogs').selectAll().where('instance_id', '=', instance).where('name', '=', c).execute(),
    inCatalog('databases'),
    inCatalog('tables'),
    inCatalog('functions'),
    inCatalog('datasets'),
    inCatalog('recycle_bin'),
    idsIn('metadata_events'),
    idsIn('lf_iceberg_metrics_reports'),
  ]);
  const ids = tables.map((t) => t.id);
  const ofTables = ids.length
    ? await Promise.all([
        db
          .selectFrom('table_versions')
          .selectAll()
          .where('table_id', 'in', ids)
          .orderBy('table_id')
          .orderBy('version')
          .execute(),
        db.selectFrom('partitions').selectAll().where('table_id', 'in', ids).orderBy('id').execute(),
        db
          .selectFrom('partition_values')
          .selectAll()
          .where('table_id', 'in', ids)
          .orderBy('partition_id')
          .orderBy('key_index')
          .execute(),
        db.selectFrom('table_constraints').selectAll().where('table_id', 'in', ids).orderBy('id').execute(),
        db
          .selectFrom('table_column_statistics')
          .selectAll()
          .where('table_id', 'in', ids)
          .orderBy('table_id')
          .orderBy('column_name')
          .execute(),
        db
          .selectFrom('partition_column_statistics')
          .selectAll()
          .where('table_id', 'in', ids)
          .orderBy('partition_id')
          .orderBy('column_name')
          .execute(),
      ])
    : [];
  return {
    text: JSON.stringify({ catalog, databases, tables, functions, datasets, bin, ofTables, events, reports }),
    found: { catalogs: catalog.length, databases: databases.length },
  };
}

/** How much was found: a snapshot of nothing would compare equal to anything. */
export interface Found {
  catalogs: number;
  databases: number;
}
