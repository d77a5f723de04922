import type { Kysely } from 'kysely';

// The answers of Iceberg mutations sent with an Idempotency-Key: a success is recorded in the
// transaction of the change itself, so a retry either finds it or finds nothing changed.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('iceberg_idempotency_keys')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('body', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('iceberg_idempotency_keys_pk', ['project_id', 'idempotency_key'])
    .execute();
  await db.schema
    .createIndex('iceberg_idempotency_keys_expiry')
    .on('iceberg_idempotency_keys')
    .column('expires_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('iceberg_idempotency_keys').execute();
}
