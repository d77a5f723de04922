import { LRUCache } from 'lru-cache';
import { appendAudit } from '../../store/governance/audit-repository.js';
import * as repo from '../../store/governance/policy-repository.js';
import { rolesOfMember } from '../../store/governance/role-repository.js';
import { findUserByName, listUserGroups } from '../../store/iam/users-repository.js';
import { findCatalog } from '../../store/lakecat/catalog-repository.js';
import { findDatabase } from '../../store/lakecat/database-repository.js';
import { findFunction } from '../../store/lakecat/function-repository.js';
import { findTable } from '../../store/lakecat/table-repository.js';
import type { PolicyRow } from '../../store/schema.js';
import { type Db, nowIso, type Store, type Tx } from '../../store/store.js';
import { forbidden, invalid, notFound } from '../errors.js';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';
import { keysetPage, type Paging } from '../paging.js';
import { missingPrincipals, type PrincipalRef, ROLE_SOURCE } from './principals.js';

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
export interface PolicyInput {
  principal_list: PrincipalRef[];
  resource: ResourceInfo;
  permissions: string[];
  grant_able_permissions?: string[];
  effect: boolean;
  conditions?: string;
  data_filter?: string;
  data_mask?: string;
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

/** One resource a grant names: a path of names (catalog, database, table or function) or a URI. */
interface Leaf {
  type: string;
  path: string[];
  columns?: ColumnSpec;
  uri?: string;
}

const leafName = (l: Leaf): string =>
  l.uri !== undefined
    ? l.uri
    : `${l.path.join('.')}${
        l.columns
          ? `[${l.columns.filter}:${[...l.columns.column_name]
              .map((c) => c.toLowerCase())
              .sort()
              .join(',')}]`
          : ''
      }`;

function leafResource(l: Leaf): ResourceInfo {
  if (l.uri !== undefined) return { type: 'URI', uris: [l.uri] };
  const [c, d, o] = l.path;
  const object =
    o === undefined
      ? {}
      : l.type === 'FUNC'
        ? { functions: [{ name: o }] }
        : { tables: [{ name: o, ...(l.columns ? { columns: l.columns } : {}) }] };
  return {
    type: l.type,
    catalogs: [{ name: c as string, ...(d === undefined ? {} : { databases: [{ name: d, ...object }] }) }],
  };
}

/** The resources of a grant's tree at the level its type names. */
function leaves(r: ResourceInfo): Leaf[] {
  const out: Leaf[] = [];
  const lower = (s: string) => s.toLowerCase();
  if (r.type === 'URI') {
    if (!r.uris?.length) throw invalid('a URI resource needs uris');
    return r.uris.map((uri) => ({ type: 'URI', path: [], uri }));
  }
  if (r.type === 'MODEL') throw invalid('MODEL resources are not supported: this catalog has no models');
  for (const c of r.catalogs ?? []) {
    if (r.type === 'CATALOG') {
      out.push({ type: 'CATALOG', path: [lower(c.name)] });
      continue;
    }
    for (const d of c.databases ?? []) {
      if (r.type === 'DATABASE') {
        out.push({ type: 'DATABASE', path: [lower(c.name), lower(d.name)] });
        continue;
      }
      if (r.type === 'FUNC') {
        for (const f of d.functions ?? [])
          out.push({ type: 'FUNC', path: [lower(c.name), lower(d.name), lower(f.name)] });
        continue;
      }
      for (const t of d.tables ?? []) {
        if (r.type === 'COLUMN' && !t.columns?.column_name.length)
          throw invalid(`a COLUMN resource needs columns for table ${t.name}`);
        out.push({
          type: r.type,
          path: [lower(c.name), lower(d.name), lower(t.name)],
          ...(r.type === 'COLUMN' ? { columns: t.columns } : {}),
        });
      }
    }
  }
  if (out.length === 0)
    throw invalid(`the resource names no ${r.type.toLowerCase()}: fill catalogs down to the level of its type`);
  return out;
}

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
const parsedResources = new WeakMap<repo.StoredPolicy, ResourceInfo>();
const parsedPermissions = new WeakMap<repo.StoredPolicy, string[]>();
const resourceOf = (p: repo.StoredPolicy): ResourceInfo => {
  let r = parsedResources.get(p);
  if (!r) {
    r = JSON.parse(p.resource) as ResourceInfo;
    parsedResources.set(p, r);
  }
  return r;
};
const permissionsOf = (p: repo.StoredPolicy): string[] => {
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
  here: repo.StoredPolicy[];
  exact: Map<string, PathNode>;
  wild: { pattern: string; node: PathNode }[];
}
const newNode = (): PathNode => ({ here: [], exact: new Map(), wild: [] });
interface GrantIndex {
  root: PathNode;
  uris: repo.StoredPolicy[];
}
const indexes = new WeakMap<repo.StoredPolicy[], GrantIndex>();

function indexOf(policies: repo.StoredPolicy[]): GrantIndex {
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
function candidates(policies: repo.StoredPolicy[], r: AccessRequest['resource']): repo.StoredPolicy[] {
  const idx = indexOf(policies);
  if (r.resource_type === 'URI') return idx.uris;
  const path = [r.catalog, r.database, r.table ?? r.function].map((x) => x?.toLowerCase());
  const out: repo.StoredPolicy[] = [];
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
function covers(p: repo.StoredPolicy, req: AccessRequest['resource']): boolean {
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

const includes = (perms: string[], action: string) => perms.includes('ALL') || perms.includes(action);

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
const reachesObjects = (p: repo.StoredPolicy) => permissionsOf(p).some((x) => !CONTAINER_ONLY.has(x));

/** Whether a policy lets its holder see a table or function at all: a column grant on a table does; CREATE_TABLE on its database does not. */
function touches(p: repo.StoredPolicy, req: AccessRequest['resource']): boolean {
  if (!reachesObjects(p)) return false;
  if (p.resource_type === 'COLUMN') return covers({ ...p, resource_type: 'TABLE' }, req);
  return covers(p, req);
}

/** A policy that decided a check, as check-permission's explanation shows it. */
export interface DecidingPolicy {
  principal_type: string;
  principal_source: string;
  principal_name: string;
  resource_type: string;
  resource_name: string;
  permissions: string[];
  effect: boolean;
}
const decidingView = (p: repo.StoredPolicy): DecidingPolicy => ({
  principal_type: p.principal_type,
  principal_source: p.principal_source,
  principal_name: p.principal_name,
  resource_type: p.resource_type,
  resource_name: p.resource_name,
  permissions: JSON.parse(p.permissions) as string[],
  effect: p.effect === 1,
});
export interface CheckAnswer {
  check_result: boolean;
  error_message?: string;
  deciding_policies?: DecidingPolicy[];
}

/** A resource an operation addresses, as the decision procedure reads it. */
export type Resource = AccessRequest['resource'];

/** The access rule for an action: 'read' is satisfied by any permission on the object (to see it). */
export type Action = string | 'read';

/**
 * Grants (policies) of an instance: grant and revoke, list, the Ranger-style policy download
 * with deltas, and the decision procedure (deny overrides allow; a grant reaches a user directly,
 * through the user's IAM groups, and through roles held by any of them, roles nested in roles).
 */
export class PolicyService {
  constructor(
    private readonly store: Store,
    private readonly instances: InstanceService,
  ) {}

  private async admin(caller: Principal, projectId: string, instanceRef: string): Promise<string> {
    const instance = await this.instances.active(projectId, instanceRef);
    if (!caller.isAdmin)
      throw forbidden('granting, revoking and reading policies needs an administrator of the project');
    return instance.id;
  }

  /**
   * Who may grant (or revoke) on resources: administrators; an object's owner, on it; and
   * anyone holding each permission with grant option on it (or a parent), as Hive's grant
   * option works. Wildcard resources are for administrators only. Returns the instance id.
   */
  private async delegate(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    ls: Leaf[],
    permissions: string[],
    verb: string,
  ): Promise<string> {
    const instance = await this.instances.active(projectId, instanceRef);
    if (caller.isAdmin) return instance.id;
    const grants = await this.effectiveFor(caller, instance.id);
    const db = this.store.db;
    for (const l of ls) {
      if (l.uri !== undefined || l.path.some((n) => n.includes('*')))
        throw forbidden(`to ${verb} on ${leafName(l)} needs an administrator of the project`);
      const [c, d, o] = l.path as [string, string?, string?];
      const s = { instanceId: instance.id, catalogName: c, databaseName: d ?? '' };
      const row =
        o !== undefined && d !== undefined
          ? l.type === 'FUNC'
            ? await findFunction(db, s, o)
            : await findTable(db, s, o)
          : d !== undefined
            ? await findDatabase(db, { instanceId: instance.id, catalogName: c }, d)
            : await findCatalog(db, instance.id, c);
      if (row && row.owner_type === 'USER' && row.owner === caller.userName) continue;
      const r: Resource = {
        resource_type: l.type === 'COLUMN' ? 'COLUMN' : l.type,
        catalog: c,
        database: d,
        ...(l.type === 'FUNC' ? { function: o } : { table: o }),
        ...(l.columns && l.columns.filter === 'Include' ? { columns: l.columns.column_name } : {}),
      };
      const missing = [...new Set(permissions)].filter(
        (x) =>
          !candidates(grants, r).some(
            (p) => p.effect === 1 && covers(p, r) && includes(JSON.parse(p.grantable) as string[], x),
          ),
      );
      if (missing.length)
        throw forbidden(
          `to ${verb} ${missing.join(', ')} on ${leafName(l)} needs an administrator, its owner, or those permissions with grant option`,
        );
    }
    return instance.id;
  }

  /** Checks that named objects exist (wildcards cannot be checked) and that principals exist. */
  private async checkGrant(
    trx: Tx,
    caller: Principal,
    instanceId: string,
    input: PolicyInput,
    ls: Leaf[],
  ): Promise<void> {
    const errors: string[] = [];
    for (const l of ls) {
      if (l.uri !== undefined || l.path.some((n) => n.includes('*'))) continue;
      const [c, d, o] = l.path as [string, string?, string?];
      if (!(await findCatalog(trx, instanceId, c))) {
        errors.push(`catalog ${c} does not exist`);
        continue;
      }
      if (d === undefined) continue;
      if (!(await findDatabase(trx, { instanceId, catalogName: c }, d))) {
        errors.push(`database ${c}.${d} does not exist`);
        continue;
      }
      if (o === undefined) continue;
      const s = { instanceId, catalogName: c, databaseName: d };
      if (l.type === 'FUNC' ? !(await findFunction(trx, s, o)) : !(await findTable(trx, s, o)))
        errors.push(`${l.type === 'FUNC' ? 'function' : 'table'} ${c}.${d}.${o} does not exist`);
    }
    errors.push(...(await missingPrincipals(trx, caller.domainId, instanceId, input.principal_list)));
    if (errors.length) throw notFound(`nothing was granted: ${errors.join('; ')}`);
  }

  private principalOf(p: PrincipalRef): PrincipalRef {
    return p.principal_type === 'ROLE'
      ? { ...p, principal_name: p.principal_name.toLowerCase(), principal_source: 'LOCAL' }
      : p;
  }

  private async change(
    trx: Tx,
    instanceId: string,
    policy: repo.StoredPolicy,
    type: 0 | 1 | 2,
    projectId: string,
  ): Promise<void> {
    await repo.appendPolicyChange(trx, {
      instance_id: instanceId,
      policy_id: policy.id,
      change_type: type,
      policy: JSON.stringify(this.rangerView(policy, projectId)),
      created_at: nowIso(),
    });
  }

  /** Adds the permissions to each principal's policy on each resource (creating it when new); returns the policies as they now stand. */
  async grant(caller: Principal, projectId: string, instanceRef: string, input: PolicyInput) {
    const ls = leaves(input.resource);
    const instanceId = await this.delegate(
      caller,
      projectId,
      instanceRef,
      ls,
      [...input.permissions, ...(input.grant_able_permissions ?? [])],
      'grant',
    );
    if (input.permissions.length === 0) throw invalid('permissions is empty: name what to grant');
    const result = await this.store.transaction(async (trx) => {
      await this.checkGrant(trx, caller, instanceId, input, ls);
      await repo.bumpGovernance(trx, instanceId);
      await this.audit(trx, caller, projectId, instanceId, 'GRANT', ls, input);
      const out: repo.StoredPolicy[] = [];
      const now = nowIso();
      for (const raw of input.principal_list) {
        const p = this.principalOf(raw);
        for (const l of ls) {
          const identity: repo.PolicyIdentity = {
            instance_id: instanceId,
            principal_type: p.principal_type,
            principal_source: p.principal_source,
            principal_name: p.principal_name,
            resource_type: l.type,
            resource_name: leafName(l),
            effect: input.effect ? 1 : 0,
          };
          const existing = await repo.findPolicy(trx, identity);
          const union = (a: string[], b: string[]) => [...new Set([...a, ...b])].sort();
          if (existing) {
            const patch = {
              permissions: JSON.stringify(union(JSON.parse(existing.permissions) as string[], input.permissions)),
              grantable: JSON.stringify(
                union(JSON.parse(existing.grantable) as string[], input.grant_able_permissions ?? []),
              ),
              condition: input.conditions ?? existing.condition,
              data_filter: input.data_filter ?? existing.data_filter,
              data_mask: input.data_mask ?? existing.data_mask,
              updated_at: now,
            };
            await repo.updatePolicy(trx, existing.id, patch);
            const updated = { ...existing, ...patch };
            await this.change(trx, instanceId, updated, 1, projectId);
            out.push(updated);
          } else {
            const row = {
              ...identity,
              resource: JSON.stringify(leafResource(l)),
              permissions: JSON.stringify([...new Set(input.permissions)].sort()),
              grantable: JSON.stringify([...new Set(input.grant_able_permissions ?? [])].sort()),
              condition: input.conditions ?? null,
              data_filter: input.data_filter ?? null,
              data_mask: input.data_mask ?? null,
              created_by: caller.userName,
              created_at: now,
              updated_at: now,
            };
            const created = { ...row, id: await repo.insertPolicy(trx, row) };
            await this.change(trx, instanceId, created, 0, projectId);
            out.push(created);
          }
        }
      }
      return out;
    });
    return { policies: result.map((r) => this.view(r, projectId)), page_info: { current_count: result.length } };
  }

  /** Removes the permissions from each principal's policy on each resource; a policy left with none is deleted. Revoking what was never granted changes nothing. */
  async revoke(caller: Principal, projectId: string, instanceRef: string, input: PolicyInput): Promise<void> {
    const ls = leaves(input.resource);
    const instanceId = await this.delegate(caller, projectId, instanceRef, ls, input.permissions, 'revoke');
    await this.store.transaction(async (trx) => {
      await repo.bumpGovernance(trx, instanceId);
      await this.audit(trx, caller, projectId, instanceId, 'REVOKE', ls, input);
      const now = nowIso();
      for (const raw of input.principal_list) {
        const p = this.principalOf(raw);
        for (const l of ls) {
          const existing = await repo.findPolicy(trx, {
            instance_id: instanceId,
            principal_type: p.principal_type,
            principal_source: p.principal_source,
            principal_name: p.principal_name,
            resource_type: l.type,
            resource_name: leafName(l),
            effect: input.effect ? 1 : 0,
          });
          if (!existing) continue;
          const drop = new Set(
            input.permissions.includes('ALL') ? (JSON.parse(existing.permissions) as string[]) : input.permissions,
          );
          const permissions = (JSON.parse(existing.permissions) as string[]).filter((x) => !drop.has(x));
          const grantable = (JSON.parse(existing.grantable) as string[]).filter(
            (x) => !drop.has(x) && !(input.grant_able_permissions ?? []).includes(x),
          );
          if (permissions.length === 0) {
            await repo.deletePolicy(trx, existing.id);
            await this.change(trx, instanceId, existing, 2, projectId);
          } else {
            const patch = {
              permissions: JSON.stringify(permissions),
              grantable: JSON.stringify(grantable),
              updated_at: now,
            };
            await repo.updatePolicy(trx, existing.id, patch);
            await this.change(trx, instanceId, { ...existing, ...patch }, 1, projectId);
          }
        }
      }
    });
  }

  private audit(
    trx: Tx,
    caller: Principal,
    projectId: string,
    instanceId: string,
    action: string,
    ls: Leaf[],
    input: PolicyInput,
  ) {
    return appendAudit(trx, {
      project_id: projectId,
      instance_id: instanceId,
      principal: caller.userName,
      action,
      resource: ls.map(leafName).join(', ').slice(0, 4000),
      result: 'success',
      detail: JSON.stringify({
        principals: input.principal_list,
        permissions: input.permissions,
        grant_able_permissions: input.grant_able_permissions ?? [],
        effect: input.effect,
      }),
    });
  }

  /** A role was renamed (in this transaction): its grants follow, and engines hear of it. */
  async roleRenamed(trx: Tx, projectId: string, instanceId: string, from: string, to: string): Promise<void> {
    for (const p of await repo.renameRolePrincipal(trx, instanceId, from, to))
      await this.change(trx, instanceId, p, 1, projectId);
  }

  /** A role was deleted (in this transaction): so are its grants. */
  async roleDeleted(trx: Tx, projectId: string, instanceId: string, role: string): Promise<void> {
    for (const p of await repo.deleteRolePolicies(trx, instanceId, role))
      await this.change(trx, instanceId, p, 2, projectId);
  }

  /**
   * An object was dropped into the recycle bin (in this transaction): the grants on it and below
   * leave the live set, engines hear of it, and the rows are returned for the bin to keep.
   */
  async objectDropped(trx: Tx, projectId: string, instanceId: string, path: string[]): Promise<repo.StoredPolicy[]> {
    const on = (await repo.policiesUnder(trx, instanceId, path.join('.'))).filter((p) => {
      if (p.resource_type === 'URI') return false;
      const c = resourceOf(p).catalogs?.[0];
      const d = c?.databases?.[0];
      const o = d?.tables?.[0] ?? d?.functions?.[0];
      const names = [c?.name, d?.name, o?.name].slice(0, path.length);
      return names.every((n, i) => n === path[i]);
    });
    if (!on.length) return [];
    await repo.bumpGovernance(trx, instanceId);
    for (const p of on) {
      await repo.deletePolicy(trx, p.id);
      await this.change(trx, instanceId, p, 2, projectId);
    }
    return on;
  }

  /**
   * A dropped object came back (in this transaction), perhaps renamed: its grants return under
   * the path it has now. A grant made meanwhile on the same principal and resource is kept as is.
   */
  async objectRestored(
    trx: Tx,
    projectId: string,
    instanceId: string,
    from: string[],
    to: string[],
    rows: Omit<PolicyRow, 'id'>[],
  ): Promise<void> {
    if (!rows.length) return;
    await repo.bumpGovernance(trx, instanceId);
    const prefix = from.join('.');
    for (const row of rows) {
      const r = JSON.parse(row.resource) as ResourceInfo;
      const c = r.catalogs?.[0];
      const d = c?.databases?.[0];
      const o = d?.tables?.[0] ?? d?.functions?.[0];
      const named = [c, d, o];
      to.forEach((n, i) => {
        const part = named[i];
        if (part) part.name = n;
      });
      const moved = {
        ...row,
        instance_id: instanceId,
        resource: JSON.stringify(r),
        resource_name: to.join('.') + row.resource_name.slice(prefix.length),
      };
      if (await repo.findPolicy(trx, moved)) continue;
      const id = await repo.insertPolicy(trx, moved);
      await this.change(trx, instanceId, { ...moved, id }, 0, projectId);
    }
  }

  /** The reference's LakeFormationPolicy. */
  view(p: repo.StoredPolicy, projectId: string) {
    const obligation = [
      p.data_filter ? `DATAFILTER:${p.data_filter}` : '',
      p.data_mask ? `DATAMASK:${p.data_mask}` : '',
    ]
      .filter(Boolean)
      .join(';');
    const resource = JSON.parse(p.resource) as ResourceInfo;
    return {
      project_id: projectId,
      instance_id: p.instance_id,
      principal_type: p.principal_type,
      principal_source: p.principal_source,
      principal_name: p.principal_name,
      resource,
      resource_name: p.resource_name,
      permissions: JSON.parse(p.permissions) as string[],
      grant_able_permissions: JSON.parse(p.grantable) as string[],
      created_time: Date.parse(p.created_at),
      ...(p.condition ? { condition: p.condition } : {}),
      ...(obligation ? { obligation } : {}),
      ...(resource.uris ? { authorization_paths: resource.uris } : {}),
      effect: p.effect === 1,
    };
  }

  /** The policy as Apache Ranger models it, for engine plugins (ListPolicy and the sync download). */
  rangerView(p: repo.StoredPolicy, projectId: string) {
    const r = JSON.parse(p.resource) as ResourceInfo;
    const values = (v: string[] | undefined, excludes = false) => ({
      values: v ?? [],
      is_excludes: excludes,
      is_recursive: false,
    });
    const c = r.catalogs?.[0];
    const d = c?.databases?.[0];
    const t = d?.tables?.[0];
    const f = d?.functions?.[0];
    const resources: Record<string, unknown> = r.uris
      ? { url: values(r.uris) }
      : {
          catalog: values([c?.name ?? '*']),
          database: values([d?.name ?? '*']),
          ...(f
            ? { udf: values([f.name]) }
            : {
                table: values([t?.name ?? '*']),
                column: t?.columns ? values(t.columns.column_name, t.columns.filter === 'Exclude') : values(['*']),
              }),
        };
    const who = {
      users: p.principal_type === 'USER' ? [p.principal_name] : [],
      groups: p.principal_type === 'GROUP' ? [p.principal_name] : [],
      roles: p.principal_type === 'ROLE' ? [p.principal_name] : [],
    };
    const item = {
      accesses: (JSON.parse(p.permissions) as string[]).map((type) => ({ type: type.toLowerCase(), is_allowed: true })),
      ...who,
      conditions: [],
      delegate_admin: (JSON.parse(p.grantable) as string[]).length > 0,
    };
    return {
      id: p.id,
      guid: `${p.instance_id}-${p.id}`,
      name: `${p.principal_type.toLowerCase()}:${p.principal_name}@${p.resource_name}`,
      service: `lakeformation-${projectId}`,
      service_type: 'hive',
      is_enabled: true,
      is_audit_enabled: true,
      is_deny_all_else: false,
      is_default_policy: false,
      policy_type: 0,
      policy_priority: 0,
      description: '',
      resources,
      resource_signature: `${p.resource_type}:${p.resource_name}`,
      policy_items: p.effect === 1 ? [item] : [],
      deny_policy_items: p.effect === 1 ? [] : [item],
      allow_exceptions: [],
      deny_exceptions: [],
      // A custom mask is stored as CUSTOM:<expression>; Ranger spells it as a type and a value expression.
      data_mask_policy_items: p.data_mask
        ? [
            {
              ...item,
              data_mask_info: p.data_mask.startsWith('CUSTOM:')
                ? { data_mask_type: 'CUSTOM', value_expr: p.data_mask.slice(7) }
                : { data_mask_type: p.data_mask },
            },
          ]
        : [],
      row_filter_policy_items: p.data_filter ? [{ ...item, row_filter_info: { filter_expr: p.data_filter } }] : [],
      conditions: p.condition ? [{ type: 'expression', values: [p.condition] }] : [],
      policy_labels: [],
      validity_schedules: [],
      options: {},
      created_by: p.created_by,
      updated_by: p.created_by,
      create_time: p.created_at,
      update_time: p.updated_at,
    };
  }

  private pageOf(db: Db, f: repo.PolicyFilter, q: Paging) {
    return keysetPage<repo.StoredPolicy, number>(q, {
      what: 'a policy of this listing',
      locate: async (marker) =>
        /^\d{1,15}$/.test(marker) ? (await repo.findPolicyById(db, f, Number(marker)))?.id : undefined,
      fetch: (limit, c) => repo.pagePolicies(db, f, limit, c),
      exists: (id, side) => repo.policyExistsBeyond(db, f, id, side),
      keyOf: (p) => p.id,
      markerOf: (p) => String(p.id),
    });
  }

  /** ListInterfaces (policies/show): the grants, filtered by principal and resource. */
  async show(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    q: Paging & Omit<repo.PolicyFilter, 'instanceId'>,
  ) {
    const instanceId = await this.admin(caller, projectId, instanceRef);
    const page = await this.pageOf(
      this.store.db,
      {
        ...q,
        instanceId,
        ...(q.principalType === 'ROLE' && q.principalName ? { principalName: q.principalName.toLowerCase() } : {}),
      },
      q,
    );
    return { policies: page.rows.map((r) => this.view(r, projectId)), page_info: page.info };
  }

  /** ListPolicy: the grants as Ranger policies, paged. */
  async list(caller: Principal, projectId: string, instanceRef: string, q: Paging) {
    const instanceId = await this.admin(caller, projectId, instanceRef);
    const page = await this.pageOf(this.store.db, { instanceId }, q);
    return { policies: page.rows.map((r) => this.rangerView(r, projectId)), page_info: page.info };
  }

  /**
   * The policy download: the version, and either every policy or, when the caller supports
   * deltas and knows a version this server still has the changes after, only those changes.
   */
  async sync(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    q: { lastKnownVersion?: number; supportsDeltas: boolean; returnPolicies: boolean },
  ) {
    const instanceId = await this.admin(caller, projectId, instanceRef);
    return this.store.transaction(async (trx) => {
      const version = await repo.policyVersion(trx, instanceId);
      const base = { policy_version: version, policy_updateTime: nowIso() };
      if (q.lastKnownVersion === version) return { ...base, policies: [], policy_deltas: [] };
      if (
        q.supportsDeltas &&
        q.lastKnownVersion !== undefined &&
        q.lastKnownVersion >= 0 &&
        q.lastKnownVersion < version
      ) {
        const changes = await repo.changesSince(trx, instanceId, q.lastKnownVersion);
        return {
          ...base,
          policies: [],
          policy_deltas: changes.map((c) => ({
            change_type: c.change_type,
            policy: { ...JSON.parse(c.policy), version: Number(c.id) },
          })),
        };
      }
      const policies = q.returnPolicies
        ? (await repo.allPolicies(trx, instanceId)).map((p) => this.rangerView(p, projectId))
        : [];
      return { ...base, policies, policy_deltas: [] };
    });
  }

  /** Every principal whose grants reach the given one: itself, its IAM groups (for an IAM user), and the roles holding any of them, transitively. */
  private async expand(db: Db, caller: Principal, instanceId: string, p: PrincipalRef): Promise<repo.PrincipalKey[]> {
    const found = new Map<string, repo.PrincipalKey>();
    const add = (type: string, name: string, source: string) =>
      found.set(`${type}/${source}/${name}`, { type, name, source });
    const role = p.principal_type === 'ROLE';
    const name = role ? p.principal_name.toLowerCase() : p.principal_name;
    add(p.principal_type, name, role ? ROLE_SOURCE : p.principal_source);
    // Only an IAM user has IAM groups; a directory's user is known by its name alone.
    if (p.principal_type === 'USER' && p.principal_source === 'IAM') {
      const user = await findUserByName(db, caller.domainId, name);
      if (user) for (const g of await listUserGroups(db, user.id)) add('GROUP', g.name, 'IAM');
    }
    const queue = [...found.values()];
    while (queue.length) {
      const m = queue.shift() as repo.PrincipalKey;
      for (const r of await rolesOfMember(db, instanceId, m.type, m.name, m.source)) {
        if (found.has(`ROLE/${ROLE_SOURCE}/${r}`)) continue;
        add('ROLE', r, ROLE_SOURCE);
        queue.push({ type: 'ROLE', name: r, source: ROLE_SOURCE });
      }
    }
    return [...found.values()];
  }

  /**
   * Whether the principals may perform the action on the resource: any matching deny refuses;
   * otherwise any matching allow permits. `explain`: with the policies that decided (the deny,
   * or every matching allow), a lakeform extension for consoles showing why.
   */
  private async decide(
    db: Db,
    caller: Principal,
    instanceId: string,
    r: AccessRequest,
    explain: boolean,
  ): Promise<CheckAnswer> {
    const keys = new Map<string, repo.PrincipalKey>();
    for (const p of r.principal)
      for (const k of await this.expand(db, caller, instanceId, p)) keys.set(`${k.type}/${k.source}/${k.name}`, k);
    const policies = (await repo.policiesOf(db, instanceId, [...keys.values()])).filter((p) => covers(p, r.resource));
    const why = (ps: repo.StoredPolicy[]) => (explain ? { deciding_policies: ps.map(decidingView) } : {});
    const denied = policies.find((p) => p.effect === 0 && includes(JSON.parse(p.permissions) as string[], r.action));
    if (denied)
      return {
        check_result: false,
        error_message: `denied by policy ${denied.principal_type.toLowerCase()}:${denied.principal_name}@${denied.resource_name}`,
        ...why([denied]),
      };
    const allowing = policies.filter(
      (p) => p.effect === 1 && includes(JSON.parse(p.permissions) as string[], r.action),
    );
    if (allowing.length) return { check_result: true, ...why(allowing) };
    return {
      check_result: false,
      error_message: `no policy grants ${r.action} on this ${r.resource.resource_type.toLowerCase()}`,
      ...why([]),
    };
  }

  /** The caller's grants (as an IAM user: with its groups and roles) in an instance; cached while the store is unchanged (SQLite). */
  private readonly effectiveCache = new LRUCache<
    string,
    { mark?: string; version: number; policies: repo.StoredPolicy[] }
  >({ max: 10_000 });

  /**
   * Valid while the instance's governance version holds (every grant, role-member and IAM
   * group-member change moves it, in its own transaction, on any replica). On SQLite an
   * unchanged store mark spares even reading the version.
   */
  /** The principals whose grants reach the caller in an instance (itself, its groups, their roles). */
  principalKeys(caller: Principal, instanceId: string): Promise<repo.PrincipalKey[]> {
    return this.expand(this.store.db, caller, instanceId, {
      principal_type: 'USER',
      principal_source: 'IAM',
      principal_name: caller.userName,
    });
  }

  async effectiveFor(caller: Principal, instanceId: string, knownVersion?: number): Promise<repo.StoredPolicy[]> {
    const mark = this.store.changeMark();
    const key = `${instanceId}/${caller.userId}`;
    const hit = this.effectiveCache.get(key);
    if (hit && mark !== undefined && hit.mark === mark) return hit.policies;
    // A caller that has just read the instance row passes its version along: no second read.
    const version = knownVersion ?? (await repo.governanceVersion(this.store.db, instanceId));
    if (hit && hit.version === version) {
      hit.mark = mark;
      return hit.policies;
    }
    const keys = await this.expand(this.store.db, caller, instanceId, {
      principal_type: 'USER',
      principal_source: 'IAM',
      principal_name: caller.userName,
    });
    const policies = await repo.policiesOf(this.store.db, instanceId, keys);
    this.effectiveCache.set(key, { mark, version, policies });
    return policies;
  }

  /** Deny overrides allow; 'read' is met by any allowing policy that touches the resource. */
  static permits(policies: repo.StoredPolicy[], action: Action, r: Resource): boolean {
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
  static explain(
    policies: repo.StoredPolicy[],
    action: Action,
    r: Resource,
  ): { allowed: boolean; grants: repo.StoredPolicy[] } {
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
  static reachingInto(policies: repo.StoredPolicy[], catalog: string, database?: string): repo.StoredPolicy[] {
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
  static permitsWholeTable(policies: repo.StoredPolicy[], r: Resource): boolean {
    return candidates(policies, r).some(
      (p) => p.effect === 1 && reachesObjects(p) && p.resource_type !== 'COLUMN' && covers(p, r),
    );
  }

  static visibleColumns(policies: repo.StoredPolicy[], r: Resource, columns: string[]): 'all' | Set<string> {
    if (PolicyService.permitsWholeTable(policies, r)) return 'all';
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
  static visibleObjects(
    policies: repo.StoredPolicy[],
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
  static visibleDatabases(policies: repo.StoredPolicy[], catalog: string): 'all' | string[] {
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

  static seesDatabase(policies: repo.StoredPolicy[], catalog: string, database: string): boolean {
    const v = PolicyService.visibleDatabases(policies, catalog);
    return v === 'all' || v.some((pattern) => wildcard(pattern, database));
  }

  async check(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    requests: AccessRequest[],
    o: { explain?: boolean } = {},
  ): Promise<CheckAnswer[]> {
    const instanceId = await this.admin(caller, projectId, instanceRef);
    const out = [];
    for (const r of requests) out.push(await this.decide(this.store.db, caller, instanceId, r, o.explain === true));
    return out;
  }
}
