import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// LakeCat databases. The composite foreign key keeps every database under an existing catalog,
// carries catalog renames down to it, and lets an instance's purge remove everything below it.
// Dropping a non-empty catalog through the API is refused by the service, not by this key.
export const migration = (dialect: Dialect) => ({ up: (db: Kysely<unknown>) => up(db, dialect), down });

async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('databases')
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('catalog_name', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('database_type', 'text', (c) => c.notNull())
    .addColumn('external_database_id', 'text')
    .addColumn('connection_name', 'text')
    .addColumn('data_statistic_enable', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('owner_type', 'text', (c) => c.notNull())
    .addColumn('owner_source', 'text', (c) => c.notNull())
    .addColumn('parameters', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('function_locations', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('table_locations', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addPrimaryKeyConstraint('databases_pk', ['instance_id', 'catalog_name', 'name'])
    .addForeignKeyConstraint(
      'databases_catalog_fk',
      ['instance_id', 'catalog_name'],
      'catalogs',
      ['instance_id', 'name'],
      (fk) => fk.onDelete('cascade').onUpdate('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('databases_external_idx')
    .on('databases')
    .columns(['instance_id', 'external_database_id'])
    .execute();
  // Catalogs made before this migration get the `default` database every catalog now has.
  const newId =
    dialect === 'postgres'
      ? sql`md5(random()::text || clock_timestamp()::text || name)`
      : sql`lower(hex(randomblob(16)))`;
  await sql`INSERT INTO databases (id, instance_id, catalog_name, name, description, location, database_type, owner, owner_type,
      owner_source, created_at, updated_at)
    SELECT ${newId}, instance_id, name, 'default', 'Default database', location, 'MANAGED_DATABASE', owner, owner_type,
      owner_source, created_at, created_at FROM catalogs`.execute(db);
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('databases').ifExists().execute();
}
