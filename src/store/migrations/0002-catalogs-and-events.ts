import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

// LakeCat catalogs, and the metadata event log every LakeCat change appends to.
export function migration(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('catalogs')
        .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('location', 'text', (c) => c.notNull())
        .addColumn('database_locations', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('owner_type', 'text', (c) => c.notNull())
        .addColumn('owner_source', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
        .addPrimaryKeyConstraint('catalogs_pk', ['instance_id', 'name'])
        .execute();

      // The id orders events; it must grow with every commit, so it comes from the database.
      await db.schema
        .createTable('metadata_events')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('catalog_name', 'text', (c) => c.notNull())
        .addColumn('database_name', 'text')
        .addColumn('object_name', 'text')
        .addColumn('principal', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .execute();
      await db.schema
        .createIndex('metadata_events_instance_idx')
        .on('metadata_events')
        .columns(['instance_id', 'id'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('metadata_events').ifExists().execute();
      await db.schema.dropTable('catalogs').ifExists().execute();
    },
  };
}
