import type { Kysely } from 'kysely';

// LakeCat functions, under a database: renames of the database (or its catalog) carry them along,
// and dropping the database removes them (the service refuses that without cascade).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('functions')
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('catalog_name', 'text', (c) => c.notNull())
    .addColumn('database_name', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('class_name', 'text', (c) => c.notNull())
    .addColumn('function_type', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('owner_type', 'text', (c) => c.notNull())
    .addColumn('owner_source', 'text', (c) => c.notNull())
    .addColumn('resource_uris', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addPrimaryKeyConstraint('functions_pk', ['instance_id', 'catalog_name', 'database_name', 'name'])
    .addForeignKeyConstraint(
      'functions_database_fk',
      ['instance_id', 'catalog_name', 'database_name'],
      'databases',
      ['instance_id', 'catalog_name', 'name'],
      (fk) => fk.onDelete('cascade').onUpdate('cascade'),
    )
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('functions').ifExists().execute();
}
