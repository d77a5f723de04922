import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// Name lookups and Hive name patterns (`LIKE 'prefix%'`) must use an index on both databases.
// PostgreSQL uses a btree for LIKE only under the C collation or with text_pattern_ops, so the
// name columns get pattern indexes there. The table-type index goes: with no statistics yet,
// PostgreSQL may pick it for an exact name lookup and scan a whole database's tables.
export function migration(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('tables_type_idx').execute();
      if (dialect !== 'postgres') return;
      await sql`CREATE INDEX databases_name_pattern_idx ON databases (instance_id, catalog_name, name text_pattern_ops)`.execute(
        db,
      );
      await sql`CREATE INDEX tables_name_pattern_idx ON tables (instance_id, catalog_name, database_name, name text_pattern_ops)`.execute(
        db,
      );
      await sql`CREATE INDEX functions_name_pattern_idx ON functions (instance_id, catalog_name, database_name, name text_pattern_ops)`.execute(
        db,
      );
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') {
        for (const name of ['databases_name_pattern_idx', 'tables_name_pattern_idx', 'functions_name_pattern_idx'])
          await db.schema.dropIndex(name).ifExists().execute();
      }
      await db.schema
        .createIndex('tables_type_idx')
        .on('tables')
        .columns(['instance_id', 'catalog_name', 'database_name', 'table_type', 'name'])
        .execute();
    },
  };
}
