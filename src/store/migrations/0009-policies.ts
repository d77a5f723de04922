import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

// Grants (LakeCat policies): one row per principal, resource and effect, holding the granted
// permissions. Every change also appends to policy_changes, whose id is the policy version
// engines sync from (Apache Ranger's download model: the whole set, or the deltas since a version).
export function migration(dialect: Dialect) {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('policies')
        .addColumn('id', serial, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
        .addColumn('principal_type', 'text', (c) => c.notNull())
        .addColumn('principal_source', 'text', (c) => c.notNull())
        .addColumn('principal_name', 'text', (c) => c.notNull())
        .addColumn('resource_type', 'text', (c) => c.notNull())
        // Dotted path: catalog[.database[.table|function[.column filter]]], or the URI.
        .addColumn('resource_name', 'text', (c) => c.notNull())
        .addColumn('resource', 'text', (c) => c.notNull())
        .addColumn('effect', 'integer', (c) => c.notNull())
        .addColumn('permissions', 'text', (c) => c.notNull())
        .addColumn('grantable', 'text', (c) => c.notNull())
        .addColumn('condition', 'text')
        .addColumn('data_filter', 'text')
        .addColumn('data_mask', 'text')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('policies_identity_uq', [
          'instance_id',
          'principal_type',
          'principal_source',
          'principal_name',
          'resource_type',
          'resource_name',
          'effect',
        ])
        .execute();
      await db.schema
        .createIndex('policies_resource_idx')
        .on('policies')
        .columns(['instance_id', 'resource_type', 'resource_name'])
        .execute();
      await db.schema
        .createTable('policy_changes')
        .addColumn('id', serial, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
        .addColumn('policy_id', 'integer', (c) => c.notNull())
        // Ranger's change types: 0 created, 1 updated, 2 deleted.
        .addColumn('change_type', 'integer', (c) => c.notNull())
        .addColumn('policy', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('policy_changes_instance_idx')
        .on('policy_changes')
        .columns(['instance_id', 'id'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('policy_changes').ifExists().execute();
      await db.schema.dropTable('policies').ifExists().execute();
    },
  };
}
