/**
 * The decision, pure: grants + principal + object + requirement → allow or deny, with the
 * grants that decided. No I/O: the resolver gathers the facts (rows, grants, whether the caller
 * owns something inside a container) and the authorizer turns a denial into 404 or 403.
 */
import type { StoredPolicy } from '../../store/governance/policy-repository.js';
import * as rules from '../governance/grant-rules.js';
import type { Principal } from '../iam/principal.js';
import type { ObjectKind, Requirement } from './actions.js';

export interface Owned {
  owner: string;
  owner_type: string;
}

/** The object a decision is about, by its path, with its owner (and its database's, for a dataset). */
export interface ObjectFacts {
  kind: Exclude<ObjectKind, 'instance'>;
  catalog: string;
  database?: string;
  /** The table's, function's or dataset's name. */
  name?: string;
  row: Owned;
  /** The database holding a dataset: its owner manages the dataset too. */
  container?: Owned;
  /** The caller owns something inside this catalog or database (it shows to them); unknown until asked. */
  ownsInside?: boolean;
}

export type Basis = 'administrator' | 'owner' | 'grants' | 'ownership-inside' | 'none';

export interface Decision {
  /** The caller may perform the action. */
  allowed: boolean;
  /** The object shows to the caller: a denial is then a 403 naming `missing`, else a 404. */
  visible: boolean;
  /** The privilege that is missing (the first of those that would do). */
  missing?: string;
  basis: Basis;
  /** The grants that decided: the allowing ones, or the deny that refused. */
  grants: StoredPolicy[];
}

/** Administrators and the owning user may do anything with an object. */
export const manages = (p: Principal, row: Owned): boolean =>
  p.isAdmin || (row.owner_type === 'USER' && row.owner === p.userName);

const RESOURCE_TYPE = {
  catalog: 'CATALOG',
  database: 'DATABASE',
  table: 'TABLE',
  function: 'FUNC',
  dataset: 'DATABASE',
} as const;

/** The resource the grants are matched against: a dataset has no grants of its own, its database's count. */
function resourceOf(o: ObjectFacts) {
  if (o.kind === 'catalog') return { resource_type: 'CATALOG', catalog: o.catalog };
  if (o.kind === 'database' || o.kind === 'dataset')
    return { resource_type: 'DATABASE', catalog: o.catalog, database: o.database };
  if (o.kind === 'function')
    return { resource_type: RESOURCE_TYPE.function, catalog: o.catalog, database: o.database, function: o.name };
  return { resource_type: RESOURCE_TYPE.table, catalog: o.catalog, database: o.database, table: o.name };
}

/** Whether the object shows to the caller, and the grants that show it. */
export function visibility(
  p: Principal,
  o: ObjectFacts,
  grants: StoredPolicy[],
): { visible: boolean; basis: Basis; grants: StoredPolicy[] } {
  if (p.isAdmin) return { visible: true, basis: 'administrator', grants: [] };
  if (manages(p, o.row)) return { visible: true, basis: 'owner', grants: [] };
  if (o.kind === 'table' || o.kind === 'function') {
    const e = rules.explain(grants, 'read', resourceOf(o));
    return { visible: e.allowed, basis: e.allowed ? 'grants' : 'none', grants: e.grants };
  }
  // Catalogs and databases (and so datasets): a grant reaching into them, or something the caller owns inside.
  const target = o.kind === 'dataset' ? (o.container ?? o.row) : o.row;
  if (o.kind === 'dataset' && manages(p, target)) return { visible: true, basis: 'owner', grants: [] };
  const sees =
    o.kind === 'catalog' ? catalogSeen(grants, o.catalog) : rules.seesDatabase(grants, o.catalog, o.database as string);
  if (sees)
    return {
      visible: true,
      basis: 'grants',
      grants: rules.reachingInto(grants, o.catalog, o.kind === 'catalog' ? undefined : o.database),
    };
  if (o.ownsInside) return { visible: true, basis: 'ownership-inside', grants: [] };
  return { visible: false, basis: 'none', grants: [] };
}

/** A catalog shows to a grant reaching into it, or on it (even one to create databases only). */
function catalogSeen(grants: StoredPolicy[], catalog: string): boolean {
  const databases = rules.visibleDatabases(grants, catalog);
  return (
    databases === 'all' ||
    databases.length > 0 ||
    grants.some((g) => g.effect === 1 && g.resource_type === 'CATALOG' && g.resource_name === catalog)
  );
}

/** Whether one of the privileges is granted on the object (or above), with the deciding grants. */
function privileged(
  o: ObjectFacts,
  privileges: readonly string[],
  grants: StoredPolicy[],
): { allowed: boolean; grants: StoredPolicy[] } {
  const r = resourceOf(o);
  let denied: StoredPolicy[] = [];
  for (const x of privileges) {
    const e = rules.explain(grants, x, r);
    if (e.allowed) return e;
    if (e.grants.length) denied = e.grants;
  }
  return { allowed: false, grants: denied };
}

/**
 * Decides a requirement about an object (`see`, `privilege`, `within`, `create`); the kinds
 * that name no object (`admin`, `own`, `authenticated`, `public`) take `decideCaller`.
 */
export function decide(req: Requirement, p: Principal, o: ObjectFacts, grants: StoredPolicy[]): Decision {
  if (req.kind === 'admin' || req.kind === 'own' || req.kind === 'authenticated' || req.kind === 'public') {
    return decideCaller(req, p);
  }
  const v = visibility(p, o, grants);
  if (!v.visible) return { allowed: false, visible: false, basis: 'none', grants: [] };
  if (req.kind === 'see' || req.kind === 'within')
    return { allowed: true, visible: true, basis: v.basis, grants: v.grants };
  const privileges = req.kind === 'create' ? [req.privilege] : req.privileges;
  // Creating in a container is its owner's right; a dataset's owner and its database's owner manage it.
  if (manages(p, o.row) || (o.kind === 'dataset' && o.container && manages(p, o.container))) {
    return { allowed: true, visible: true, basis: p.isAdmin ? 'administrator' : 'owner', grants: [] };
  }
  const e = privileged(o, privileges, grants);
  return e.allowed
    ? { allowed: true, visible: true, basis: 'grants', grants: e.grants }
    : { allowed: false, visible: true, missing: privileges[0], basis: 'none', grants: e.grants };
}

/** What a caller-level decision knows of its object: whose it is and in which domain (absent: the caller's). */
export interface CallerFacts {
  ownerId?: string;
  /** The owner by user name (a member of an instance named in a path). */
  ownerName?: string;
  domainId?: string;
}

/**
 * The requirements that name no LakeCat object: an administrator (of the object's domain), the
 * caller's own object, any caller, anyone. Another's object under `own` with no refusal is invisible.
 */
export function decideCaller(req: Requirement, p: Principal, f: CallerFacts = {}): Decision {
  const yes = (basis: Basis): Decision => ({ allowed: true, visible: true, basis, grants: [] });
  if (req.kind === 'public' || req.kind === 'authenticated') return yes('none');
  if (p.isAdmin && (f.domainId === undefined || f.domainId === p.domainId)) return yes('administrator');
  if (req.kind === 'own' && (f.ownerId === p.userId || f.ownerName === p.userName)) return yes('owner');
  const visible = req.kind !== 'own' || req.refusal !== undefined;
  return { allowed: false, visible, basis: 'none', grants: [] };
}
