import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// LakeCat datasets (file collections registered under a database) and table constraints.
//
// A dataset hangs off its database as functions do: renames of the database or its catalog
// carry it along, and dropping the database removes it (the service refuses that without
// cascade). Listings go by name within a database, filter by format, and non-administrators
// are shown databases in which they own a dataset: each of those has its index.
//
// A constraint belongs to its table by the table's stable id, so renaming a table carries it
// and dropping the table removes it. A foreign key points at the parent table's primary key or
// unique constraint by id (no action on delete): the database itself then refuses to drop a key,
// or a table, another table's foreign key still references, whatever the service checked. One
// primary key per table is a partial unique index, so two concurrent batches cannot both add one.
export function migration(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('datasets')
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('catalog_name', 'text', (c) => c.notNull())
        .addColumn('database_name', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('storage_type', 'text', (c) => c.notNull())
        .addColumn('format', 'text')
        .addColumn('content_types', 'text')
        .addColumn('location', 'text', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('owner_type', 'text', (c) => c.notNull())
        .addColumn('owner_source', 'text', (c) => c.notNull())
        .addColumn('properties', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
        .addPrimaryKeyConstraint('datasets_pk', ['instance_id', 'catalog_name', 'database_name', 'name'])
        .addForeignKeyConstraint(
          'datasets_database_fk',
          ['instance_id', 'catalog_name', 'database_name'],
          'databases',
          ['instance_id', 'catalog_name', 'name'],
          (fk) => fk.onDelete('cascade').onUpdate('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('datasets_format_idx')
        .on('datasets')
        .columns(['instance_id', 'catalog_name', 'database_name', 'format', 'name'])
        .execute();
      await db.schema
        .createIndex('datasets_owner_idx')
        .on('datasets')
        .columns(['instance_id', 'owner', 'catalog_name', 'database_name'])
        .execute();
      if (dialect === 'postgres') {
        await sql`CREATE INDEX datasets_name_pattern_idx ON datasets (instance_id, catalog_name, database_name, name text_pattern_ops)`.execute(
          db,
        );
      }

      await db.schema
        .createTable('table_constraints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('table_id', 'text', (c) => c.notNull().references('tables.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('constraint_type', 'text', (c) => c.notNull())
        // JSON array of the constrained columns, in key order.
        .addColumn('columns', 'text', (c) => c.notNull())
        .addColumn('parent_constraint_id', 'text', (c) => c.references('table_constraints.id'))
        .addColumn('parent_columns', 'text')
        .addColumn('update_rule', 'integer')
        .addColumn('delete_rule', 'integer')
        .addColumn('check_expression', 'text')
        .addColumn('default_value', 'text')
        .addColumn('enable_constraint', 'integer', (c) => c.notNull())
        .addColumn('validate_constraint', 'integer', (c) => c.notNull())
        .addColumn('rely_constraint', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('table_constraints_name_uq', ['table_id', 'name'])
        .execute();
      await db.schema
        .createIndex('table_constraints_one_primary_key')
        .on('table_constraints')
        .column('table_id')
        .unique()
        .where(sql.ref('constraint_type'), '=', 'PRIMARY_KEY')
        .execute();
      await db.schema
        .createIndex('table_constraints_parent_idx')
        .on('table_constraints')
        .column('parent_constraint_id')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('table_constraints').ifExists().execute();
      await db.schema.dropTable('datasets').ifExists().execute();
    },
  };
}
