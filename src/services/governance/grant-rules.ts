/**
 * How grants match resources, pure: the index of a caller's grants by resource path, coverage,
 * and the questions the decision and the listings ask of them (permits, explain, what shows).
 * The policy service stores and expands grants; the authorizer's decision reads them here.
 */
import type { StoredPolicy } from '../../store/governance/policy-repository.js';
import type { PrincipalRef } from './principals.js';

export interface ColumnSpec {
  column_name: string[];
  filter: 'Include' | 'Exclude';
}
export interface ResourceInfo {
  type: string;
  catalogs?: {
    name: string;
    databases?: { name: string; tables?: { name: string; columns?: ColumnSpec }[]; functions?: { name: string }[] }[];
  }[];
  uris?: string[];
}
export interface AccessRequest {
  action: string;
  principal: PrincipalRef[];
  resource: {
    resource_type: string;
    catalog?: string;
    database?: string;
    table?: string;
    function?: string;
    column?: string;
    columns?: string[];
    uri?: string;
  };
}

/** A resource an operation addresses, as the decision procedure reads it. */
export type Resource = AccessRequest['resource'];

/** The access rule for an action: 'read' is satisfied by any permission on the object (to see it). */
export type Action = string | 'read';

const patterns = new Map<string, RegExp>();
const wildcard = (pattern: string, value: string): boolean => {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return pattern === value;
  let re = patterns.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    if (patterns.size > 10_000) patterns.clear();
    patterns.set(pattern, re);
  }
  return re.test(value);
};

// Parsed JSON of stored policies, kept as long as the policy objects live (a cached grant set).
const parsedResources = new WeakMap<StoredPolicy, ResourceInfo>();
const parsedPermissions = new WeakMap<StoredPolicy, string[]>();
export const resourceOf = (p: StoredPolicy): ResourceInfo => {
  let r = parsedResources.get(p);
  if (!r) {
    r = JSON.parse(p.resource) as ResourceInfo;
    parsedResources.set(p, r);
  }
  return r;
};
export const permissionsOf = (p: StoredPolicy): string[] => {
  let r = parsedPermissions.get(p);
  if (!r) {
    r = JSON.parse(p.permissions) as string[];
    parsedPermissions.set(p, r);
  }
  return r;
};

/**
 * Policies by resource path (catalog, database, object), exact names in maps and wildcard
 * names in lists, so a decision looks at the few policies that can match, not at all of a
 * user's grants.
 */
interface PathNode {
  here: StoredPolicy[];
  exact: Map<string, PathNode>;
  wild: { pattern: string; node: PathNode }[];
}
const newNode = (): PathNode => ({ here: [], exact: new Map(), wild: [] });
interface GrantIndex {
  root: PathNode;
  uris: StoredPolicy[];
}
const indexes = new WeakMap<StoredPolicy[], GrantIndex>();

function indexOf(policies: StoredPolicy[]): GrantIndex {
  let idx = indexes.get(policies);
  if (idx) return idx;
  idx = { root: newNode(), uris: [] };
  for (const p of policies) {
    if (p.resource_type === 'URI') {
      idx.uris.push(p);
      continue;
    }
    const c = resourceOf(p).catalogs?.[0];
    const d = c?.databases?.[0];
    const o = d?.tables?.[0] ?? d?.functions?.[0];
    let node = idx.root;
    for (const name of [c?.name, d?.name, o?.name]) {
      if (name === undefined) break;
      if (name.includes('*')) {
        let w = node.wild.find((x) => x.pattern === name);
        if (!w) {
          w = { pattern: name, node: newNode() };
          node.wild.push(w);
        }
        node = w.node;
      } else {
        let next = node.exact.get(name);
        if (!next) {
          next = newNode();
          node.exact.set(name, next);
        }
        node = next;
      }
    }
    node.here.push(p);
  }
  indexes.set(policies, idx);
  return idx;
}

/** The policies whose resource path can cover a request's path (the exact checks follow). */
export function candidates(policies: StoredPolicy[], r: AccessRequest['resource']): StoredPolicy[] {
  const idx = indexOf(policies);
  if (r.resource_type === 'URI') return idx.uris;
  const path = [r.catalog, r.database, r.table ?? r.function].map((x) => x?.toLowerCase());
  const out: StoredPolicy[] = [];
  const visit = (node: PathNode, i: number) => {
    out.push(...node.here);
    const name = path[i];
    if (i >= path.length || name === undefined) return;
    const next = node.exact.get(name);
    if (next) visit(next, i + 1);
    for (const w of node.wild) if (wildcard(w.pattern, name)) visit(w.node, i + 1);
  };
  visit(idx.root, 0);
  return out;
}

/**
 * Whether a policy covers a requested resource: a grant on a catalog or database covers what
 * lies beneath it; a table grant covers the table (and its columns); a column grant covers only
 * requests for columns it includes (or does not exclude); a function grant only the function.
 */
export function covers(p: StoredPolicy, req: AccessRequest['resource']): boolean {
  const leaf = resourceOf(p);
  if (p.resource_type === 'URI' || req.resource_type === 'URI') {
    if (p.resource_type !== 'URI' || req.resource_type !== 'URI' || !req.uri) return false;
    const base = (leaf.uris?.[0] ?? '').replace(/\/+$/, '');
    return req.uri === base || req.uri.startsWith(`${base}/`) || wildcard(base, req.uri);
  }
  const c = leaf.catalogs?.[0];
  const d = c?.databases?.[0];
  const t = d?.tables?.[0];
  const f = d?.functions?.[0];
  const want = [req.catalog, req.database, req.table ?? req.function].map((x) => x?.toLowerCase());
  const have = [c?.name, d?.name, t?.name ?? f?.name];
  for (let i = 0; i < 3; i++) {
    if (have[i] === undefined) return true; // a parent grant covers everything below it
    if (want[i] === undefined || !wildcard(have[i] as string, want[i] as string)) return false;
  }
  if (f && req.resource_type !== 'FUNC') return false;
  if (t && req.resource_type === 'FUNC') return false;
  if (p.resource_type !== 'COLUMN') return true;
  const asked = [...(req.columns ?? []), ...(req.column ? [req.column] : [])].map((x) => x.toLowerCase());
  if (req.resource_type !== 'COLUMN' || asked.length === 0) return false;
  const listed = new Set((t?.columns?.column_name ?? []).map((x) => x.toLowerCase()));
  return t?.columns?.filter === 'Exclude' ? asked.every((x) => !listed.has(x)) : asked.every((x) => listed.has(x));
}

export const includes = (perms: string[], action: string) => perms.includes('ALL') || perms.includes(action);

/** Privileges over a catalog or database itself: they let the holder create or list in it, not see its tables. */
const CONTAINER_ONLY = new Set([
  'CREATE_DATABASE',
  'CREATE_TABLE',
  'CREATE_FUNC',
  'LIST_DATABASE',
  'LIST_FUNC',
  'REGISTER_MODEL',
  'LIST_MODEL',
]);
const CATALOG_ONLY = new Set(['CREATE_DATABASE', 'REGISTER_MODEL', 'LIST_MODEL']);
const reachesObjects = (p: StoredPolicy) => permissionsOf(p).some((x) => !CONTAINER_ONLY.has(x));

/**
 * Whether a policy lets its holder see a table or function at all: a column grant on a table
 * does; CREATE_TABLE on its database does not.
 */
function touches(p: StoredPolicy, req: AccessRequest['resource']): boolean {
  if (!reachesObjects(p)) return false;
  if (p.resource_type === 'COLUMN') return covers({ ...p, resource_type: 'TABLE' }, req);
  return covers(p, req);
}

/** Deny overrides allow; 'read' is met by any allowing policy that touches the resource. */
export function permits(policies: StoredPolicy[], action: Action, r: Resource): boolean {
  const near = candidates(policies, r);
  if (action === 'read') return near.some((p) => p.effect === 1 && touches(p, r));
  const matching = near.filter((p) => covers(p, r));
  if (matching.some((p) => p.effect === 0 && includes(permissionsOf(p), action))) return false;
  return matching.some((p) => p.effect === 1 && includes(permissionsOf(p), action));
}

/**
 * The same decision as `permits`, with the grants that made it: the denying grant, or the
 * allowing ones (for 'read', those that touch the resource). Pure: for explanations.
 */
export function explain(
  policies: StoredPolicy[],
  action: Action,
  r: Resource,
): { allowed: boolean; grants: StoredPolicy[] } {
  const near = candidates(policies, r);
  if (action === 'read') {
    const grants = near.filter((p) => p.effect === 1 && touches(p, r));
    return { allowed: grants.length > 0, grants };
  }
  const matching = near.filter((p) => covers(p, r) && includes(permissionsOf(p), action));
  const denied = matching.filter((p) => p.effect === 0);
  if (denied.length) return { allowed: false, grants: denied };
  const grants = matching.filter((p) => p.effect === 1);
  return { allowed: grants.length > 0, grants };
}

/** The allowing grants that reach into a catalog (or one of its databases), as visibleDatabases counts them. */
export function reachingInto(policies: StoredPolicy[], catalog: string, database?: string): StoredPolicy[] {
  return policies.filter((p) => {
    if (p.effect !== 1 || p.resource_type === 'URI') return false;
    const c = resourceOf(p).catalogs?.[0];
    if (!c || !wildcard(c.name, catalog)) return false;
    const d = c.databases?.[0];
    if (!d)
      return (
        permissionsOf(p).some((x) => !CATALOG_ONLY.has(x)) ||
        (database === undefined && p.resource_type === 'CATALOG' && p.resource_name === catalog)
      );
    return database === undefined || wildcard(d.name, database);
  });
}

/**
 * Which columns of a table a caller's grants let it read: all of them when a grant reaches
 * the table itself (or its database or catalog), else those column grants include (or do
 * not exclude). An empty set when nothing reaches it.
 */
export function permitsWholeTable(policies: StoredPolicy[], r: Resource): boolean {
  return candidates(policies, r).some(
    (p) => p.effect === 1 && reachesObjects(p) && p.resource_type !== 'COLUMN' && covers(p, r),
  );
}

export function visibleColumns(policies: StoredPolicy[], r: Resource, columns: string[]): 'all' | Set<string> {
  if (permitsWholeTable(policies, r)) return 'all';
  const near = candidates(policies, r).filter((p) => p.effect === 1 && reachesObjects(p));
  const out = new Set<string>();
  for (const p of near) {
    if (p.resource_type !== 'COLUMN' || !touches(p, r)) continue;
    const spec = resourceOf(p).catalogs?.[0]?.databases?.[0]?.tables?.[0]?.columns;
    const listed = new Set((spec?.column_name ?? []).map((c) => c.toLowerCase()));
    for (const c of columns)
      if (spec?.filter === 'Exclude' ? !listed.has(c.toLowerCase()) : listed.has(c.toLowerCase())) out.add(c);
  }
  return out;
}

/**
 * The tables (or functions) of a catalog the grants let the caller see, as (database, name)
 * patterns (`*` wildcards; an absent part means any): what a listing filters by, in SQL.
 */
export function visibleObjects(
  policies: StoredPolicy[],
  catalog: string,
  kind: 'TABLE' | 'FUNC',
): { database?: string; name?: string }[] {
  const out: { database?: string; name?: string }[] = [];
  for (const p of policies) {
    if (p.effect !== 1 || p.resource_type === 'URI' || !reachesObjects(p)) continue;
    const c = (JSON.parse(p.resource) as ResourceInfo).catalogs?.[0];
    if (!c || !wildcard(c.name, catalog)) continue;
    const d = c.databases?.[0];
    const t = d?.tables?.[0];
    const f = d?.functions?.[0];
    if ((kind === 'TABLE' && f) || (kind === 'FUNC' && t)) continue;
    const o = t ?? f;
    out.push({ ...(d ? { database: d.name } : {}), ...(o ? { name: o.name } : {}) });
  }
  return out;
}

/** Names (patterns) of a catalog's databases that any grant reaches into; 'all' for a grant on the catalog. */
export function visibleDatabases(policies: StoredPolicy[], catalog: string): 'all' | string[] {
  const names: string[] = [];
  for (const p of policies) {
    if (p.effect !== 1 || p.resource_type === 'URI') continue;
    const c = (JSON.parse(p.resource) as ResourceInfo).catalogs?.[0];
    if (!c || !wildcard(c.name, catalog)) continue;
    const d = c.databases?.[0];
    // CREATE_DATABASE on a catalog lets its holder add databases, not see the others.
    if (!d) {
      if ((JSON.parse(p.permissions) as string[]).some((x) => !CATALOG_ONLY.has(x))) return 'all';
      continue;
    }
    names.push(d.name);
  }
  return names;
}

export function seesDatabase(policies: StoredPolicy[], catalog: string, database: string): boolean {
  const v = visibleDatabases(policies, catalog);
  return v === 'all' || v.some((pattern) => wildcard(pattern, database));
}

/** A (catalog, database, table) path of a grant: `*` a wildcard; an absent part and all below it any. */
export interface TableGrantPath {
  catalog?: string;
  database?: string;
  name?: string;
}

/**
 * The grant paths that decide `permits(policies, action, table)` for every table at once: a
 * table is permitted when an `allow` path reaches it and no `deny` path does. As `covers` reads
 * a grant, a path stops at its first absent part; a path naming all three parts covers the table
 * unless it names a function or is a column grant; URI grants cover no table. What a store
 * compiles to SQL.
 */
export function tableGrantPaths(
  policies: StoredPolicy[],
  action: string,
): { allow: TableGrantPath[]; deny: TableGrantPath[] } {
  const allow: TableGrantPath[] = [];
  const deny: TableGrantPath[] = [];
  const seen = new Set<string>();
  for (const p of policies) {
    if (p.resource_type === 'URI' || (p.effect !== 0 && p.effect !== 1)) continue;
    if (!includes(permissionsOf(p), action)) continue;
    const c = resourceOf(p).catalogs?.[0];
    const d = c?.databases?.[0];
    const t = d?.tables?.[0];
    const f = d?.functions?.[0];
    const have = [c?.name, d?.name, t?.name ?? f?.name];
    const cut = have.indexOf(undefined);
    if (cut === -1 && (f || p.resource_type === 'COLUMN')) continue;
    const [catalog, database, name] = cut === -1 ? have : have.slice(0, cut);
    const key = JSON.stringify([p.effect, catalog, database, name]);
    if (seen.has(key)) continue; // many grants share a path
    seen.add(key);
    const path = {
      ...(catalog !== undefined ? { catalog } : {}),
      ...(database !== undefined ? { database } : {}),
      ...(name !== undefined ? { name } : {}),
    };
    (p.effect === 1 ? allow : deny).push(path);
  }
  return { allow, deny };
}
