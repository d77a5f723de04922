import { randomBytes } from 'node:crypto';
import { bumpGovernanceOfDomain } from '../../store/governance/policy-repository.js';
import * as projectsRepo from '../../store/iam/projects-repository.js';
import { deleteUserTokens } from '../../store/iam/tokens-repository.js';
import * as usersRepo from '../../store/iam/users-repository.js';
import type { GroupRow, ProjectRow, UserRow } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { isUniqueViolation, nowIso } from '../../store/store.js';
import { Authorizer } from '../authz/authorizer.js';
import { conflict, invalid, notFound, unlessDuplicate } from '../errors.js';
import { DEFAULT_PASSWORD_HASH_COST, hashPassword, newHexId } from './crypto-util.js';
import { ADMIN_GROUP, type Principal } from './principal.js';

export const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export function checkPassword(password: string, userName: string): void {
  const len = [...password].length;
  if (len < 8 || len > 128) throw invalid('password must be 8 to 128 characters long');
  if (password.toLowerCase() === userName.toLowerCase()) throw invalid('password must differ from the user name');
}

function checkName(kind: string, name: string): void {
  if (!NAME_PATTERN.test(name))
    throw invalid(`${kind} name '${name}' is invalid: use 1 to 64 letters, digits, '_', '-' or '.'`);
}

export interface BootstrapResult {
  created: boolean;
  generatedPassword?: string;
  domainId: string;
  projectId: string;
  userId: string;
}

export interface NewUser {
  name: string;
  password: string;
  domainId?: string;
  description?: string;
  email?: string | null;
  enabled?: boolean;
}
export interface UserUpdate {
  name?: string;
  password?: string;
  description?: string;
  email?: string | null;
  enabled?: boolean;
}

/** Domains, projects, users and groups: the identity model behind tokens and access keys. */
export class IdentityService {
  private readonly authz: Authorizer;

  constructor(
    private readonly store: Store,
    private readonly passwordHashCost = DEFAULT_PASSWORD_HASH_COST,
  ) {
    this.authz = new Authorizer(store);
  }

  /**
   * First start: domain `default`, project `default`, group `admin`, user `admin`. Safe to race from several replicas.
   */
  async bootstrap(adminPassword: string | undefined): Promise<BootstrapResult> {
    const existing = await projectsRepo.findDomainByName(this.store.db, 'default');
    if (existing) {
      const project = await projectsRepo.findProjectByName(this.store.db, existing.id, 'default');
      const user = await usersRepo.findUserByName(this.store.db, existing.id, 'admin');
      return { created: false, domainId: existing.id, projectId: project?.id ?? '', userId: user?.id ?? '' };
    }
    const generatedPassword = adminPassword ? undefined : `Lf-${randomBytes(18).toString('base64url')}`;
    const password = adminPassword ?? generatedPassword ?? '';
    checkPassword(password, 'admin');
    const passwordHash = await hashPassword(password, this.passwordHashCost);
    const now = nowIso();
    const ids = { domainId: newHexId(), projectId: newHexId(), userId: newHexId(), groupId: newHexId() };
    try {
      await this.store.transaction(async (trx) => {
        await projectsRepo.insertDomain(trx, { id: ids.domainId, name: 'default', created_at: now });
        await projectsRepo.insertProject(trx, {
          id: ids.projectId,
          domain_id: ids.domainId,
          name: 'default',
          description: 'Default project',
          enabled: 1,
          created_at: now,
          updated_at: now,
        });
        await usersRepo.insertGroup(trx, {
          id: ids.groupId,
          domain_id: ids.domainId,
          name: ADMIN_GROUP,
          description: 'Administrators of the domain',
          created_at: now,
        });
        await usersRepo.insertUser(
          trx,
          this.userRow(ids.userId, ids.domainId, { name: 'admin', password }, passwordHash, now),
        );
        await usersRepo.addMember(trx, ids.groupId, ids.userId);
      });
    } catch (err) {
      if (isUniqueViolation(err)) return this.bootstrap(adminPassword); // another replica won the race
      throw err;
    }
    return { created: true, generatedPassword, ...ids };
  }

  private userRow(id: string, domainId: string, u: NewUser, passwordHash: string, now: string): UserRow {
    return {
      id,
      domain_id: domainId,
      name: u.name,
      password_hash: passwordHash,
      enabled: u.enabled === false ? 0 : 1,
      description: u.description ?? '',
      email: u.email ?? null,
      password_expires_at: null,
      failed_logins: 0,
      locked_until: null,
      created_at: now,
      updated_at: now,
      last_login_at: null,
    };
  }

  // ---- domains and projects

  async domainByName(name: string) {
    return projectsRepo.findDomainByName(this.store.db, name);
  }
  async domainById(id: string) {
    return projectsRepo.findDomainById(this.store.db, id);
  }
  async projectById(id: string) {
    return projectsRepo.findProjectById(this.store.db, id);
  }
  async projectByName(domainId: string, name: string) {
    return projectsRepo.findProjectByName(this.store.db, domainId, name);
  }

  async listProjects(
    caller: Principal,
    f: { name?: string; domainId?: string; enabled?: boolean; limit: number; marker?: string },
    action: 'project.list' | 'project.list-own' = 'project.list',
  ): Promise<ProjectRow[]> {
    await this.authz.check(caller, action, { kind: 'domain' });
    if (f.domainId !== undefined && f.domainId !== caller.domainId) return [];
    return projectsRepo.listProjects(this.store.db, {
      domainId: caller.domainId,
      name: f.name,
      enabled: f.enabled,
      limit: f.limit,
      afterId: f.marker,
    });
  }

  async getProject(caller: Principal, id: string): Promise<ProjectRow> {
    return (await this.authz.check(caller, 'project.show', { kind: 'iam-project', id })).project;
  }

  async createProject(
    caller: Principal,
    input: { name: string; description?: string; domainId?: string },
  ): Promise<ProjectRow> {
    await this.authz.check(caller, 'project.create', { kind: 'domain', domainId: input.domainId });
    checkName('project', input.name);
    const now = nowIso();
    const row: ProjectRow = {
      id: newHexId(),
      domain_id: caller.domainId,
      name: input.name,
      description: input.description ?? '',
      enabled: 1,
      created_at: now,
      updated_at: now,
    };
    await unlessDuplicate(`a project named '${input.name}' already exists`, () =>
      projectsRepo.insertProject(this.store.db, row),
    );
    return row;
  }

  async updateProject(
    caller: Principal,
    id: string,
    patch: { name?: string; description?: string; enabled?: boolean },
  ): Promise<ProjectRow> {
    await this.authz.check(caller, 'project.alter', { kind: 'iam-project', id });
    if (patch.name !== undefined) checkName('project', patch.name);
    await unlessDuplicate(`a project named '${patch.name}' already exists`, () =>
      projectsRepo.updateProject(this.store.db, id, {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled ? 1 : 0 } : {}),
        updated_at: nowIso(),
      }),
    );
    return this.getProject(caller, id);
  }

  async deleteProject(caller: Principal, id: string): Promise<void> {
    const { project: p } = await this.authz.check(caller, 'project.drop', { kind: 'iam-project', id });
    await this.store.transaction(async (trx) => {
      if ((await projectsRepo.countProjectInstances(trx, id)) > 0)
        throw conflict(`project ${p.name} still has instances; delete them first`);
      await projectsRepo.deleteProject(trx, id);
    });
  }

  // ---- users

  async listUsers(
    caller: Principal,
    f: { name?: string; enabled?: boolean; limit: number; marker?: string },
  ): Promise<UserRow[]> {
    await this.authz.check(caller, 'user.list', { kind: 'domain' });
    return usersRepo.listUsers(this.store.db, { domainId: caller.domainId, ...f, afterId: f.marker });
  }

  async getUser(caller: Principal, id: string): Promise<UserRow> {
    return (await this.authz.check(caller, 'user.show', { kind: 'user', id })).user;
  }

  /** Creates a user in the caller's domain (the CLI passes a system principal). */
  async createUser(caller: Principal, input: NewUser): Promise<UserRow> {
    const { domainId } = await this.authz.check(caller, 'user.create', { kind: 'domain', domainId: input.domainId });
    checkName('user', input.name);
    checkPassword(input.password, input.name);
    const now = nowIso();
    const row = this.userRow(
      newHexId(),
      domainId,
      input,
      await hashPassword(input.password, this.passwordHashCost),
      now,
    );
    await unlessDuplicate(`a user named '${input.name}' already exists`, () =>
      usersRepo.insertUser(this.store.db, row),
    );
    return row;
  }

  async updateUser(caller: Principal, id: string, patch: UserUpdate): Promise<UserRow> {
    const { user: u } = await this.authz.check(caller, 'user.alter', { kind: 'user', id });
    const self = u.id === caller.userId;
    // Users may change their own password and description; everything else is for admins.
    if (patch.name !== undefined || patch.enabled !== undefined)
      await this.authz.check(caller, 'user.alter-account', { kind: 'user', id });
    if (patch.name !== undefined) checkName('user', patch.name);
    if (patch.enabled === false && self) throw invalid('you cannot disable your own account');
    const set: usersRepo.UserPatch = { updated_at: nowIso() };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.email !== undefined) set.email = patch.email;
    if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0;
    if (patch.password !== undefined) {
      checkPassword(patch.password, patch.name ?? u.name);
      set.password_hash = await hashPassword(patch.password, this.passwordHashCost);
      set.failed_logins = 0;
      set.locked_until = null;
    }
    await unlessDuplicate(`a user named '${patch.name}' already exists`, () =>
      this.store.transaction(async (trx) => {
        await usersRepo.updateUser(trx, id, set);
        // A new password or a disabled account ends every session the user had.
        if (patch.password !== undefined || patch.enabled === false) await deleteUserTokens(trx, id);
      }),
    );
    return (await usersRepo.findUserById(this.store.db, id)) as UserRow;
  }

  async deleteUser(caller: Principal, id: string): Promise<void> {
    const { user: u } = await this.authz.check(caller, 'user.drop', { kind: 'user', id });
    if (u.id === caller.userId) throw invalid('you cannot delete your own account');
    await this.store.transaction(async (trx) => {
      await usersRepo.deleteUser(trx, id);
      await bumpGovernanceOfDomain(trx, u.domain_id);
    });
  }

  // ---- groups

  async listGroups(caller: Principal, f: { name?: string; limit: number; marker?: string }): Promise<GroupRow[]> {
    await this.authz.check(caller, 'group.list', { kind: 'domain' });
    return usersRepo.listGroups(this.store.db, {
      domainId: caller.domainId,
      name: f.name,
      limit: f.limit,
      afterId: f.marker,
    });
  }

  async getGroup(caller: Principal, id: string): Promise<GroupRow> {
    return (await this.authz.check(caller, 'group.show', { kind: 'group', id })).group;
  }

  async createGroup(
    caller: Principal,
    input: { name: string; description?: string; domainId?: string },
  ): Promise<GroupRow> {
    await this.authz.check(caller, 'group.create', { kind: 'domain', domainId: input.domainId });
    checkName('group', input.name);
    const row: GroupRow = {
      id: newHexId(),
      domain_id: caller.domainId,
      name: input.name,
      description: input.description ?? '',
      created_at: nowIso(),
    };
    await unlessDuplicate(`a group named '${input.name}' already exists`, () =>
      usersRepo.insertGroup(this.store.db, row),
    );
    return row;
  }

  async updateGroup(caller: Principal, id: string, patch: { name?: string; description?: string }): Promise<GroupRow> {
    const { group: g } = await this.authz.check(caller, 'group.alter', { kind: 'group', id });
    if (patch.name !== undefined) {
      checkName('group', patch.name);
      if (g.name === ADMIN_GROUP && patch.name !== ADMIN_GROUP) throw invalid('the admin group cannot be renamed');
    }
    await unlessDuplicate(`a group named '${patch.name}' already exists`, () =>
      usersRepo.updateGroup(this.store.db, id, patch),
    );
    return this.getGroup(caller, id);
  }

  async deleteGroup(caller: Principal, id: string): Promise<void> {
    const { group: g } = await this.authz.check(caller, 'group.drop', { kind: 'group', id });
    if (g.name === ADMIN_GROUP) throw invalid('the admin group cannot be deleted');
    await this.store.transaction(async (trx) => {
      await usersRepo.deleteGroup(trx, id);
      await bumpGovernanceOfDomain(trx, g.domain_id);
    });
  }

  async addUserToGroup(caller: Principal, groupId: string, userId: string): Promise<void> {
    const { group: g } = await this.authz.check(caller, 'group.add-member', { kind: 'group', id: groupId });
    const u = await usersRepo.findUserById(this.store.db, userId);
    if (!u || u.domain_id !== g.domain_id) throw notFound(`user ${userId} does not exist`);
    await this.store.transaction(async (trx) => {
      await usersRepo.addMember(trx, groupId, userId);
      await bumpGovernanceOfDomain(trx, g.domain_id); // grants held by the group now reach the user
    });
  }

  async removeUserFromGroup(caller: Principal, groupId: string, userId: string): Promise<void> {
    const { group: g } = await this.authz.check(caller, 'group.remove-member', { kind: 'group', id: groupId });
    if (g.name === ADMIN_GROUP && userId === caller.userId)
      throw invalid('you cannot remove yourself from the admin group');
    const removed = await this.store.transaction(async (trx) => {
      const n = await usersRepo.removeMember(trx, groupId, userId);
      if (n > 0) await bumpGovernanceOfDomain(trx, g.domain_id);
      return n;
    });
    if (removed === 0) throw notFound(`user ${userId} is not a member of group ${g.name}`);
  }

  async isUserInGroup(caller: Principal, groupId: string, userId: string): Promise<boolean> {
    await this.authz.check(caller, 'group.check-member', { kind: 'group', id: groupId });
    return usersRepo.isMember(this.store.db, groupId, userId);
  }

  async listGroupUsers(caller: Principal, groupId: string, limit: number, marker?: string): Promise<UserRow[]> {
    await this.authz.check(caller, 'group.list-members', { kind: 'group', id: groupId });
    return usersRepo.listGroupMembers(this.store.db, groupId, limit, marker);
  }

  async listUserGroups(caller: Principal, userId: string): Promise<GroupRow[]> {
    await this.authz.check(caller, 'user.list-groups', { kind: 'user', id: userId });
    return usersRepo.listUserGroups(this.store.db, userId);
  }

  /** Resolves a user for the CLI and token issuance; never throws on absence. */
  async userByName(domainId: string, name: string) {
    return usersRepo.findUserByName(this.store.db, domainId, name);
  }
  async userById(id: string) {
    return usersRepo.findUserById(this.store.db, id);
  }
}
