import type { Kysely } from 'kysely';

// Whether a user owns anything inside a catalog or database decides whether they may list it:
// these indexes answer that with a seek, however many objects others own there.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('databases_owner_idx')
    .on('databases')
    .columns(['instance_id', 'owner', 'catalog_name'])
    .execute();
  await db.schema
    .createIndex('tables_owner_idx')
    .on('tables')
    .columns(['instance_id', 'owner', 'catalog_name', 'database_name'])
    .execute();
  await db.schema
    .createIndex('functions_owner_idx')
    .on('functions')
    .columns(['instance_id', 'owner', 'catalog_name', 'database_name'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of ['databases_owner_idx', 'tables_owner_idx', 'functions_owner_idx'])
    await db.schema.dropIndex(name).ifExists().execute();
}
