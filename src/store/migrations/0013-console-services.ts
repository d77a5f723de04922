import { type Kysely, sql } from 'kysely';

// The console's account and project services: signed agreements and authorized access
// services per project; agencies and authorized storage locations per account (domain);
// access infos and access clients per instance.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('agreements')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('signed_by', 'text', (c) => c.notNull())
    .addColumn('signed_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('agreements_pk', ['project_id', 'name'])
    .execute();
  await db.schema
    .createTable('access_services')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('granted', 'integer', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('access_services_pk', ['project_id', 'name'])
    .execute();
  await db.schema
    .createTable('agencies')
    .addColumn('domain_id', 'text', (c) => c.notNull())
    .addColumn('agency_type', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('agencies_pk', ['domain_id', 'agency_type'])
    .execute();
  await db.schema
    .createTable('authorized_locations')
    .addColumn('domain_id', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('authorized_locations_pk', ['domain_id', 'location'])
    .execute();
  await db.schema
    .createTable('access_infos')
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('domain', 'text', (c) => c.notNull())
    .addColumn('vpcep_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('access_infos_pk', ['instance_id', 'domain'])
    .execute();
  await db.schema
    .createTable('access_clients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('access_mode', 'text', (c) => c.notNull())
    .addColumn('vpc_id', 'text')
    .addColumn('subnet_id', 'text')
    .addColumn('connections', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    /** When a CREATING client is ready: reads settle it, so every replica agrees without a worker. */
    .addColumn('ready_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  // A vended storage credential: a temporary key that only reaches these storage prefixes.
  await db.schema.alterTable('access_keys').addColumn('storage_scope', 'text').execute();
  await db.schema
    .createIndex('access_clients_name_idx')
    .on('access_clients')
    .columns(['instance_id', 'name'])
    .unique()
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE access_keys DROP COLUMN storage_scope`.execute(db);
  for (const t of [
    'access_clients',
    'access_infos',
    'authorized_locations',
    'agencies',
    'access_services',
    'agreements',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
