import type { Kysely } from 'kysely';

// LakeCat tables. The definition (columns, partition keys, storage descriptor, parameters,
// view text, open-format input) is kept as written, as JSON, so it reads back field for field;
// the columns listings filter on are real columns with indexes.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tables')
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('catalog_name', 'text', (c) => c.notNull())
    .addColumn('database_name', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('table_type', 'text', (c) => c.notNull())
    .addColumn('table_format', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('owner_type', 'text', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addPrimaryKeyConstraint('tables_pk', ['instance_id', 'catalog_name', 'database_name', 'name'])
    .addForeignKeyConstraint(
      'tables_database_fk',
      ['instance_id', 'catalog_name', 'database_name'],
      'databases',
      ['instance_id', 'catalog_name', 'name'],
      (fk) => fk.onDelete('cascade').onUpdate('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('tables_type_idx')
    .on('tables')
    .columns(['instance_id', 'catalog_name', 'database_name', 'table_type', 'name'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('tables').ifExists().execute();
}
