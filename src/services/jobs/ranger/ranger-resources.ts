import type { ColumnSpec, ResourceInfo } from '../../governance/policy-service.js';
import { MalformedPolicy, type RangerResource } from './ranger-model.js';

/**
 * The objects a Ranger hive policy names, as lakeform resources, and what its access types
 * become on them.
 *
 * Resources (names lower-cased, as Hive's are). Ranger's `*` wildcard carries over in
 * database, table and udf names; its `?`, its `{USER}` macros and wildcards inside column
 * names have no equivalent (the policy is skipped).
 * - database D, table T, column C (absent: `*`):
 *   T `*` and C `*` → DATABASE D (D `*`: every database of the catalog); C `*` → TABLE D.T;
 *   other columns → COLUMN D.T with filter Include, or Exclude when `isExcludes`.
 * - database D alone → DATABASE D, for create only: Ranger means the database itself, and
 *   lakeform's other database grants also reach its tables.
 * - database D, udf F → FUNC D.F.
 * - url U → URI U, when U is a location lakeform accepts (obs, s3, har, file) and recursive
 *   (lakeform's URI grants always reach below the path).
 * - `isExcludes` on a database, table, udf or url, `global`, `hiveservice`: no equivalent.
 * - several values → one resource per combination, at most MAX_RESOURCES per policy.
 *
 * Access types: select, read → SELECT (EXEC on functions); update → INSERT, UPDATE, DELETE
 * (Hive checks update for every write, truncate included); write → INSERT; drop → DROP;
 * alter → ALTER; all → ALL; on URLs read → READ, write → WRITE. create → CREATE_TABLE on a
 * database-wide resource (plus CREATE_DATABASE on the catalog when the database is `*`),
 * CREATE_FUNC on the database when the udf is `*`; create on named tables or functions cannot
 * be limited to those names and is not imported. index, lock, refresh, repladmin,
 * serviceadmin, tempudfadmin have no equivalent and are not imported.
 */

export const MAX_RESOURCES = 1000;

export type Plan =
  | { kind: 'tables'; databases: string[]; tables: string[]; columns: ColumnSpec | 'all'; databaseOnly: boolean }
  | { kind: 'functions'; databases: string[]; functions: string[] }
  | { kind: 'uris'; uris: string[] };

/** Why a well-formed policy cannot be imported. */
export class Unrepresentable extends Error {}

const OBJECT_NAME = /^[a-z0-9_*\u4e00-\u9fa5]{1,256}$/;
const COLUMN_NAME = /^[a-z0-9_\-+\\(), \u4e00-\u9fa5]{1,767}$/;
const URI = /^(obs|har|s3|file):\/\/.+\/.+$/;
const UNSUPPORTED_ACCESS = new Set(['index', 'lock', 'refresh', 'repladmin', 'serviceadmin', 'tempudfadmin']);
const KNOWN_ACCESS = new Set(['select', 'read', 'update', 'write', 'drop', 'alter', 'create', 'all']);
const TABLE_ACCESS = new Map([
  ['select', ['SELECT']],
  ['read', ['SELECT']],
  ['update', ['INSERT', 'UPDATE', 'DELETE']],
  ['write', ['INSERT']],
  ['drop', ['DROP']],
  ['alter', ['ALTER']],
]);
const FUNCTION_ACCESS = new Map([
  ['select', ['EXEC']],
  ['drop', ['DROP']],
  ['alter', ['ALTER']],
]);
const URI_ACCESS = new Map([
  ['read', ['READ']],
  ['write', ['WRITE']],
]);

function names(what: string, r: RangerResource, valid: RegExp): string[] {
  return [
    ...new Set(
      r.values.map((raw) => {
        const v = raw.toLowerCase();
        if (v.includes('?'))
          throw new Unrepresentable(`${what} ${raw} uses the wildcard ?, which lakeform does not have`);
        if (v.includes('{'))
          throw new Unrepresentable(`${what} ${raw} uses a Ranger macro, which lakeform cannot expand`);
        if (!valid.test(v)) throw new Unrepresentable(`${what} ${raw} is not a name lakeform can grant on`);
        return v;
      }),
    ),
  ];
}

function notExcluded(what: string, r: RangerResource | undefined): void {
  if (r?.isExcludes)
    throw new Unrepresentable(
      `${what} values are excluded (isExcludes): lakeform grants cannot name "all but" ${what}s`,
    );
}

/**
 * The objects of a policy's resources; throws Unrepresentable (or MalformedPolicy for shapes Ranger does not write).
 */
export function planResources(resources: Record<string, RangerResource>): Plan {
  const keys = Object.keys(resources).sort();
  for (const k of ['global', 'hiveservice'])
    if (keys.includes(k)) throw new Unrepresentable(`the ${k} resource has no lakeform equivalent`);
  const { database, table, column, udf, url } = resources;
  const unknown = keys.filter((k) => !['database', 'table', 'column', 'udf', 'url'].includes(k));
  if (unknown.length) throw new MalformedPolicy(`resources has ${unknown.join(', ')}, not a hive resource`);
  if (url) {
    if (keys.length > 1) throw new MalformedPolicy('resources combine url with other resources');
    notExcluded('url', url);
    if (!url.isRecursive)
      throw new Unrepresentable('the url is not recursive, and lakeform URI grants always reach below the path');
    for (const u of url.values) {
      if (!URI.test(u) || u.length > 4000)
        throw new Unrepresentable(
          `url ${u} is not a location lakeform grants on (obs://, s3://, har:// or file:// with a path)`,
        );
      if (u.includes('?') || u.includes('{'))
        throw new Unrepresentable(`url ${u} uses a Ranger wildcard or macro lakeform does not have`);
    }
    return { kind: 'uris', uris: url.values };
  }
  if (!database) throw new MalformedPolicy('resources name no database');
  notExcluded('database', database);
  const databases = names('database', database, OBJECT_NAME);
  if (udf) {
    if (table || column) throw new MalformedPolicy('resources combine udf with table or column');
    notExcluded('udf', udf);
    const functions = names('udf', udf, OBJECT_NAME);
    bound(databases.length * functions.length);
    return { kind: 'functions', databases, functions };
  }
  if (column && !table) throw new MalformedPolicy('resources name a column but no table');
  notExcluded('table', table);
  const tables = table ? names('table', table, OBJECT_NAME) : ['*'];
  bound(databases.length * tables.length);
  return { kind: 'tables', databases, tables, columns: columnSpec(column), databaseOnly: !table };
}

function bound(n: number): void {
  if (n > MAX_RESOURCES)
    throw new Unrepresentable(
      `its values combine into ${n} resources, more than the ${MAX_RESOURCES} one policy may import`,
    );
}

function columnSpec(column: RangerResource | undefined): ColumnSpec | 'all' {
  if (!column) return 'all';
  const all = column.values.includes('*');
  if (all && column.isExcludes) throw new Unrepresentable('it excludes every column (*), so it applies to none');
  if (all) return 'all';
  if (column.values.length > 1000)
    throw new Unrepresentable(`it names ${column.values.length} columns, more than the 1000 a grant takes`);
  for (const c of column.values)
    if (c.includes('*'))
      throw new Unrepresentable(`column ${c} is a pattern; lakeform column grants name columns exactly`);
  return { column_name: names('column', column, COLUMN_NAME), filter: column.isExcludes ? 'Exclude' : 'Include' };
}

/** One grant an item yields on one resource, before principals are attached. */
export interface Target {
  resource: ResourceInfo;
  permissions: string[];
}

const catalogRes = (catalog: string): ResourceInfo => ({ type: 'CATALOG', catalogs: [{ name: catalog }] });
const databaseRes = (catalog: string, d: string): ResourceInfo => ({
  type: 'DATABASE',
  catalogs: [{ name: catalog, databases: [{ name: d }] }],
});

/** Every resource of a plan, in the order of the policy's values. */
export function resourcesOf(
  plan: Plan,
  catalog: string,
): { resource: ResourceInfo; database?: string; wholeDatabase: boolean }[] {
  if (plan.kind === 'uris')
    return plan.uris.map((u) => ({ resource: { type: 'URI', uris: [u] }, wholeDatabase: false }));
  const out = [];
  for (const d of plan.databases) {
    if (plan.kind === 'functions') {
      for (const f of plan.functions)
        out.push({
          resource: { type: 'FUNC', catalogs: [{ name: catalog, databases: [{ name: d, functions: [{ name: f }] }] }] },
          database: d,
          wholeDatabase: f === '*',
        });
      continue;
    }
    for (const t of plan.tables) {
      if (plan.columns === 'all' && t === '*') {
        out.push({ resource: databaseRes(catalog, d), database: d, wholeDatabase: true });
        continue;
      }
      const columns = plan.columns === 'all' ? {} : { columns: plan.columns };
      out.push({
        resource: {
          type: plan.columns === 'all' ? 'TABLE' : 'COLUMN',
          catalogs: [{ name: catalog, databases: [{ name: d, tables: [{ name: t, ...columns }] }] }],
        },
        database: d,
        wholeDatabase: false,
      });
    }
  }
  return out;
}

/**
 * What an item's access types grant on one resource of a plan: the grant on the resource
 * itself, and any CREATE_* grant on its container. Access types that cannot be imported are
 * returned as notes.
 */
export function targetsFor(
  plan: Plan,
  catalog: string,
  r: ReturnType<typeof resourcesOf>[number],
  accesses: string[],
): { targets: Target[]; notes: string[] } {
  const own = new Set<string>();
  const onDatabase = new Set<string>();
  const onCatalog = new Set<string>();
  const notes: string[] = [];
  const where = plan.kind === 'uris' ? 'urls' : plan.kind === 'functions' ? 'functions' : 'tables';
  const simple = plan.kind === 'uris' ? URI_ACCESS : plan.kind === 'functions' ? FUNCTION_ACCESS : TABLE_ACCESS;
  const create = () => {
    if (plan.kind === 'uris') return false;
    if (!r.wholeDatabase)
      notes.push(
        `create on named ${where} cannot be limited to those names in ` +
          `lakeform (it is granted on a database): not imported`,
      );
    else if (plan.kind === 'functions') onDatabase.add('CREATE_FUNC');
    else {
      own.add('CREATE_TABLE');
      if (r.database === '*') onCatalog.add('CREATE_DATABASE');
    }
    return true;
  };
  for (const a of accesses) {
    if (UNSUPPORTED_ACCESS.has(a)) notes.push(`access ${a} has no lakeform equivalent: not imported`);
    else if (plan.kind === 'tables' && plan.databaseOnly && a !== 'create' && KNOWN_ACCESS.has(a)) {
      notes.push(
        `${a} on a database alone (no table resource) ` +
          `${a === 'all' ? 'is imported as its create part' : 'is not imported'}: ` +
          `lakeform's database grants also reach the tables`,
      );
      if (a === 'all') create();
    } else if (a === 'all') {
      own.add('ALL');
      if (r.wholeDatabase && plan.kind === 'functions') onDatabase.add('CREATE_FUNC');
      if (r.wholeDatabase && plan.kind === 'tables' && r.database === '*') onCatalog.add('CREATE_DATABASE');
    } else if (simple.has(a)) for (const p of simple.get(a) as string[]) own.add(p);
    else if (!(a === 'create' && create()))
      notes.push(
        KNOWN_ACCESS.has(a)
          ? `access ${a} has no meaning on ${where} in lakeform: not imported`
          : `unknown access type ${a}: not imported`,
      );
  }
  const sorted = (s: Set<string>) => [...s].sort();
  const targets: Target[] = [];
  if (own.size) targets.push({ resource: r.resource, permissions: sorted(own) });
  if (onDatabase.size && r.database !== undefined)
    targets.push({ resource: databaseRes(catalog, r.database), permissions: sorted(onDatabase) });
  if (onCatalog.size) targets.push({ resource: catalogRes(catalog), permissions: sorted(onCatalog) });
  return { targets, notes };
}
