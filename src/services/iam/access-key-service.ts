import { LRUCache } from 'lru-cache';
import { cacheBound } from '../../memory.js';
import * as keysRepo from '../../store/iam/access-keys-repository.js';
import * as projectsRepo from '../../store/iam/projects-repository.js';
import * as usersRepo from '../../store/iam/users-repository.js';
import type { AccessKeyRow } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { isUniqueViolation, nowIso } from '../../store/store.js';
import { Authorizer } from '../authz/authorizer.js';
import { forbidden, invalid, ServiceError } from '../errors.js';
import { newAccessKeyId, newOpaqueToken, newSecretKey, type SecretBox, sha256Hex } from './crypto-util.js';
import type { Principal, StorageScope } from './principal.js';
import type { TokenService } from './token-service.js';

export const MAX_PERMANENT_KEYS_PER_USER = 2;

type KeyAction = 'access-key.show' | 'access-key.alter' | 'access-key.drop';

export interface AccessKeyView {
  access: string;
  user_id: string;
  status: string;
  description: string;
  create_time: string;
  last_use_time?: string;
}

export interface TemporaryCredential {
  access: string;
  secret: string;
  securitytoken: string;
  expires_at: string;
}

/** What a verified signature stands for. */
export interface KeyCredentials {
  secret: string;
  principal: Principal;
}

const view = (k: AccessKeyRow): AccessKeyView => ({
  access: k.access,
  user_id: k.user_id,
  status: k.status,
  description: k.description,
  create_time: k.created_at,
  ...(k.last_used_at ? { last_use_time: k.last_used_at } : {}),
});

/** Permanent and temporary AK/SK pairs; secrets are sealed at rest and shown once. */
export class AccessKeyService {
  private readonly authz: Authorizer;

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly tokens: TokenService,
  ) {
    this.authz = new Authorizer(store);
  }

  async create(caller: Principal, userId: string, description = ''): Promise<AccessKeyView & { secret: string }> {
    await this.authz.check(caller, 'access-key.create', { kind: 'user', id: userId });
    if (description.length > 255) throw invalid('description must be at most 255 characters');
    const secret = newSecretKey();
    const row: AccessKeyRow = {
      access: newAccessKeyId(),
      user_id: userId,
      secret_enc: this.box.seal(secret),
      status: 'active',
      description,
      kind: 'permanent',
      session_token_hash: null,
      project_id: null,
      expires_at: null,
      created_at: nowIso(),
      last_used_at: null,
    };
    await this.store.transaction(async (trx) => {
      // The user's row lock makes the count and the insert one step for concurrent creates.
      await usersRepo.lockUser(this.store, trx, userId);
      if ((await keysRepo.countPermanentKeys(trx, userId)) >= MAX_PERMANENT_KEYS_PER_USER) {
        throw new ServiceError(
          'quota_exceeded',
          `a user may hold at most ${MAX_PERMANENT_KEYS_PER_USER} access keys; delete one first`,
        );
      }
      await keysRepo.insertAccessKey(trx, row);
    });
    return { ...view(row), secret };
  }

  async list(caller: Principal, userId?: string): Promise<AccessKeyView[]> {
    // Without a user: the caller's own keys (an administrator's: the domain's), so nothing to resolve.
    if (userId !== undefined) await this.authz.check(caller, 'access-key.list', { kind: 'user', id: userId });
    const owner = userId ?? (caller.isAdmin ? undefined : caller.userId);
    return (await keysRepo.listPermanentKeys(this.store.db, owner, caller.domainId)).map(view);
  }

  private async ownedKey(caller: Principal, action: KeyAction, access: string): Promise<AccessKeyRow> {
    return (await this.authz.check(caller, action, { kind: 'access-key', access })).key;
  }

  async show(caller: Principal, access: string): Promise<AccessKeyView> {
    return view(await this.ownedKey(caller, 'access-key.show', access));
  }

  async update(
    caller: Principal,
    access: string,
    patch: { status?: string; description?: string },
  ): Promise<AccessKeyView> {
    await this.ownedKey(caller, 'access-key.alter', access);
    if (patch.status !== undefined && patch.status !== 'active' && patch.status !== 'inactive')
      throw invalid("status must be 'active' or 'inactive'");
    if (patch.description !== undefined && patch.description.length > 255)
      throw invalid('description must be at most 255 characters');
    await keysRepo.updateAccessKey(this.store.db, access, patch);
    return view(await this.ownedKey(caller, 'access-key.alter', access));
  }

  async delete(caller: Principal, access: string): Promise<void> {
    await this.ownedKey(caller, 'access-key.drop', access);
    await keysRepo.deleteAccessKey(this.store.db, access);
  }

  /** A short-lived AK/SK + security token carrying the caller's identity and project scope. */
  async createTemporary(
    caller: Principal,
    durationSeconds = 900,
    storageScope?: StorageScope,
  ): Promise<TemporaryCredential> {
    await this.authz.check(caller, 'access-key.create-temporary', { kind: 'domain' });
    // A storage credential may also be asked for with a signature: it reaches far less than its asker.
    if (caller.via !== 'token' && !storageScope) throw forbidden('temporary access keys are issued against a token');
    if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 86400) {
      throw invalid('duration_seconds must be an integer from 900 to 86400');
    }
    const secret = newSecretKey();
    const securitytoken = newOpaqueToken('lfs1.');
    const expiresAt = new Date(Date.now() + durationSeconds * 1000);
    // Never outlive the token that asked for it.
    const tokenExpiry = caller.token ? new Date(caller.token.expiresAt) : expiresAt;
    const expires_at = (expiresAt < tokenExpiry ? expiresAt : tokenExpiry).toISOString();
    for (let attempt = 0; ; attempt++) {
      const access = newAccessKeyId();
      try {
        await keysRepo.insertAccessKey(this.store.db, {
          access,
          user_id: caller.userId,
          secret_enc: this.box.seal(secret),
          status: 'active',
          description: '',
          kind: 'temporary',
          session_token_hash: sha256Hex(securitytoken),
          project_id: caller.projectId,
          expires_at,
          created_at: nowIso(),
          last_used_at: null,
          storage_scope: storageScope ? JSON.stringify(storageScope) : null,
        });
        return { access, secret, securitytoken, expires_at };
      } catch (err) {
        if (!isUniqueViolation(err) || attempt > 2) throw err;
      }
    }
  }

  /**
   * The secret and identity behind an access key, for signature verification. Null when the key
   * is unknown, inactive, expired, or a temporary key without its matching security token.
   */
  async credentialsFor(
    access: string,
    securityToken: string | undefined,
    projectId: string | null,
  ): Promise<KeyCredentials | null> {
    const key = await keysRepo.findAccessKey(this.store.db, access);
    if (key?.status !== 'active') return null;
    if (key.kind === 'temporary') {
      if (!key.expires_at || key.expires_at <= nowIso()) return null;
      if (!securityToken || key.session_token_hash !== sha256Hex(securityToken)) return null;
    }
    const user = await usersRepo.findUserById(this.store.db, key.user_id);
    if (!user?.enabled) return null;
    // A temporary key keeps the project of the token it came from; a permanent key may address any project of its
    // domain.
    const wantedProject = key.kind === 'temporary' ? key.project_id : projectId;
    const found = wantedProject ? await projectsRepo.findProjectById(this.store.db, wantedProject) : undefined;
    // A project outside the user's domain leaves the principal unscoped: the scope check then says 403.
    const project = found && found.domain_id === user.domain_id && found.enabled ? found : null;
    const principal = await this.tokens.principalFor(user, project, ['aksk'], undefined, 'access-key');
    if (key.storage_scope) principal.storageScope = JSON.parse(key.storage_scope) as StorageScope;
    return { secret: this.box.open(key.secret_enc), principal };
  }

  /** Records use at most once a minute per key, so the hot path rarely writes. */
  async touch(access: string): Promise<void> {
    const now = Date.now();
    const last = this.lastTouched.get(access) ?? 0;
    if (now - last < 60_000) return;
    this.lastTouched.set(access, now);
    await keysRepo.updateAccessKey(this.store.db, access, { last_used_at: new Date(now).toISOString() });
  }

  private readonly lastTouched = new LRUCache<string, number>({ max: cacheBound(10_000) });

  async purgeExpired(): Promise<number> {
    return keysRepo.deleteExpiredTemporaryKeys(this.store.db, nowIso());
  }
}
