import type { Kysely } from 'kysely';

// The metadata recycle bin. A dropped database or table keeps its rows where they are, renamed
// into a per-instance bin catalog no request can name (so partitions, statistics, constraints,
// functions and datasets stay attached by id or by the cascading keys); an entry here records
// what it was, who dropped it and when it goes. Grants on the object leave the live policy set
// (engines stop seeing them) and wait here for a restore. Live lookups never touch these rows:
// the bin catalog is simply another catalog.
export const migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('recycle_bin')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
      // DATABASE or TABLE.
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('catalog_name', 'text', (c) => c.notNull())
      // A table's database; for a database entry, its own name (listings key on (database_name, name)).
      .addColumn('database_name', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      // The id of the dropped table or database row.
      .addColumn('object_id', 'text', (c) => c.notNull())
      // The table type (or database type), and format: listings filter on them.
      .addColumn('object_type', 'text', (c) => c.notNull())
      .addColumn('table_format', 'text')
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('owner_type', 'text', (c) => c.notNull())
      // Whether the drop asked for the data of internal tables to go (done at purge).
      .addColumn('delete_data', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('dropped_at', 'text', (c) => c.notNull())
      .addColumn('dropped_by', 'text', (c) => c.notNull())
      .addColumn('purge_at', 'text', (c) => c.notNull())
      // A purge claims the entry first (a lease), so replicas sharing one store purge it once.
      .addColumn('claimed_by', 'text')
      .addColumn('claimed_at', 'text')
      .execute();
    await db.schema
      .createIndex('recycle_bin_list_idx')
      .on('recycle_bin')
      .columns(['instance_id', 'kind', 'catalog_name', 'database_name', 'name', 'id'])
      .execute();
    await db.schema.createIndex('recycle_bin_purge_idx').on('recycle_bin').columns(['purge_at']).execute();

    await db.schema
      .createTable('recycle_bin_grants')
      .addColumn('entry_id', 'text', (c) => c.notNull().references('recycle_bin.id').onDelete('cascade'))
      .addColumn('principal_type', 'text', (c) => c.notNull())
      .addColumn('principal_name', 'text', (c) => c.notNull())
      .addColumn('effect', 'integer', (c) => c.notNull())
      // The policy row as it was (without its id), for the restore.
      .addColumn('policy', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('recycle_bin_grants_entry_idx')
      .on('recycle_bin_grants')
      .columns(['entry_id'])
      .execute();

    // An instance's retention, when it differs from the server's default.
    await db.schema
      .createTable('recycle_bin_settings')
      .addColumn('instance_id', 'text', (c) => c.primaryKey().references('instances.id').onDelete('cascade'))
      .addColumn('retention_days', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    for (const t of ['recycle_bin_settings', 'recycle_bin_grants', 'recycle_bin'])
      await db.schema.dropTable(t).ifExists().execute();
  },
};
