import { randomBytes } from 'node:crypto';
import * as repo from '../../store/lakecat/constraint-repository.js';
import { appendEvents } from '../../store/lakecat/event-repository.js';
import { findTableById, lockTable } from '../../store/lakecat/table-repository.js';
import type { TableConstraintRow, TableRow } from '../../store/schema.js';
import { isForeignKeyViolation, isUniqueViolation, nowIso, type Store, type Tx } from '../../store/store.js';
import { conflict, invalid, notFound } from '../errors.js';
import type { Principal } from '../iam/principal.js';
import { some } from './partition-service.js';
import type { Column, TableService } from './table-service.js';

export const CONSTRAINT_NAME = /^[a-zA-Z0-9\u4e00-\u9fa5_]+$/;
export const CONSTRAINT_TYPES = [
  'PRIMARY_KEY',
  'FOREIGN_KEY',
  'NOT_NULL_CSTR',
  'UNIQUE_CSTR',
  'CHECK_CSTR',
  'DEFAULT_CSTR',
] as const;
export type ConstraintType = (typeof CONSTRAINT_TYPES)[number];

/** The list of the request and response that holds each kind. */
export const LIST_OF: Record<ConstraintType, string> = {
  PRIMARY_KEY: 'primary_keys',
  FOREIGN_KEY: 'foreign_keys',
  NOT_NULL_CSTR: 'not_null_constraints',
  UNIQUE_CSTR: 'unique_constraints',
  CHECK_CSTR: 'check_constraints',
  DEFAULT_CSTR: 'default_constraints',
};

interface Flags {
  enable_constraint: boolean;
  validate_constraint: boolean;
  rely_constraint: boolean;
}
export interface PrimaryKeyInput extends Flags {
  column_name: string;
  primary_key_name: string;
  key_sequence?: number;
}
export interface ForeignKeyInput extends Flags {
  parent_key_database_name: string;
  parent_key_table_name: string;
  parent_key_column_name: string;
  parent_key_name: string;
  foreign_key_column_name: string;
  foreign_key_name: string;
  key_sequence: number;
  update_rule: number;
  delete_rule: number;
}
export interface ColumnConstraintInput extends Flags {
  column_name: string;
  constraint_name: string;
  key_sequence?: number;
  check_expression?: string;
  default_value?: string;
}
export interface ConstraintsInput {
  constraint_type?: ConstraintType;
  primary_keys?: PrimaryKeyInput[];
  foreign_keys?: ForeignKeyInput[];
  not_null_constraints?: ColumnConstraintInput[];
  unique_constraints?: ColumnConstraintInput[];
  check_constraints?: ColumnConstraintInput[];
  default_constraints?: ColumnConstraintInput[];
}
export interface TablePath {
  projectId: string;
  instanceRef: string;
  catalogName: string;
  databaseName: string;
  tableName: string;
}

/** One constraint of a batch, its entries (one per column) gathered under its name. */
interface Draft {
  name: string;
  type: ConstraintType;
  flags: Flags;
  /** Columns in key order, and for a foreign key the parent column each one references. */
  columns: string[];
  parentColumns?: string[];
  parent?: { database: string; table: string; keyName: string; row?: TableRow };
  updateRule?: number;
  deleteRule?: number;
  checkExpression?: string;
  defaultValue?: string;
}

/** Hive's constraint kinds as this batch's entries name their fields. */
interface Entry {
  name: string;
  column: string;
  sequence?: number;
  flags: Flags;
  parent?: { database: string; table: string; column: string; keyName: string; updateRule: number; deleteRule: number };
  check?: string;
  default?: string;
}

function entriesOf(input: ConstraintsInput): { type: ConstraintType; entries: Entry[] }[] {
  const flags = (e: Flags): Flags => ({
    enable_constraint: e.enable_constraint,
    validate_constraint: e.validate_constraint,
    rely_constraint: e.rely_constraint,
  });
  const plain = (e: ColumnConstraintInput): Entry => ({
    name: e.constraint_name,
    column: e.column_name,
    sequence: e.key_sequence,
    flags: flags(e),
    check: e.check_expression,
    default: e.default_value,
  });
  return [
    {
      type: 'PRIMARY_KEY',
      entries: (input.primary_keys ?? []).map((e) => ({
        name: e.primary_key_name,
        column: e.column_name,
        sequence: e.key_sequence,
        flags: flags(e),
      })),
    },
    {
      type: 'FOREIGN_KEY',
      entries: (input.foreign_keys ?? []).map((e) => ({
        name: e.foreign_key_name,
        column: e.foreign_key_column_name,
        sequence: e.key_sequence,
        flags: flags(e),
        parent: {
          database: e.parent_key_database_name,
          table: e.parent_key_table_name,
          column: e.parent_key_column_name,
          keyName: e.parent_key_name,
          updateRule: e.update_rule,
          deleteRule: e.delete_rule,
        },
      })),
    },
    { type: 'UNIQUE_CSTR', entries: (input.unique_constraints ?? []).map(plain) },
    { type: 'NOT_NULL_CSTR', entries: (input.not_null_constraints ?? []).map(plain) },
    { type: 'CHECK_CSTR', entries: (input.check_constraints ?? []).map(plain) },
    { type: 'DEFAULT_CSTR', entries: (input.default_constraints ?? []).map(plain) },
  ];
}

/** Kinds that span several columns, one entry each, ordered by key_sequence. */
const MULTI_COLUMN = new Set<ConstraintType>(['PRIMARY_KEY', 'FOREIGN_KEY', 'UNIQUE_CSTR']);

/**
 * Gathers a batch into constraints and checks what needs no table: names used once, one kind
 * and one set of flags per name, key sequences that order the columns, one primary key. Pure.
 */
export function draftsOf(input: ConstraintsInput): Draft[] {
  const kinds = entriesOf(input);
  if (input.constraint_type) {
    const others = kinds
      .filter((k) => k.type !== input.constraint_type && k.entries.length)
      .map((k) => LIST_OF[k.type]);
    if (others.length)
      throw invalid(
        `constraint_type ${input.constraint_type} was given, but the request also fills ${others.join(', ')}`,
      );
  }
  const drafts = new Map<string, Draft & { entries: Entry[] }>();
  for (const { type, entries } of kinds) {
    for (const e of entries) {
      if (!CONSTRAINT_NAME.test(e.name) || [...e.name].length > 256)
        throw invalid(`constraint name '${e.name}' is invalid`);
      const name = e.name.toLowerCase();
      const d = drafts.get(name);
      if (!d) {
        drafts.set(name, { name, type, flags: e.flags, columns: [], entries: [e] });
        continue;
      }
      if (d.type !== type) throw invalid(`constraint ${name} is given as ${d.type} and as ${type}`);
      if (!MULTI_COLUMN.has(type)) throw invalid(`${type} ${name} appears twice in the batch; it takes one column`);
      d.entries.push(e);
    }
  }
  if (drafts.size === 0)
    throw invalid(
      'the request names no constraint: fill primary_keys, ' +
        'foreign_keys, unique_constraints, not_null_constraints, ' +
        'check_constraints or default_constraints',
    );
  const out: Draft[] = [];
  for (const d of drafts.values()) {
    const [first] = d.entries as [Entry];
    const same = (f: (e: Entry) => unknown, what: string) => {
      if (d.entries.some((e) => JSON.stringify(f(e)) !== JSON.stringify(f(first))))
        throw invalid(`the entries of ${d.type} ${d.name} disagree on ${what}`);
    };
    same((e) => e.flags, 'enable_constraint, validate_constraint and rely_constraint');
    if (d.type === 'FOREIGN_KEY') {
      same(
        (e) => [e.parent?.database.toLowerCase(), e.parent?.table.toLowerCase(), e.parent?.keyName.toLowerCase()],
        'the parent database, table and key',
      );
      same((e) => [e.parent?.updateRule, e.parent?.deleteRule], 'update_rule and delete_rule');
    }
    const sequenced = d.entries.filter((e) => e.sequence !== undefined).length;
    if (sequenced !== 0 && sequenced !== d.entries.length)
      throw invalid(`${d.type} ${d.name}: give key_sequence on every entry or on none`);
    const ordered = sequenced
      ? [...d.entries].sort((a, b) => (a.sequence as number) - (b.sequence as number))
      : d.entries;
    if (sequenced && new Set(ordered.map((e) => e.sequence)).size !== ordered.length)
      throw invalid(`${d.type} ${d.name}: a key_sequence appears twice`);
    const columns = ordered.map((e) => e.column);
    if (new Set(columns.map((c) => c.toLowerCase())).size !== columns.length)
      throw invalid(`${d.type} ${d.name} names a column twice`);
    if (d.type === 'CHECK_CSTR' && !first.check?.trim()) throw invalid(`CHECK_CSTR ${d.name} needs a check_expression`);
    if (d.type === 'DEFAULT_CSTR' && first.default === undefined)
      throw invalid(`DEFAULT_CSTR ${d.name} needs a default_value`);
    const p = first.parent;
    out.push({
      name: d.name,
      type: d.type,
      flags: d.flags,
      columns,
      ...(p
        ? {
            parentColumns: ordered.map((e) => e.parent?.column as string),
            parent: {
              database: p.database.toLowerCase(),
              table: p.table.toLowerCase(),
              keyName: p.keyName.toLowerCase(),
            },
            updateRule: p.updateRule,
            deleteRule: p.deleteRule,
          }
        : {}),
      ...(first.check !== undefined ? { checkExpression: first.check } : {}),
      ...(first.default !== undefined ? { defaultValue: first.default } : {}),
    });
  }
  const keys = out.filter((d) => d.type === 'PRIMARY_KEY');
  if (keys.length > 1)
    throw invalid(`a table has one primary key; the request gives ${keys.map((k) => k.name).join(' and ')}`);
  return out;
}

/** A table's columns and partition keys by lower-case name, as the table spells them. */
function columnsOf(table: TableRow): Map<string, string> {
  const d = JSON.parse(table.definition) as { storage_descriptor?: { columns?: Column[] }; partition_keys?: Column[] };
  return new Map(
    [...(d.storage_descriptor?.columns ?? []), ...(d.partition_keys ?? [])].map((c) => [
      c.column_name.toLowerCase(),
      c.column_name,
    ]),
  );
}

/** A constraint as ListConstraints returns it: one entry per column, in key order. */
export function entriesView(c: repo.StoredConstraint): Record<string, unknown>[] {
  const columns = JSON.parse(c.columns) as string[];
  const flags = {
    enable_constraint: c.enable_constraint === 1,
    validate_constraint: c.validate_constraint === 1,
    rely_constraint: c.rely_constraint === 1,
  };
  const own = { table_name: c.table_name };
  switch (c.constraint_type) {
    case 'PRIMARY_KEY':
      return columns.map((column_name, i) => ({
        ...own,
        column_name,
        primary_key_name: c.name,
        key_sequence: i + 1,
        ...flags,
      }));
    case 'FOREIGN_KEY': {
      const parent = JSON.parse(c.parent_columns ?? '[]') as string[];
      return columns.map((column_name, i) => ({
        foreign_key_database_name: c.database_name,
        foreign_key_table_name: c.table_name,
        foreign_key_column_name: column_name,
        foreign_key_name: c.name,
        parent_key_database_name: c.parent_database_name,
        parent_key_table_name: c.parent_table_name,
        parent_key_column_name: parent[i],
        parent_key_name: c.parent_key_name,
        key_sequence: i + 1,
        update_rule: c.update_rule,
        delete_rule: c.delete_rule,
        ...flags,
      }));
    }
    case 'UNIQUE_CSTR':
      return columns.map((column_name, i) => ({
        ...own,
        column_name,
        constraint_name: c.name,
        key_sequence: i + 1,
        ...flags,
      }));
    case 'CHECK_CSTR':
      return columns.map((column_name) => ({
        ...own,
        column_name,
        constraint_name: c.name,
        check_expression: c.check_expression,
        ...flags,
      }));
    case 'DEFAULT_CSTR':
      return columns.map((column_name) => ({
        ...own,
        column_name,
        constraint_name: c.name,
        default_value: c.default_value,
        ...flags,
      }));
    default:
      return columns.map((column_name) => ({ ...own, column_name, constraint_name: c.name, ...flags }));
  }
}

/** The ListConstraints body: the requested kind's list filled, the others empty. */
export function listView(type: ConstraintType, rows: repo.StoredConstraint[]): Record<string, unknown> {
  const out: Record<string, unknown> = { constraint_type: type };
  for (const t of CONSTRAINT_TYPES) out[LIST_OF[t]] = t === type ? rows.flatMap(entriesView) : [];
  return out;
}

/**
 * Hive-style constraints of a table (primary, foreign and unique keys, not-null, check, default): recorded, not
 * enforced on data.
 */
export class ConstraintService {
  constructor(
    private readonly store: Store,
    private readonly tables: TableService,
  ) {}

  /** Runs a constraint write; the table or a referenced key vanishing meanwhile is a 409 to retry, not a 500. */
  private async write<T>(table: TableRow, fn: (trx: Tx) => Promise<T>): Promise<T> {
    try {
      return await this.store.transaction(fn);
    } catch (err) {
      if (isForeignKeyViolation(err))
        throw conflict(`table ${table.name} or a key its constraints reference was changed concurrently; retry`);
      throw err;
    }
  }

  private events(trx: Tx, table: TableRow, type: string, caller: Principal, rows: repo.StoredConstraint[]) {
    const at = nowIso();
    return appendEvents(
      trx,
      rows.map((c) => ({
        instance_id: table.instance_id,
        event_type: type,
        catalog_name: table.catalog_name,
        database_name: table.database_name,
        object_name: `${table.name}/${c.name}`,
        principal: caller.userName,
        created_at: at,
        detail: JSON.stringify({ object: listView(c.constraint_type as ConstraintType, [c]) }),
      })),
    );
  }

  /**
   * BatchCreateConstraint: all of the batch or none. Needs ALTER on the table; a foreign key's parent table must be
   * visible to the caller.
   */
  async create(caller: Principal, p: TablePath, input: ConstraintsInput): Promise<void> {
    const table = await this.tables.authorized(caller, 'constraint.create', p);
    const drafts = draftsOf(input);
    // Parents are found before the transaction: on SQLite a read beside it would wait for it.
    for (const d of drafts) {
      if (!d.parent) continue;
      const same = d.parent.database === table.database_name && d.parent.table === table.name;
      d.parent.row = same
        ? table
        : await this.tables.authorized(caller, 'table.show', {
            ...p,
            databaseName: d.parent.database,
            tableName: d.parent.table,
          });
    }
    await this.write(table, async (trx) => {
      if (!(await lockTable(trx, table.id)))
        throw notFound(`table ${table.name} does not exist in database ${table.database_name}`);
      const current = (await findTableById(
        trx,
        { instanceId: table.instance_id, catalogName: table.catalog_name },
        table.id,
      )) as TableRow;
      const existing = await repo.listConstraints(trx, table.id);
      const taken = drafts.filter((d) => existing.some((e) => e.name === d.name)).map((d) => d.name);
      if (taken.length) throw conflict(`table ${table.name} already has a constraint named ${some(taken)}`);
      const primary = existing.find((e) => e.constraint_type === 'PRIMARY_KEY');
      if (primary && drafts.some((d) => d.type === 'PRIMARY_KEY'))
        throw conflict(`table ${table.name} already has the primary key ${primary.name}; drop it first`);
      const own = columnsOf(current);
      const rows = drafts.map((d) => this.row(d, current.id, own));
      // Keys first: a foreign key of the batch may reference one of them.
      const keyRows = rows.filter((r) => r.constraint_type !== 'FOREIGN_KEY');
      await repo.insertConstraints(trx, keyRows);
      const foreign: TableConstraintRow[] = [];
      for (const d of drafts.filter((x) => x.type === 'FOREIGN_KEY')) {
        const row = rows.find((r) => r.name === d.name) as TableConstraintRow;
        foreign.push(await this.reference(trx, d, row, current));
      }
      await repo.insertConstraints(trx, foreign);
      const names = new Set(drafts.map((d) => d.name));
      const stored = (await repo.listConstraints(trx, table.id)).filter((c) => names.has(c.name));
      await this.events(trx, table, 'CREATE_CONSTRAINT', caller, stored);
    }).catch((err: unknown) => {
      // The checks above saw none of these; a concurrent batch got there first.
      if (isUniqueViolation(err))
        throw conflict(
          `a constraint of the batch was added to table ${table.name} ` +
            `concurrently (a name or the primary key); list them and retry`,
        );
      throw err;
    });
  }

  /** A draft as a row, its columns checked against the table's. */
  private row(d: Draft, tableId: string, own: Map<string, string>): TableConstraintRow {
    const missing = d.columns.filter((c) => !own.has(c.toLowerCase()));
    if (missing.length)
      throw invalid(
        `${d.type} ${d.name}: ${missing.join(', ')} ` +
          `${missing.length > 1 ? 'are not columns' : 'is not a column'} ` +
          `of the table`,
      );
    return {
      id: randomBytes(16).toString('hex'),
      table_id: tableId,
      name: d.name,
      constraint_type: d.type,
      columns: JSON.stringify(d.columns.map((c) => own.get(c.toLowerCase()))),
      parent_constraint_id: null,
      parent_columns: null,
      update_rule: d.updateRule ?? null,
      delete_rule: d.deleteRule ?? null,
      check_expression: d.checkExpression ?? null,
      default_value: d.defaultValue ?? null,
      enable_constraint: d.flags.enable_constraint ? 1 : 0,
      validate_constraint: d.flags.validate_constraint ? 1 : 0,
      rely_constraint: d.flags.rely_constraint ? 1 : 0,
      created_at: nowIso(),
    };
  }

  /**
   * A foreign key references the parent's primary key or a unique constraint over exactly its
   * parent columns, in order (as Hive requires); `parent_key_name`, when given, must name it.
   */
  private async reference(trx: Tx, d: Draft, row: TableConstraintRow, self: TableRow): Promise<TableConstraintRow> {
    const found = d.parent as Required<NonNullable<Draft['parent']>>;
    const parent = { ...found, row: found.row.id === self.id ? self : found.row };
    const theirs = columnsOf(parent.row);
    const missing = (d.parentColumns ?? []).filter((c) => !theirs.has(c.toLowerCase()));
    const where = `${parent.row.database_name}.${parent.row.name}`;
    if (missing.length)
      throw invalid(
        `FOREIGN_KEY ${d.name}: ${missing.join(', ')} ` +
          `${missing.length > 1 ? 'are not columns' : 'is not a column'} ` +
          `of table ${where}`,
      );
    const wanted = (d.parentColumns ?? []).map((c) => c.toLowerCase());
    const keys = (await repo.listConstraints(trx, parent.row.id)).filter(
      (c) => c.constraint_type === 'PRIMARY_KEY' || c.constraint_type === 'UNIQUE_CSTR',
    );
    const columnsOfKey = (k: repo.StoredConstraint) => (JSON.parse(k.columns) as string[]).map((c) => c.toLowerCase());
    const fits = (k: repo.StoredConstraint) => JSON.stringify(columnsOfKey(k)) === JSON.stringify(wanted);
    let key: repo.StoredConstraint | undefined;
    if (parent.keyName) {
      key = keys.find((k) => k.name === parent.keyName);
      if (!key)
        throw invalid(
          `FOREIGN_KEY ${d.name}: table ${where} has no primary key or unique constraint named ${parent.keyName}`,
        );
      if (!fits(key))
        throw invalid(
          `FOREIGN_KEY ${d.name}: key ${key.name} of table ${where} is on ` +
            `(${columnsOfKey(key).join(', ')}), not (${wanted.join(', ')})`,
        );
    } else {
      key = keys
        .filter(fits)
        .sort((a, b) => (a.constraint_type === 'PRIMARY_KEY' ? -1 : b.constraint_type === 'PRIMARY_KEY' ? 1 : 0))[0];
      if (!key)
        throw invalid(
          `FOREIGN_KEY ${d.name}: (${wanted.join(', ')}) of table ${where} ` +
            `is not its primary key or a unique constraint`,
        );
    }
    return {
      ...row,
      parent_constraint_id: key.id,
      parent_columns: JSON.stringify((d.parentColumns ?? []).map((c) => theirs.get(c.toLowerCase()))),
    };
  }

  /**
   * ListConstraints: the constraints of one kind; foreign keys optionally only those into a
   * parent database or table. Needs the table visible; a caller reaching it through column
   * grants only sees the constraints on columns it may read.
   */
  async list(
    caller: Principal,
    p: TablePath,
    q: { type: ConstraintType; parentDatabase?: string; parentTable?: string },
  ) {
    const table = await this.tables.authorized(caller, 'constraint.list', p);
    const rows = await repo.listConstraints(this.store.db, table.id, {
      type: q.type,
      ...(q.type === 'FOREIGN_KEY'
        ? { parentDatabase: q.parentDatabase?.toLowerCase(), parentTable: q.parentTable?.toLowerCase() }
        : {}),
    });
    const readable = await this.tables.readableColumns(caller, table);
    return listView(
      q.type,
      readable === 'all' ? rows : rows.filter((c) => (JSON.parse(c.columns) as string[]).every((x) => readable.has(x))),
    );
  }

  /** DeleteConstraint: needs ALTER on the table; a key another foreign key references stays until that is dropped. */
  async delete(caller: Principal, p: TablePath, name: string): Promise<void> {
    const table = await this.tables.authorized(caller, 'constraint.drop', p);
    const current = name.toLowerCase();
    await this.write(table, async (trx) => {
      if (!(await lockTable(trx, table.id)))
        throw notFound(`table ${table.name} does not exist in database ${table.database_name}`);
      const c = await repo.findConstraint(trx, table.id, current);
      if (!c) throw notFound(`table ${table.name} has no constraint named ${current}`);
      const refs = await repo.foreignKeysOnKey(trx, c.id, 5);
      if (refs.length) {
        throw conflict(
          `${c.constraint_type} ${current} is referenced by ${some(
            refs.map((r) => `foreign key ${r.name} of table ${r.database_name}.${r.table_name}`),
            4,
          )}; drop those first`,
        );
      }
      await repo.deleteBinnedForeignKeysOn(trx, c.id);
      await repo.deleteConstraint(trx, c.id);
      await this.events(trx, table, 'DROP_CONSTRAINT', caller, [c]);
    });
  }
}
