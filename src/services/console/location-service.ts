import path from 'node:path';
import { LRUCache } from 'lru-cache';
import { cacheBound } from '../../memory.js';
import type { ObjectStorage } from '../../storage/object-storage.js';
import { parseLocation } from '../../storage/object-storage.js';
import * as repo from '../../store/console/location-repository.js';
import type { Db, Store } from '../../store/store.js';
import { nowIso } from '../../store/store.js';
import { Authorizer } from '../authz/authorizer.js';
import { conflict, forbidden, invalid, notFound } from '../errors.js';
import type { Principal } from '../iam/principal.js';
import { validateLocation } from '../lakecat/names.js';

/**
 * The bucket and key a location names: obs:// and s3:// name the same storage, and a file
 * under the local warehouse is <warehouse>/<bucket>/<key>. Null for anything else.
 */
export function storageCoordinates(
  location: string,
  localWarehouse: string | undefined,
): { bucket: string; key: string; file?: string } | null {
  const parsed = parseLocation(location);
  if (!parsed) return null;
  if (parsed.scheme !== 'file') return { bucket: parsed.bucket, key: parsed.key.replace(/\/+$/, '') };
  // file:// names the local warehouse, which only the local backend has.
  if (localWarehouse === undefined) return null;
  const rel = path.relative(localWarehouse, path.resolve(parsed.key));
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  const parts = rel.split(path.sep);
  return { bucket: parts[0] ?? '', key: parts.slice(1).join('/'), file: parsed.key.replace(/\/+$/, '') };
}

/** Whether `location` is `root` or lies below it, by whole path segments (`a/b` is not under `a/bc`). */
export function isWithin(location: string, root: string): boolean {
  return location === root || location.startsWith(`${root}/`);
}

/**
 * Storage paths the service may manage for an account. Once an account has authorized any,
 * its catalogs, databases and tables may only be placed inside them (or in the service's own
 * warehouse folders).
 */
export class LocationService {
  constructor(
    private readonly store: Store,
    private readonly storage: ObjectStorage,
    private readonly localWarehouse: string | undefined,
    private readonly defaultBucket: string,
  ) {
    this.authz = new Authorizer(store);
  }

  private readonly authz: Authorizer;

  /** A location in its one stored spelling; wildcards and relative segments never pass. */
  private normalize(location: string): string {
    if (/[*?[\]{}]/.test(location))
      throw invalid(`location '${location}' must be a plain path: wildcards are not allowed`);
    const clean = validateLocation('location', location, this.localWarehouse).replace(/\/+$/, '');
    const parsed = parseLocation(clean);
    if (!parsed || (parsed.scheme !== 'file' && !parsed.key))
      throw invalid(`location '${location}' must name a path inside a bucket`);
    return clean;
  }

  /** Buckets seen to exist recently: a location check costs no storage call on the hot path. */
  private readonly knownBuckets = new LRUCache<string, true>({ max: cacheBound(1000), ttl: 10_000 });

  private async bucketExists(bucket: string): Promise<boolean> {
    if (this.knownBuckets.get(bucket)) return true;
    const exists = await this.storage.bucketExists(bucket).catch(() => false);
    if (exists) this.knownBuckets.set(bucket, true);
    return exists;
  }

  async authorize(caller: Principal, locations: string[]): Promise<{ locations: string[] }> {
    await this.authz.check(caller, 'location.authorize', { kind: 'domain' });
    const clean = [...new Set(locations.map((l) => this.normalize(l)))];
    for (const l of clean) {
      const parsed = parseLocation(l);
      if (parsed && parsed.scheme !== 'file' && !(await this.storage.bucketExists(parsed.bucket))) {
        throw notFound(`bucket ${parsed.bucket} of location ${l} does not exist in the object storage`);
      }
    }
    const now = nowIso();
    await this.store.transaction((trx) =>
      repo.insertLocations(
        trx,
        clean.map((location) => ({
          domain_id: caller.domainId,
          location,
          created_by: caller.userName,
          created_at: now,
        })),
      ),
    );
    return { locations: clean };
  }

  async list(caller: Principal, q: { location?: string; offset: number; limit: number }) {
    await this.authz.check(caller, 'location.list', { kind: 'domain' });
    return repo.pageLocations(this.store.db, caller.domainId, q.location || undefined, q.offset, q.limit);
  }

  /** Withdraws authorizations; one that a catalog, database or table still uses stays, and the call fails whole. */
  async cancel(caller: Principal, locations: string[]): Promise<{ locations: string[] }> {
    await this.authz.check(caller, 'location.cancel', { kind: 'domain' });
    const clean = [...new Set(locations.map((l) => this.normalize(l)))];
    await this.store.transaction(async (trx) => {
      for (const l of clean) {
        const user = await repo.objectUnder(trx, caller.domainId, l);
        if (user) throw conflict(`location ${l} is used by ${user}: move or drop it first`);
        if (!(await repo.deleteLocation(trx, caller.domainId, l))) throw notFound(`location ${l} is not authorized`);
      }
    });
    return { locations: clean };
  }

  /**
   * Refuses a location for an instance's objects that the storage does not have (its bucket
   * must exist: a path inside one can always be written), or outside the account's authorized
   * locations once it has any (`strict`: even when it has none). The instance's own folder of
   * the default bucket is always allowed, another instance's never.
   */
  async assertUsable(
    caller: Principal,
    instanceId: string,
    location: string,
    q: Db = this.store.db,
    strict = false,
  ): Promise<void> {
    const parsed = storageCoordinates(location, this.localWarehouse);
    if (!parsed) return; // validateLocation has refused what is neither storage nor the warehouse
    if (!(await this.bucketExists(parsed.bucket)))
      throw invalid(`location ${location} is in bucket ${parsed.bucket}, which the object storage does not have`);
    // The default bucket's instance folders each belong to their instance: another's is never allowed.
    if (parsed.bucket === this.defaultBucket && isWithin(parsed.key, 'instances')) {
      if (isWithin(parsed.key, `instances/${instanceId}`)) return;
      throw forbidden(`location ${location} is inside another instance's warehouse folder`);
    }
    if (!(await this.isAuthorized(caller.domainId, parsed, q, !strict))) {
      throw forbidden(
        `location ${location} is outside the account's authorized locations (ListAuthorizedLocation lists them)`,
      );
    }
  }

  /**
   * Whether a bucket path lies inside one of the account's authorized locations; `unlessNone`: true when it has none.
   */
  async isAuthorized(
    domainId: string,
    parsed: { bucket: string; key: string },
    q: Db = this.store.db,
    unlessNone = false,
  ): Promise<boolean> {
    const authorized = (await repo.allLocations(q, domainId)).map((r) => r.location);
    if (authorized.length === 0) return unlessNone;
    const bucketPath = `${parsed.bucket}/${parsed.key}`.replace(/\/+$/, '');
    const inside = authorized.some((a) => {
      const p = parseLocation(a);
      return p !== null && p.scheme !== 'file' && isWithin(bucketPath, `${p.bucket}/${p.key}`);
    });
    return inside;
  }

  /** Key prefixes of a bucket the account's authorized locations open ('' for the whole bucket). */
  async prefixesIn(domainId: string, bucket: string): Promise<string[]> {
    const out: string[] = [];
    for (const { location } of await repo.allLocations(this.store.db, domainId)) {
      const p = parseLocation(location);
      if (p && p.scheme !== 'file' && p.bucket === bucket) out.push(p.key === '' ? '' : `${p.key}/`);
    }
    return out;
  }

  async buckets(domainId: string): Promise<Set<string>> {
    const out = new Set<string>();
    for (const { location } of await repo.allLocations(this.store.db, domainId)) {
      const p = parseLocation(location);
      if (p && p.scheme !== 'file') out.add(p.bucket);
    }
    return out;
  }
}
