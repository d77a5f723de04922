import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// A table's storage location lives in its definition JSON. Which tables lie at or under a path
// (credentials, the recycle bin, withdrawn location authorizations) is a range over this
// expression index instead of a LIKE over every definition. Queries must spell the expression
// exactly so (table-repository.ts, storedLocation); PostgreSQL compares it byte-wise (C).
export function migration(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres')
        await sql`CREATE INDEX tables_location_idx ON tables (instance_id,
          ((definition::json -> 'storage_descriptor' ->> 'location') COLLATE "C"))`.execute(db);
      else
        await sql`CREATE INDEX tables_location_idx ON tables (instance_id,
          json_extract(definition, '$.storage_descriptor.location'))`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('tables_location_idx').ifExists().execute();
    },
  };
}
