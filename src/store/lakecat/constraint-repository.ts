import { sql } from 'kysely';
import type { TableConstraintRow } from '../schema.js';
import type { Db } from '../store.js';
import { BIN_CATALOG } from './recycle-bin-repository.js';

/** A constraint with the names of its table and, for a foreign key, of the key it references. */
export interface StoredConstraint extends TableConstraintRow {
  catalog_name: string;
  database_name: string;
  table_name: string;
  parent_database_name: string | null;
  parent_table_name: string | null;
  parent_key_name: string | null;
}

export interface ConstraintFilter {
  type?: string;
  parentDatabase?: string;
  parentTable?: string;
}

/** Constraints joined to their table and (foreign keys) to the referenced key and its table. */
function joined(q: Db) {
  return q
    .selectFrom('table_constraints as c')
    .innerJoin('tables as t', 't.id', 'c.table_id')
    .leftJoin('table_constraints as k', 'k.id', 'c.parent_constraint_id')
    .leftJoin('tables as kt', 'kt.id', 'k.table_id')
    .selectAll('c')
    .select([
      't.catalog_name',
      't.database_name',
      't.name as table_name',
      'kt.database_name as parent_database_name',
      'kt.name as parent_table_name',
      'k.name as parent_key_name',
    ]);
}

/**
 * A table's constraints in name order, optionally of one type, foreign keys optionally only those into one database or
 * table.
 */
export async function listConstraints(q: Db, tableId: string, f: ConstraintFilter = {}): Promise<StoredConstraint[]> {
  let query = joined(q).where('c.table_id', '=', tableId);
  if (f.type !== undefined) query = query.where('c.constraint_type', '=', f.type);
  if (f.parentDatabase !== undefined) query = query.where('kt.database_name', '=', f.parentDatabase);
  if (f.parentTable !== undefined) query = query.where('kt.name', '=', f.parentTable);
  return (await query.orderBy('c.name').execute()) as StoredConstraint[];
}

export const findConstraint = async (q: Db, tableId: string, name: string): Promise<StoredConstraint | undefined> =>
  (await joined(q).where('c.table_id', '=', tableId).where('c.name', '=', name).executeTakeFirst()) as
    | StoredConstraint
    | undefined;

export async function insertConstraints(q: Db, rows: TableConstraintRow[]): Promise<void> {
  if (rows.length) await q.insertInto('table_constraints').values(rows).execute();
}

export async function deleteConstraint(q: Db, id: string): Promise<boolean> {
  const r = await q.deleteFrom('table_constraints').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** A foreign key of some table that references a key, named for messages. */
export interface Reference {
  name: string;
  database_name: string;
  table_name: string;
}

const referencing = (q: Db) =>
  q
    .selectFrom('table_constraints as fk')
    .innerJoin('table_constraints as k', 'k.id', 'fk.parent_constraint_id')
    .innerJoin('tables as ft', 'ft.id', 'fk.table_id')
    // A dropped table's foreign keys hold nothing live (restore brings back only those whose key still exists).
    .where('ft.catalog_name', '<>', BIN_CATALOG)
    .select(['fk.name', 'ft.database_name', 'ft.name as table_name']);

/** A key goes: the foreign keys of dropped tables (in the recycle bin) that reference it go with it. */
export async function deleteBinnedForeignKeysOn(q: Db, keyId: string): Promise<void> {
  await q
    .deleteFrom('table_constraints')
    .where('parent_constraint_id', '=', keyId)
    .where('table_id', 'in', (eb) => eb.selectFrom('tables').select('id').where('catalog_name', '=', BIN_CATALOG))
    .execute();
}

/** Foreign keys referencing one key (a primary key or unique constraint); the first `cap`. */
export const foreignKeysOnKey = (q: Db, keyId: string, cap: number): Promise<Reference[]> =>
  referencing(q)
    .where('k.id', '=', keyId)
    .orderBy('ft.database_name')
    .orderBy('ft.name')
    .orderBy('fk.name')
    .limit(cap)
    .execute();

/** Foreign keys of other tables referencing a table's keys; the first `cap`. */
export const foreignKeysIntoTable = (q: Db, tableId: string, cap: number): Promise<Reference[]> =>
  referencing(q)
    .where('k.table_id', '=', tableId)
    .where('fk.table_id', '<>', tableId)
    .orderBy('ft.database_name')
    .orderBy('ft.name')
    .orderBy('fk.name')
    .limit(cap)
    .execute();

/** Foreign keys of tables outside a database referencing keys of tables inside it; the first `cap`. */
export const foreignKeysIntoDatabase = (
  q: Db,
  instanceId: string,
  catalog: string,
  database: string,
  cap: number,
): Promise<Reference[]> =>
  referencing(q)
    .innerJoin('tables as kt', 'kt.id', 'k.table_id')
    .where('kt.instance_id', '=', instanceId)
    .where('kt.catalog_name', '=', catalog)
    .where('kt.database_name', '=', database)
    .where(
      sql<boolean>`NOT (ft.instance_id = kt.instance_id AND ft.catalog_name = kt.catalog_name AND
        ft.database_name = kt.database_name)`,
    )
    .orderBy('ft.database_name')
    .orderBy('ft.name')
    .orderBy('fk.name')
    .limit(cap)
    .execute();
