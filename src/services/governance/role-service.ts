import { randomBytes } from 'node:crypto';
import { appendAudit } from '../../store/governance/audit-repository.js';
import { bumpGovernance } from '../../store/governance/policy-repository.js';
import * as repo from '../../store/governance/role-repository.js';
import { findUserByName } from '../../store/iam/users-repository.js';
import type { RoleMemberRow, RoleRow } from '../../store/schema.js';
import { type Db, nowIso, type Store, type Tx } from '../../store/store.js';
import { Authorizer } from '../authz/authorizer.js';
import { notFound, unlessDuplicate } from '../errors.js';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';
import { keysetPage, type Paging } from '../paging.js';
import type { PolicyService } from './policy-service.js';
import { missingPrincipals, type PrincipalRef } from './principals.js';

type RoleAction =
  | 'role.create'
  | 'role.list'
  | 'role.show'
  | 'role.alter'
  | 'role.drop'
  | 'role.list-members'
  | 'role.grant-members'
  | 'role.list-principals';

export interface RoleRef {
  role_name: string;
  principal_source?: string;
}

/** Roles are LakeCat's own principals: they come from here, not from a directory. */
export { ROLE_SOURCE } from './principals.js';

import { ROLE_SOURCE } from './principals.js';
export const MAX_ROLE_NAMES = 100_000;

const newId = () => randomBytes(16).toString('hex');
const memberKey = (p: PrincipalRef) => `${p.principal_name}/${p.principal_type}/${p.principal_source}`;
const roleView = (r: RoleRow) => ({
  role_name: r.name,
  description: r.description,
  principal_source: r.principal_source,
});
const memberView = (m: RoleMemberRow): PrincipalRef => ({
  principal_name: m.principal_name,
  principal_source: m.principal_source,
  principal_type: m.principal_type,
});

/**
 * Roles of an instance and who holds them. Members are IAM users and groups of the project's
 * domain (checked to exist), users and groups of external directories (SAML, LDAP, LOCAL) by
 * name, and other roles (checked to exist, never in a cycle). Managing roles is for the
 * project's administrators; a user may read their own roles.
 */
export class RoleService {
  private readonly authz: Authorizer;

  constructor(
    private readonly store: Store,
    instances: InstanceService,
    private readonly policies: PolicyService,
  ) {
    this.authz = new Authorizer(store, instances, policies);
  }

  /** The instance of an administrator's action on roles, authorized by its declaration. */
  private async admin(caller: Principal, action: RoleAction, projectId: string, instanceRef: string): Promise<string> {
    return (await this.authz.check(caller, action, { kind: 'instance', projectId, instance: instanceRef })).instance.id;
  }

  private audit(
    q: Db,
    caller: Principal,
    projectId: string,
    instanceId: string,
    action: string,
    resource: string,
    detail?: unknown,
  ) {
    return appendAudit(q, {
      project_id: projectId,
      instance_id: instanceId,
      principal: caller.userName,
      action,
      resource,
      result: 'success',
      detail: detail === undefined ? null : JSON.stringify(detail),
    });
  }

  private async role(q: Db, instanceId: string, name: string): Promise<RoleRow> {
    const r = await repo.findRole(q, instanceId, name.toLowerCase());
    if (!r) throw notFound(`role ${name.toLowerCase()} does not exist`);
    return r;
  }

  async create(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    input: { role_name: string; description?: string },
  ) {
    const instanceId = await this.admin(caller, 'role.create', projectId, instanceRef);
    const now = nowIso();
    const row: RoleRow = {
      id: newId(),
      instance_id: instanceId,
      name: input.role_name.toLowerCase(),
      description: input.description ?? '',
      principal_source: ROLE_SOURCE,
      created_at: now,
      updated_at: now,
    };
    await unlessDuplicate(`role ${row.name} already exists`, () =>
      this.store.transaction(async (trx) => {
        await repo.insertRole(trx, row);
        await this.audit(trx, caller, projectId, instanceId, 'CREATE_ROLE', `role ${row.name}`);
      }),
    );
    return roleView(row);
  }

  async show(caller: Principal, projectId: string, instanceRef: string, name: string) {
    const instanceId = await this.admin(caller, 'role.show', projectId, instanceRef);
    return roleView(await this.role(this.store.db, instanceId, name));
  }

  /** A different role_name renames the role; its members and its own memberships follow. */
  async update(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    name: string,
    input: { role_name: string; description?: string },
  ) {
    const instanceId = await this.admin(caller, 'role.alter', projectId, instanceRef);
    return this.store.transaction(async (trx) => {
      const current = await this.role(trx, instanceId, name);
      const patch = {
        name: input.role_name.toLowerCase(),
        description: input.description ?? current.description,
        updated_at: nowIso(),
      };
      await unlessDuplicate(`role ${patch.name} already exists`, () =>
        repo.updateRole(trx, instanceId, current.name, patch),
      );
      if (patch.name !== current.name) {
        await this.policies.roleRenamed(trx, projectId, instanceId, current.name, patch.name);
        await bumpGovernance(trx, instanceId);
      }
      await this.audit(trx, caller, projectId, instanceId, 'UPDATE_ROLE', `role ${current.name}`, {
        role_name: patch.name,
        description: patch.description,
      });
      return roleView({ ...current, ...patch });
    });
  }

  async delete(caller: Principal, projectId: string, instanceRef: string, name: string): Promise<void> {
    const instanceId = await this.admin(caller, 'role.drop', projectId, instanceRef);
    const gone = await this.store.transaction(async (trx) => {
      if (!(await repo.deleteRole(trx, instanceId, name.toLowerCase()))) return false;
      await this.policies.roleDeleted(trx, projectId, instanceId, name.toLowerCase());
      await bumpGovernance(trx, instanceId);
      await this.audit(trx, caller, projectId, instanceId, 'DELETE_ROLE', `role ${name.toLowerCase()}`);
      return true;
    });
    if (!gone) throw notFound(`role ${name.toLowerCase()} does not exist`);
  }

  async list(caller: Principal, projectId: string, instanceRef: string, q: Paging & { pattern?: string }) {
    const instanceId = await this.admin(caller, 'role.list', projectId, instanceRef);
    return this.pageOfRoles({ instanceId, pattern: q.pattern }, q);
  }

  private async pageOfRoles(f: repo.RoleFilter, p: Paging) {
    const db = this.store.db;
    const page = await keysetPage<RoleRow, string>(p, {
      what: 'a role of this listing',
      locate: async (marker) => (await repo.findRoleById(db, f.instanceId, marker))?.name,
      fetch: (limit, c) => repo.pageRoles(db, f, limit, c),
      exists: (name, side) => repo.roleExistsBeyond(db, f, name, side),
      keyOf: (r) => r.name,
      markerOf: (r) => r.id,
    });
    return { roles: page.rows.map(roleView), page_info: page.info };
  }

  async names(caller: Principal, projectId: string, instanceRef: string): Promise<string[]> {
    const instanceId = await this.admin(caller, 'role.list', projectId, instanceRef);
    return (await repo.listRoleNames(this.store.db, instanceId, MAX_ROLE_NAMES)).map((r) => r.name);
  }

  /**
   * Checks principals before they join a role: directory users and groups must exist, roles too, and no role may
   * contain itself.
   */
  private async checkPrincipals(
    trx: Tx,
    caller: Principal,
    instanceId: string,
    roleName: string,
    principals: PrincipalRef[],
  ): Promise<void> {
    const errors = await missingPrincipals(trx, caller.domainId, instanceId, principals);
    for (const p of principals) {
      const member = p.principal_name.toLowerCase();
      if (
        p.principal_type === 'ROLE' &&
        !errors.some((e) => e === `role ${member} does not exist`) &&
        (await this.reaches(trx, instanceId, roleName, member))
      ) {
        errors.push(`role ${member} would contain role ${roleName}, which contains it: roles may not form a cycle`);
      }
    }
    if (errors.length) throw notFound(`no principal was changed: ${errors.join('; ')}`);
  }

  /** Whether `target` is `from` or a role that (transitively) holds `from` among its members. */
  private async reaches(trx: Tx, instanceId: string, target: string, from: string): Promise<boolean> {
    const seen = new Set<string>();
    const queue = [target];
    while (queue.length) {
      const r = queue.shift() as string;
      if (r === from) return true;
      if (seen.has(r)) continue;
      seen.add(r);
      queue.push(...(await repo.rolesOfMember(trx, instanceId, 'ROLE', r, ROLE_SOURCE)));
    }
    return false;
  }

  private normalized(p: PrincipalRef): PrincipalRef {
    return p.principal_type === 'ROLE'
      ? { ...p, principal_name: p.principal_name.toLowerCase(), principal_source: ROLE_SOURCE }
      : p;
  }

  private memberRows(instanceId: string, roleName: string, principals: PrincipalRef[]): RoleMemberRow[] {
    const now = nowIso();
    return principals.map((p) => ({
      id: newId(),
      instance_id: instanceId,
      role_name: roleName,
      member_key: memberKey(p),
      ...p,
      created_at: now,
    }));
  }

  async addPrincipals(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    roleName: string,
    principals: PrincipalRef[],
  ): Promise<void> {
    const instanceId = await this.admin(caller, 'role.grant-members', projectId, instanceRef);
    const wanted = principals.map((p) => this.normalized(p));
    await this.store.transaction(async (trx) => {
      const role = await this.role(trx, instanceId, roleName);
      await this.checkPrincipals(trx, caller, instanceId, role.name, wanted);
      await repo.addMembers(trx, this.memberRows(instanceId, role.name, wanted));
      await bumpGovernance(trx, instanceId);
      await this.audit(trx, caller, projectId, instanceId, 'GRANT_PRINCIPALS', `role ${role.name}`, wanted);
    });
  }

  async removePrincipals(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    roleName: string,
    principals: PrincipalRef[],
  ): Promise<void> {
    const instanceId = await this.admin(caller, 'role.grant-members', projectId, instanceRef);
    await this.store.transaction(async (trx) => {
      const role = await this.role(trx, instanceId, roleName);
      await repo.removeMembers(
        trx,
        instanceId,
        role.name,
        principals.map((p) => memberKey(this.normalized(p))),
      );
      await bumpGovernance(trx, instanceId);
      await this.audit(trx, caller, projectId, instanceId, 'REVOKE_PRINCIPALS', `role ${role.name}`, principals);
    });
  }

  /** Replaces a role's members with exactly these; returns them. */
  async replacePrincipals(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    roleName: string,
    principals: PrincipalRef[],
  ): Promise<PrincipalRef[]> {
    const instanceId = await this.admin(caller, 'role.grant-members', projectId, instanceRef);
    const wanted = principals.map((p) => this.normalized(p));
    return this.store.transaction(async (trx) => {
      const role = await this.role(trx, instanceId, roleName);
      await this.checkPrincipals(trx, caller, instanceId, role.name, wanted);
      await repo.removeAllMembers(trx, instanceId, role.name);
      await repo.addMembers(trx, this.memberRows(instanceId, role.name, wanted));
      await bumpGovernance(trx, instanceId);
      await this.audit(trx, caller, projectId, instanceId, 'UPDATE_PRINCIPALS', `role ${role.name}`, wanted);
      return (await repo.allMembers(trx, instanceId, role.name)).map(memberView);
    });
  }

  async principals(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    roleName: string,
    q: Paging & { pattern?: string },
  ) {
    const instanceId = await this.admin(caller, 'role.list-members', projectId, instanceRef);
    const role = await this.role(this.store.db, instanceId, roleName);
    const f = { instanceId, roleName: role.name, pattern: q.pattern };
    const db = this.store.db;
    const page = await keysetPage<RoleMemberRow, string>(q, {
      what: 'a principal of this role',
      locate: async (marker) => (await repo.findMemberById(db, f, marker))?.member_key,
      fetch: (limit, c) => repo.pageMembers(db, f, limit, c),
      exists: (key, side) => repo.memberExistsBeyond(db, f, key, side),
      keyOf: (m) => m.member_key,
      markerOf: (m) => m.id,
    });
    return { principals: page.rows.map(memberView), page_info: page.info };
  }

  // A user's roles. The user is named in the path; an IAM user of the domain must exist.

  private async userScope(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    userName: string,
    write: boolean,
  ): Promise<string> {
    const at = { projectId, instance: instanceRef };
    const { instance } = write
      ? await this.authz.check(caller, 'role.grant-to-user', { kind: 'instance', ...at })
      : await this.authz.check(caller, 'role.list-of-user', { kind: 'member', ...at, userName });
    if (!(await findUserByName(this.store.db, caller.domainId, userName)))
      throw notFound(`IAM user ${userName} does not exist`);
    return instance.id;
  }

  private async rolesNamed(trx: Tx, instanceId: string, refs: RoleRef[]): Promise<RoleRow[]> {
    const names = [...new Set(refs.map((r) => r.role_name.toLowerCase()))];
    const found = await repo.findRolesByName(trx, instanceId, names);
    const missing = names.filter((n) => !found.some((r) => r.name === n));
    if (missing.length) throw notFound(`no role was changed: role ${missing.join(', ')} does not exist`);
    return found;
  }

  private userMember(userName: string): PrincipalRef {
    return { principal_name: userName, principal_source: 'IAM', principal_type: 'USER' };
  }

  async userRoles(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    userName: string,
    q: Paging & { pattern?: string },
  ) {
    const instanceId = await this.userScope(caller, projectId, instanceRef, userName, false);
    return this.pageOfRoles(
      { instanceId, pattern: q.pattern, memberName: userName, memberType: 'USER', memberSource: 'IAM' },
      q,
    );
  }

  async grantRoles(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    userName: string,
    refs: RoleRef[],
  ): Promise<void> {
    const instanceId = await this.userScope(caller, projectId, instanceRef, userName, true);
    await this.store.transaction(async (trx) => {
      for (const role of await this.rolesNamed(trx, instanceId, refs))
        await repo.addMembers(trx, this.memberRows(instanceId, role.name, [this.userMember(userName)]));
      await bumpGovernance(trx, instanceId);
      await this.audit(trx, caller, projectId, instanceId, 'GRANT_ROLES', `user ${userName}`, refs);
    });
  }

  async revokeRoles(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    userName: string,
    refs: RoleRef[],
  ): Promise<void> {
    const instanceId = await this.userScope(caller, projectId, instanceRef, userName, true);
    await this.store.transaction(async (trx) => {
      for (const role of await this.rolesNamed(trx, instanceId, refs))
        await repo.removeMembers(trx, instanceId, role.name, [memberKey(this.userMember(userName))]);
      await bumpGovernance(trx, instanceId);
      await this.audit(trx, caller, projectId, instanceId, 'REVOKE_ROLES', `user ${userName}`, refs);
    });
  }

  /** Replaces the user's roles with exactly these; returns them. */
  async replaceRoles(caller: Principal, projectId: string, instanceRef: string, userName: string, refs: RoleRef[]) {
    const instanceId = await this.userScope(caller, projectId, instanceRef, userName, true);
    return this.store.transaction(async (trx) => {
      const wanted = await this.rolesNamed(trx, instanceId, refs);
      await repo.removeMemberEverywhere(
        trx,
        instanceId,
        'USER',
        userName,
        wanted.map((r) => r.name),
      );
      for (const role of wanted)
        await repo.addMembers(trx, this.memberRows(instanceId, role.name, [this.userMember(userName)]));
      await bumpGovernance(trx, instanceId);
      await this.audit(trx, caller, projectId, instanceId, 'UPDATE_ROLES', `user ${userName}`, refs);
      return wanted.map(roleView);
    });
  }

  // The domain's directory, as LakeCat sees it: IAM users and groups.

  async users(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    q: Paging & { source: string; pattern?: string },
  ) {
    await this.admin(caller, 'role.list-principals', projectId, instanceRef);
    if (q.source !== 'IAM') return { users: [], page_info: { current_count: 0 } }; // no external directory is connected
    const db = this.store.db;
    const f = { domainId: caller.domainId, pattern: q.pattern };
    const page = await keysetPage(q, {
      what: 'a user of this domain',
      locate: (marker) => repo.domainUserName(db, caller.domainId, marker),
      fetch: (limit, c) => repo.pageDomainUsers(db, f, limit, c),
      exists: (name, side) => repo.domainUserBeyond(db, f, name, side),
      keyOf: (u) => u.name,
      markerOf: (u) => u.id,
    });
    return {
      users: page.rows.map((u) => ({ user_id: u.id, user_name: u.name, user_source: 'IAM' })),
      page_info: page.info,
    };
  }

  async groups(caller: Principal, projectId: string, instanceRef: string, q: Paging & { source: string }) {
    await this.admin(caller, 'role.list-principals', projectId, instanceRef);
    if (q.source !== 'IAM') return { user_group: [], page_info: { current_count: 0 } };
    const db = this.store.db;
    const page = await keysetPage(q, {
      what: 'a group of this domain',
      locate: (marker) => repo.domainGroupName(db, caller.domainId, marker),
      fetch: (limit, c) => repo.pageDomainGroups(db, caller.domainId, limit, c),
      exists: (name, side) => repo.domainGroupBeyond(db, caller.domainId, name, side),
      keyOf: (g) => g.name,
      markerOf: (g) => g.id,
    });
    return {
      user_group: page.rows.map((g) => ({ group_id: g.id, group_name: g.name, group_source: 'IAM' })),
      page_info: page.info,
    };
  }
}
