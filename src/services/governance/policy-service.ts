import { LRUCache } from 'lru-cache';
import { cacheBound } from '../../memory.js';
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
import { Authorizer } from '../authz/authorizer.js';
import { forbidden, invalid, notFound } from '../errors.js';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';
import { keysetPage, type Paging } from '../paging.js';
import * as rules from './grant-rules.js';
import {
  type AccessRequest,
  type ColumnSpec,
  candidates,
  covers,
  includes,
  type Resource,
  type ResourceInfo,
} from './grant-rules.js';
import { missingPrincipals, type PrincipalRef, ROLE_SOURCE } from './principals.js';

export type { AccessRequest, Action, ColumnSpec, Resource, ResourceInfo } from './grant-rules.js';

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
/**
 * A condition (the reference's example: `ip=127.0.0.1`) needs the context of the access it
 * limits, and no request this server decides on carries one (check-permission names principal,
 * resource and action only): stored, it would allow always. So a grant or revoke naming one is refused.
 */
function refuseConditions(input: PolicyInput): void {
  if (input.conditions !== undefined)
    throw invalid(
      `conditions "${input.conditions.slice(0, 100)}" cannot be ` +
        `evaluated by this server: an access request carries no client ` +
        `address or other context to test it against, so the grant would ` +
        `apply always; grant without conditions, and limit where engines ` +
        `connect from at the network`,
    );
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

/**
 * Grants (policies) of an instance: grant and revoke, list, the Ranger-style policy download
 * with deltas, and the decision procedure (deny overrides allow; a grant reaches a user directly,
 * through the user's IAM groups, and through roles held by any of them, roles nested in roles).
 */
export class PolicyService {
  private readonly authz: Authorizer;

  constructor(
    private readonly store: Store,
    instances: InstanceService,
  ) {
    this.authz = new Authorizer(store, instances, this);
  }

  /** The instance of an administrator's action on policies, authorized by its declaration. */
  private async admin(
    caller: Principal,
    action: 'policy.check' | 'policy.list' | 'policy.sync',
    projectId: string,
    instanceRef: string,
  ): Promise<string> {
    return (await this.authz.check(caller, action, { kind: 'instance', projectId, instance: instanceRef })).instance.id;
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
    verb: 'grant' | 'revoke',
  ): Promise<string> {
    const at = { kind: 'instance', projectId, instance: instanceRef } as const;
    const { instance } = await this.authz.check(caller, verb === 'grant' ? 'policy.grant' : 'policy.revoke', at);
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
          `to ${verb} ${missing.join(', ')} on ${leafName(l)} needs an ` +
            `administrator, its owner, or those permissions with grant option`,
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

  /**
   * Adds the permissions to each principal's policy on each resource (creating it when new); returns the policies as
   * they now stand.
   */
  async grant(caller: Principal, projectId: string, instanceRef: string, input: PolicyInput) {
    refuseConditions(input);
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

  /**
   * Removes the permissions from each principal's policy on each resource; a policy left with none is deleted. Revoking
   * what was never granted changes nothing.
   */
  async revoke(caller: Principal, projectId: string, instanceRef: string, input: PolicyInput): Promise<void> {
    refuseConditions(input);
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
      const c = rules.resourceOf(p).catalogs?.[0];
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
    const instanceId = await this.admin(caller, 'policy.list', projectId, instanceRef);
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
    const instanceId = await this.admin(caller, 'policy.list', projectId, instanceRef);
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
    const instanceId = await this.admin(caller, 'policy.sync', projectId, instanceRef);
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

  /**
   * Every principal whose grants reach the given one: itself, its IAM groups (for an IAM user), and the roles holding
   * any of them, transitively.
   */
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
        error_message:
          `denied by policy ` +
          `${denied.principal_type.toLowerCase()}:${denied.principal_name}@${denied.resource_name}`,
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

  /**
   * The caller's grants (as an IAM user: with its groups and roles) in an instance; cached while the store is unchanged
   * (SQLite).
   */
  private readonly effectiveCache = new LRUCache<
    string,
    { mark?: string; version: number; policies: repo.StoredPolicy[] }
  >({
    max: cacheBound(10_000),
    // Bounded by the grants held too: one caller may have thousands.
    maxSize: cacheBound(200_000),
    sizeCalculation: (e) => e.policies.length + 1,
  });

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

  /**
   * The grants that reach an identity named by its principals together (a user, its groups, its roles), as
   * check-permission reads a principal list.
   */
  async identityPolicies(caller: Principal, instanceId: string, principals: PrincipalRef[]) {
    const keys = new Map<string, repo.PrincipalKey>();
    for (const p of principals)
      for (const k of await this.expand(this.store.db, caller, instanceId, p))
        keys.set(`${k.type}/${k.source}/${k.name}`, k);
    return repo.policiesOf(this.store.db, instanceId, [...keys.values()]);
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

  // The pure grant rules, kept here too for the services that ask them of PolicyService.
  static permits = rules.permits;
  static explain = rules.explain;
  static reachingInto = rules.reachingInto;
  static permitsWholeTable = rules.permitsWholeTable;
  static tableGrantPaths = rules.tableGrantPaths;
  static visibleColumns = rules.visibleColumns;
  static visibleObjects = rules.visibleObjects;
  static visibleDatabases = rules.visibleDatabases;
  static seesDatabase = rules.seesDatabase;

  async check(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    requests: AccessRequest[],
    o: { explain?: boolean } = {},
  ): Promise<CheckAnswer[]> {
    const instanceId = await this.admin(caller, 'policy.check', projectId, instanceRef);
    const out = [];
    for (const r of requests) out.push(await this.decide(this.store.db, caller, instanceId, r, o.explain === true));
    return out;
  }
}
