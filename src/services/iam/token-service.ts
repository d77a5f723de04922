import { LRUCache } from 'lru-cache';
import { cacheBound } from '../../memory.js';
import * as projectsRepo from '../../store/iam/projects-repository.js';
import * as tokensRepo from '../../store/iam/tokens-repository.js';
import * as usersRepo from '../../store/iam/users-repository.js';
import type { ProjectRow, UserRow } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { Authorizer } from '../authz/authorizer.js';
import { type Clock, isoNow, systemClock } from '../clock.js';
import { invalid, unauthenticated } from '../errors.js';
import { countedCache } from '../telemetry.js';
import {
  DEFAULT_PASSWORD_HASH_COST,
  dummyPasswordHash,
  newOpaqueToken,
  sha256Hex,
  verifyPassword,
} from './crypto-util.js';
import { ADMIN_GROUP, type Principal } from './principal.js';

export interface NameOrId {
  id?: string;
  name?: string;
}
export interface PasswordLogin {
  user: { id?: string; name?: string; password: string; domain?: NameOrId };
  scope: { project?: NameOrId & { domain?: NameOrId }; domain?: NameOrId };
}

export interface IssuedToken {
  token: string;
  principal: Principal;
}

const LOCK_THRESHOLD = 5;
const LOCK_MINUTES = 15;
const WRONG_CREDENTIALS = 'The username or password is wrong.';

/** Keystone-style tokens: opaque random strings, stored only as SHA-256 hashes. */
export class TokenService {
  private readonly cache: LRUCache<string, Principal>;
  private readonly cacheEnabled: boolean;
  private readonly authz: Authorizer;
  private readonly dummyHash: string;

  constructor(
    private readonly store: Store,
    private readonly ttlSeconds: number,
    cacheSeconds: number,
    private readonly clock: Clock = systemClock,
    passwordHashCost = DEFAULT_PASSWORD_HASH_COST,
  ) {
    this.authz = new Authorizer(store);
    this.dummyHash = dummyPasswordHash(passwordHashCost);
    // A replica may serve a validated token from memory for a few seconds; revocation on this
    // replica evicts at once, other replicas notice within cacheSeconds.
    this.cache = countedCache(
      'tokens',
      new LRUCache({ max: cacheBound(10_000), ttl: Math.max(1, cacheSeconds) * 1000, ttlAutopurge: false }),
    );
    this.cacheEnabled = cacheSeconds > 0;
  }

  async issueWithPassword(login: PasswordLogin): Promise<IssuedToken> {
    const user = await this.findLoginUser(login.user);
    const now = new Date(this.clock.now());
    if (!user) {
      await verifyPassword(login.user.password, this.dummyHash); // same work as a real check
      throw unauthenticated(WRONG_CREDENTIALS, 'IAM.0006');
    }
    if (user.locked_until && new Date(user.locked_until) > now) {
      throw unauthenticated('The account is locked after too many failed logins; try again later.', 'IAM.0007');
    }
    if (!(await verifyPassword(login.user.password, user.password_hash))) {
      await usersRepo.recordFailedLogin(
        this.store.db,
        user.id,
        LOCK_THRESHOLD,
        new Date(now.getTime() + LOCK_MINUTES * 60_000).toISOString(),
      );
      throw unauthenticated(WRONG_CREDENTIALS, 'IAM.0006');
    }
    if (!user.enabled) throw unauthenticated('The user is disabled.', 'IAM.0008');
    const project = await this.resolveScope(user, login.scope);
    await usersRepo.updateUser(this.store.db, user.id, {
      failed_logins: 0,
      locked_until: null,
      last_login_at: now.toISOString(),
    });
    return this.issue(user, project, ['password'], now);
  }

  private async findLoginUser(u: PasswordLogin['user']): Promise<UserRow | undefined> {
    if (u.id) {
      const byId = await usersRepo.findUserById(this.store.db, u.id);
      if (byId && u.domain && !(await this.domainMatches(byId.domain_id, u.domain))) return undefined;
      return byId;
    }
    if (!u.name) throw invalid('auth.identity.password.user needs a name or an id');
    if (!u.domain?.id && !u.domain?.name) throw invalid('auth.identity.password.user.domain needs a name or an id');
    const domain = u.domain.id
      ? await projectsRepo.findDomainById(this.store.db, u.domain.id)
      : await projectsRepo.findDomainByName(this.store.db, u.domain.name ?? '');
    if (!domain) return undefined;
    return usersRepo.findUserByName(this.store.db, domain.id, u.name);
  }

  private async domainMatches(domainId: string, ref: NameOrId): Promise<boolean> {
    if (ref.id) return ref.id === domainId;
    if (ref.name) return (await projectsRepo.findDomainById(this.store.db, domainId))?.name === ref.name;
    return true;
  }

  /** A project scope must name a project of the user's domain; a domain scope must be the user's domain. */
  private async resolveScope(user: UserRow, scope: PasswordLogin['scope']): Promise<ProjectRow | null> {
    if (scope.project) {
      const ref = scope.project;
      const project = ref.id
        ? await projectsRepo.findProjectById(this.store.db, ref.id)
        : ref.name
          ? await projectsRepo.findProjectByName(this.store.db, user.domain_id, ref.name)
          : undefined;
      if (!ref.id && !ref.name) throw invalid('auth.scope.project needs a name or an id');
      if (!project || project.domain_id !== user.domain_id || !project.enabled) {
        throw unauthenticated('The project in the scope does not exist or the user has no access to it.', 'IAM.0009');
      }
      return project;
    }
    if (scope.domain) {
      if (!(await this.domainMatches(user.domain_id, scope.domain))) {
        throw unauthenticated('The domain in the scope does not exist or the user has no access to it.', 'IAM.0009');
      }
      return null;
    }
    throw invalid('auth.scope needs a project or a domain');
  }

  /** A token of the same user for another scope; it expires no later than the one presented. */
  async rescope(presented: string, scope: PasswordLogin['scope']): Promise<IssuedToken> {
    const current = await this.validate(presented);
    if (!current?.token) throw unauthenticated('the token is invalid, expired or revoked');
    const user = await usersRepo.findUserById(this.store.db, current.userId);
    if (!user) throw unauthenticated('the token is invalid, expired or revoked');
    const project = await this.resolveScope(user, scope);
    return this.issue(user, project, ['token'], new Date(this.clock.now()), current.token.expiresAt);
  }

  private async issue(
    user: UserRow,
    project: ProjectRow | null,
    methods: string[],
    now: Date,
    notAfter?: string,
  ): Promise<IssuedToken> {
    const token = newOpaqueToken('lf1.');
    const issuedAt = now.toISOString();
    const natural = new Date(now.getTime() + this.ttlSeconds * 1000).toISOString();
    const expiresAt = notAfter !== undefined && notAfter < natural ? notAfter : natural;
    await tokensRepo.insertToken(this.store.db, {
      token_hash: sha256Hex(token),
      user_id: user.id,
      domain_id: user.domain_id,
      project_id: project?.id ?? null,
      methods: methods.join(','),
      issued_at: issuedAt,
      expires_at: expiresAt,
    });
    const principal = await this.principalFor(user, project, methods, {
      hash: sha256Hex(token),
      issuedAt,
      expiresAt,
      expiresAtMs: Date.parse(expiresAt),
    });
    return { token, principal };
  }

  /**
   * A token for a user who proved itself by other means (an access key's secret, in the OAuth2
   * client-credentials exchange), scoped to a project of its domain: the one named, else the
   * project named `fallbackProjectName` (the region, as SDKs discover it).
   */
  async issueForUser(
    userId: string,
    projectId: string | undefined,
    fallbackProjectName: string,
    method: string,
  ): Promise<IssuedToken | undefined> {
    const user = await usersRepo.findUserById(this.store.db, userId);
    if (!user?.enabled) return undefined;
    const project = projectId
      ? await projectsRepo.findProjectById(this.store.db, projectId)
      : await projectsRepo.findProjectByName(this.store.db, user.domain_id, fallbackProjectName);
    if (!project || project.domain_id !== user.domain_id || !project.enabled) return undefined;
    return this.issue(user, project, [method], new Date(this.clock.now()));
  }

  /** The principal of a token this replica validated recently and that has not expired; undefined otherwise. */
  cached(token: string): Principal | undefined {
    const p = this.cacheEnabled ? this.cache.get(token) : undefined;
    return p?.token && p.token.expiresAtMs > this.clock.now() ? p : undefined;
  }

  /** The principal behind a token, or null when it is unknown, revoked or expired. */
  async validate(token: string): Promise<Principal | null> {
    // Keyed by the token itself so that a hit costs no hashing; the store only ever sees the hash.
    const cached = this.cacheEnabled ? this.cache.get(token) : undefined;
    if (cached) return cached.token && cached.token.expiresAtMs > this.clock.now() ? cached : null;
    const hash = sha256Hex(token);
    const now = isoNow(this.clock);
    const row = await tokensRepo.findToken(this.store.db, hash);
    if (!row || row.expires_at <= now) return null;
    const user = await usersRepo.findUserById(this.store.db, row.user_id);
    if (!user?.enabled) return null;
    const project = row.project_id ? await projectsRepo.findProjectById(this.store.db, row.project_id) : null;
    if (row.project_id && !project?.enabled) return null;
    const principal = await this.principalFor(user, project ?? null, row.methods.split(','), {
      hash,
      issuedAt: row.issued_at,
      expiresAt: row.expires_at,
      expiresAtMs: Date.parse(row.expires_at),
    });
    if (this.cacheEnabled) this.cache.set(token, principal);
    return principal;
  }

  /** Who a token stands for, as the caller may see it: their own, or any of the domain for an administrator. */
  async inspect(caller: Principal, token: string): Promise<Principal> {
    const subject = await this.validate(token);
    const owner = subject ? { userId: subject.userId, domainId: subject.domainId } : undefined;
    const missing = 'the token in X-Subject-Token does not exist or has expired';
    await this.authz.check(caller, 'token.validate', { kind: 'token', owner, missing });
    return subject as Principal;
  }

  /** Ends a token: the caller's own, or any token of the domain for an administrator. */
  async revoke(caller: Principal, token: string): Promise<void> {
    const hash = sha256Hex(token);
    const row = await tokensRepo.findToken(this.store.db, hash);
    const owner = row ? { userId: row.user_id, domainId: row.domain_id } : undefined;
    await this.authz.check(caller, 'token.revoke', { kind: 'token', owner, missing: 'the token does not exist' });
    await tokensRepo.deleteToken(this.store.db, hash);
    this.cache.delete(token);
  }

  /** Forgets cached principals, e.g. after a user was disabled or changed groups on this replica. */
  forgetCached(): void {
    this.cache.clear();
  }

  async principalFor(
    user: UserRow,
    project: ProjectRow | null,
    methods: string[],
    token?: Principal['token'],
    via: Principal['via'] = 'token',
  ): Promise<Principal> {
    const domain = await projectsRepo.findDomainById(this.store.db, user.domain_id);
    const admin = await usersRepo.findGroupByName(this.store.db, user.domain_id, ADMIN_GROUP);
    const isAdmin = admin ? await usersRepo.isMember(this.store.db, admin.id, user.id) : false;
    return {
      userId: user.id,
      userName: user.name,
      domainId: user.domain_id,
      domainName: domain?.name ?? '',
      projectId: project?.id ?? null,
      projectName: project?.name ?? null,
      isAdmin,
      via,
      methods,
      token,
    };
  }

  /**
   * A user's identity in a project, as background work acting for them sees it now; undefined once they are gone or
   * disabled.
   */
  async principalOfUser(userId: string, projectId: string, methods: string[]): Promise<Principal | undefined> {
    const user = await usersRepo.findUserById(this.store.db, userId);
    const project = await projectsRepo.findProjectById(this.store.db, projectId);
    if (!user?.enabled || !project || project.domain_id !== user.domain_id) return undefined;
    return this.principalFor(user, project, methods, undefined, 'token');
  }

  async purgeExpired(): Promise<number> {
    return tokensRepo.deleteExpiredTokens(this.store.db, isoNow(this.clock));
  }
}
