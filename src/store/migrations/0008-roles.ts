import type { Kysely } from 'kysely';

// LakeCat roles of an instance, and their members: IAM users and groups of the domain, users
// and groups of external directories by name, and other roles. A member's key
// (name/type/source) is unique within a role and orders its listing.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('roles')
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('principal_source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('roles_pk', ['instance_id', 'name'])
    .execute();
  await db.schema
    .createTable('role_members')
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('role_name', 'text', (c) => c.notNull())
    .addColumn('member_key', 'text', (c) => c.notNull())
    .addColumn('principal_type', 'text', (c) => c.notNull())
    .addColumn('principal_source', 'text', (c) => c.notNull())
    .addColumn('principal_name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('role_members_pk', ['instance_id', 'role_name', 'member_key'])
    .addForeignKeyConstraint(
      'role_members_role_fk',
      ['instance_id', 'role_name'],
      'roles',
      ['instance_id', 'name'],
      (fk) => fk.onDelete('cascade').onUpdate('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('role_members_principal_idx')
    .on('role_members')
    .columns(['instance_id', 'principal_type', 'principal_name', 'role_name'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('role_members').ifExists().execute();
  await db.schema.dropTable('roles').ifExists().execute();
}
