import type { PrefixCredential } from '../../storage/sts.js';
import { otherTableUnder, otherTableUnderAny, tablesReachedBy } from '../../store/lakecat/table-repository.js';
import type { Store } from '../../store/store.js';
import { Authorizer } from '../authz/authorizer.js';
import { forbidden, invalid } from '../errors.js';
import { PolicyService } from '../governance/policy-service.js';
import type { AccessKeyService } from '../iam/access-key-service.js';
import type { Principal, StorageScope } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';
import type { TableService } from '../lakecat/table-service.js';
import { type LocationService, storageCoordinates } from './location-service.js';

const DEFAULT_DURATION_SECONDS = 3600;
/** Tables one identity credential may cover. */
const MAX_IDENTITY_TABLES = 50;

export interface CredentialRequest {
  user_names?: string[];
  groups?: string[];
  roles?: string[];
  /** lakeform's additions: what the credential reaches, how, and for how long. */
  table?: { catalog_name: string; database_name: string; table_name: string };
  location?: string;
  access?: 'READ' | 'READ_WRITE';
  duration_seconds?: number;
}

/** Characters that mean something to a storage policy or a pattern: a scope never contains them. */
const METACHARACTERS = /[*?[\]{}$%"\\\s]/;

/**
 * Vends temporary storage credentials. Everything is validated before anything is issued: the
 * caller and the principals it names must hold the privilege on the table, the location must
 * be a plain path inside the project's own space, and it must not also hold another table's
 * data. The credential is a temporary key of our identity service that reaches that one prefix
 * (and calls no other operation) until it expires; asking again refreshes it.
 */
export class CredentialService {
  private readonly authz: Authorizer;

  constructor(
    private readonly store: Store,
    instances: InstanceService,
    private readonly tables: TableService,
    private readonly policies: PolicyService,
    private readonly locations: LocationService,
    private readonly accessKeys: AccessKeyService,
    private readonly defaultBucket: string,
    private readonly localWarehouse: string | undefined,
    /** The object store's STS, when it has one: credentials then work against the store itself. */
    private readonly stsVend?: (
      bucket: string,
      prefix: string | string[],
      write: boolean,
      durationSeconds: number,
      sessionName: string,
    ) => Promise<PrefixCredential>,
  ) {
    this.authz = new Authorizer(store, instances, policies);
  }

  async vend(caller: Principal, projectId: string, instanceRef: string, req: CredentialRequest) {
    const at = { kind: 'instance', projectId, instance: instanceRef } as const;
    const { instance } = await this.authz.check(caller, 'credential.vend', at);
    const others = [
      ...(req.user_names ?? []).filter((u) => u !== caller.userName),
      ...(req.groups ?? []),
      ...(req.roles ?? []),
    ];
    if (others.length && !caller.isAdmin)
      throw forbidden('only an administrator may ask for credentials on behalf of other principals');
    const access = req.access ?? 'READ';
    const action = access === 'READ' ? 'SELECT' : 'INSERT';
    // The reference's ShowCredential lasts an hour unless asked otherwise.
    const duration = req.duration_seconds ?? DEFAULT_DURATION_SECONDS;
    if (!Number.isInteger(duration) || duration < 900 || duration > 43_200)
      throw invalid('duration_seconds must be an integer from 900 to 43200');

    const selfNamed = !caller.isAdmin && (req.user_names ?? []).includes(caller.userName);
    if (!req.table && req.location === undefined && (others.length || selfNamed))
      return this.vendForIdentity(caller, instance.id, req, action, duration);

    let location: string;
    let tableId = '';
    if (req.table) {
      const t = req.table;
      // Visibility and the privilege first: a table the caller may not use yields nothing, not even a hint.
      const row = await this.tables.resolve(
        caller,
        projectId,
        instanceRef,
        t.catalog_name,
        t.database_name,
        t.table_name,
        caller.isAdmin ? 'read' : action,
      );
      const named = [
        ...(req.user_names ?? []).map((n) => ({ principal_name: n, principal_type: 'USER', principal_source: 'IAM' })),
        ...(req.groups ?? []).map((n) => ({ principal_name: n, principal_type: 'GROUP', principal_source: 'IAM' })),
        ...(req.roles ?? []).map((n) => ({ principal_name: n, principal_type: 'ROLE', principal_source: 'LOCAL' })),
        // the caller was checked above
      ].filter((p) => !(p.principal_type === 'USER' && p.principal_name === caller.userName));
      if (caller.isAdmin && named.length) {
        const resource = {
          resource_type: 'TABLE',
          catalog: row.catalog_name,
          database: row.database_name,
          table: row.name,
        };
        const answers = await this.policies.check(
          caller,
          projectId,
          instanceRef,
          named.map((p) => ({ action, principal: [p], resource })),
        );
        const refused = named.filter((_, i) => !answers[i]?.check_result);
        if (refused.length)
          throw forbidden(
            `${refused.map((p) => p.principal_name).join(', ')} lack ` +
              `${action} on table ` +
              `${row.catalog_name}.${row.database_name}.${row.name}`,
          );
      }
      const stored = (JSON.parse(row.definition) as { storage_descriptor?: { location?: string } }).storage_descriptor
        ?.location;
      if (!stored) throw invalid(`table ${row.name} has no storage location (a view holds no data)`);
      location = stored;
      tableId = row.id;
    } else if (req.location !== undefined) {
      if (!caller.isAdmin || others.length)
        throw forbidden(
          'a credential for a bare location is issued to administrators for themselves only; name a table otherwise',
        );
      location = req.location;
    } else {
      if (!caller.isAdmin || others.length)
        throw forbidden(
          'name a table: only an administrator asking for itself receives a credential for the whole instance folder',
        );
      location = `obs://${this.defaultBucket}/instances/${instance.id}`;
    }

    const target = this.coordinates(location);
    // Only the instance's own folder or an authorized location of the account: never another instance's or project's
    // data.
    await this.locations.assertUsable(caller, instance.id, location, undefined, true);
    // Only a table's credential is refused for holding other tables (an administrator's bare location is not).
    const overlapping = req.table && (await otherTableUnder(this.store.db, instance.id, target, tableId));
    if (overlapping) {
      throw forbidden(
        `location ${location} also holds table ` +
          `${overlapping.catalog_name}.${overlapping.database_name}.${overlapping.name}: ` +
          `no credential is issued for it`,
      );
    }
    const issued = await this.issue(caller, instance.id, target.bucket, [`${target.key}/`], access, duration);
    return { ...issued, location: `obs://${target.bucket}/${target.key}` };
  }

  /**
   * The reference's request: identities (user names, groups, roles) and no table. They are one
   * identity together, as check-permission reads a principal list, and the credential reaches
   * the data of every table that identity holds the privilege on (or owns), and nothing else.
   */
  private async vendForIdentity(
    caller: Principal,
    instanceId: string,
    req: CredentialRequest,
    action: 'SELECT' | 'INSERT',
    duration: number,
  ) {
    const named = [
      ...(req.user_names ?? []).map((n) => ({ principal_name: n, principal_type: 'USER', principal_source: 'IAM' })),
      ...(req.groups ?? []).map((n) => ({ principal_name: n, principal_type: 'GROUP', principal_source: 'IAM' })),
      ...(req.roles ?? []).map((n) => ({ principal_name: n, principal_type: 'ROLE', principal_source: 'LOCAL' })),
    ];
    const who = named.map((p) => `${p.principal_type.toLowerCase()} ${p.principal_name}`).join(', ');
    const policies = await this.policies.identityPolicies(caller, instanceId, named);
    const owns = (owner: string, type: string) =>
      named.some(
        (p) =>
          p.principal_type === type &&
          (type === 'ROLE' ? p.principal_name.toLowerCase() === owner.toLowerCase() : p.principal_name === owner),
      );
    // The store finds what the identity owns or its grants reach, in statements of bounded size however many grants
    // it holds, and stops one past what a credential covers; the grant rules decide each row again, so the SQL can
    // narrow but never widen.
    const rows = await tablesReachedBy(
      this.store.db,
      instanceId,
      {
        users: named.filter((p) => p.principal_type === 'USER').map((p) => p.principal_name),
        groups: named.filter((p) => p.principal_type === 'GROUP').map((p) => p.principal_name),
        roles: named.filter((p) => p.principal_type === 'ROLE').map((p) => p.principal_name),
      },
      PolicyService.tableGrantPaths(policies, action),
      MAX_IDENTITY_TABLES + 1,
      (r) => {
        const resource = { resource_type: 'TABLE', catalog: r.catalog_name, database: r.database_name, table: r.name };
        return !!r.location && (owns(r.owner, r.owner_type) || PolicyService.permits(policies, action, resource));
      },
    );
    const reached = rows
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((r) => ({
        id: r.id,
        name: `${r.catalog_name}.${r.database_name}.${r.name}`,
        location: r.location as string,
      }));
    if (reached.length > MAX_IDENTITY_TABLES)
      throw invalid(
        `${who} reach more than ${MAX_IDENTITY_TABLES} tables: one ` +
          `credential covers at most ${MAX_IDENTITY_TABLES}; name a table`,
      );
    if (!reached.length) throw forbidden(`${who} hold ${action} on no table with a storage location in this instance`);
    const targets = reached.map((t) => ({ ...t, at: this.coordinates(t.location) }));
    const buckets = [...new Set(targets.map((t) => t.at.bucket))];
    if (buckets.length > 1)
      throw invalid(
        `the tables ${who} reach lie in ${buckets.length} buckets ` +
          `(${buckets.join(', ')}); a credential reaches one: name a table`,
      );
    const ids = reached.map((t) => t.id);
    // One query says whether any target holds another table; only then is each asked, to name it.
    const anyOverlap = await otherTableUnderAny(
      this.store.db,
      instanceId,
      targets.map((t) => t.at),
      ids,
    );
    for (const t of targets) {
      await this.locations.assertUsable(caller, instanceId, t.location, undefined, true);
      const overlapping = anyOverlap && (await otherTableUnder(this.store.db, instanceId, t.at, ids));
      if (overlapping)
        throw forbidden(
          `location ${t.location} of table ${t.name} also holds table ` +
            `${overlapping.catalog_name}.${overlapping.database_name}.${overlapping.name}, ` +
            `which ${who} do not reach: no credential is issued`,
        );
    }
    // A prefix inside another one adds nothing.
    const prefixes = [...new Set(targets.map((t) => `${t.at.key}/`))]
      .sort()
      .filter((p, i, all) => !all.slice(0, i).some((q) => p.startsWith(q)));
    const bucket = buckets[0] as string;
    const issued = await this.issue(
      caller,
      instanceId,
      bucket,
      prefixes,
      action === 'SELECT' ? 'READ' : 'READ_WRITE',
      duration,
    );
    return {
      ...issued,
      locations: prefixes.map((p) => `obs://${bucket}/${p.slice(0, -1)}`),
      tables: reached.map((t) => t.name),
    };
  }

  /** A temporary credential reaching the prefixes of one bucket: the store's STS when it has one, else our own key. */
  private async issue(
    caller: Principal,
    instanceId: string,
    bucket: string,
    prefixes: string[],
    access: 'READ' | 'READ_WRITE',
    duration: number,
  ) {
    if (this.stsVend) {
      const c = await this.stsVend(bucket, prefixes, access === 'READ_WRITE', duration, `lakeform-${caller.userName}`);
      return { access: c.access, secret: c.secret, security_token: c.sessionToken, expires_at: c.expiresAt };
    }
    const scope: StorageScope = { bucket, prefixes, access, instanceId };
    const t = await this.accessKeys.createTemporary(caller, duration, scope);
    return { access: t.access, secret: t.secret, security_token: t.securitytoken, expires_at: t.expires_at };
  }

  /** The bucket and key a location names, for either storage spelling or a file under the local warehouse. */
  private coordinates(location: string): { bucket: string; key: string; file?: string } {
    const c = storageCoordinates(location, this.localWarehouse);
    if (!c)
      throw invalid(`location ${location} is not an obs:// or s3:// location, nor a file under the local warehouse`);
    const { bucket, key } = c;
    if (
      !bucket ||
      !key ||
      METACHARACTERS.test(key) ||
      key.split('/').some((s) => s === '' || s === '.' || s === '..')
    ) {
      throw invalid(
        `location ${location} must be a plain path inside a bucket: no ` +
          `wildcards, policy characters or relative segments`,
      );
    }
    return c;
  }
}
