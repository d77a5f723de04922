import type { ObjectStorage } from '../../storage/object-storage.js';
import { compareKeys } from '../../storage/object-storage.js';
import { instanceIdsOf } from '../../store/instances/instance-repository.js';
import type { Store } from '../../store/store.js';
import { Authorizer } from '../authz/authorizer.js';
import { notFound } from '../errors.js';
import type { Principal } from '../iam/principal.js';
import type { LocationService } from './location-service.js';

/** Drops prefixes inside others and sorts them: the rest are disjoint, so their keys come in prefix order. */
function disjoint(prefixes: string[]): string[] {
  const sorted = [...new Set(prefixes)].sort(compareKeys);
  return sorted.filter((p) => !sorted.some((q) => q !== p && p.startsWith(q)));
}

/**
 * Browsing the object storage, limited to what a project may see: its instances' folders in
 * the default warehouse bucket, and the locations its account authorized. Other keys (other
 * projects' warehouses) are never listed; a bucket with nothing of the project's is not found.
 */
export class ObsService {
  constructor(
    private readonly store: Store,
    private readonly storage: ObjectStorage,
    private readonly locations: LocationService,
    private readonly defaultBucket: string,
    private readonly region: string,
  ) {
    this.authz = new Authorizer(store);
  }

  private readonly authz: Authorizer;

  private async prefixes(caller: Principal, projectId: string, bucket: string): Promise<string[] | undefined> {
    const out = await this.locations.prefixesIn(caller.domainId, bucket);
    if (bucket === this.defaultBucket)
      for (const id of await instanceIdsOf(this.store.db, projectId)) out.push(`instances/${id}/`);
    return bucket === this.defaultBucket || out.length > 0 ? disjoint(out) : undefined;
  }

  async listBuckets(caller: Principal, projectId: string, offset: number, limit: number) {
    await this.authz.check(caller, 'storage.browse', { kind: 'project', projectId });
    const visible = await this.locations.buckets(caller.domainId);
    visible.add(this.defaultBucket);
    const all = (await this.storage.listBuckets())
      .filter((b) => visible.has(b.name))
      .sort((a, b) => compareKeys(a.name, b.name));
    return {
      buckets: all
        .slice(offset, offset + limit)
        .map((b) => ({ id: b.name, name: b.name, location: this.region, creation_date: b.createdAt.toISOString() })),
      total: all.length,
    };
  }

  async listObjects(
    caller: Principal,
    projectId: string,
    bucket: string,
    q: { prefix?: string; marker?: string; limit: number },
  ) {
    // A vended storage credential lists its own prefixes and nothing else.
    const scope = caller.storageScope;
    if (!scope) await this.authz.check(caller, 'storage.browse', { kind: 'project', projectId });
    const allowed = scope
      ? scope.bucket === bucket
        ? disjoint(scope.prefixes)
        : undefined
      : await this.prefixes(caller, projectId, bucket);
    if (!allowed || !(await this.storage.bucketExists(bucket))) throw notFound(`bucket ${bucket} does not exist`);
    const prefix = q.prefix ?? '';
    // The requested prefix inside an allowed one lists as asked; above several, each allowed one below it is listed in
    // turn.
    const ranges = allowed.some((a) => prefix.startsWith(a)) ? [prefix] : allowed.filter((a) => a.startsWith(prefix));
    const names: string[] = [];
    let next = '';
    for (const range of ranges) {
      if (q.marker && compareKeys(q.marker, range) >= 0 && !q.marker.startsWith(range)) continue;
      const want = q.limit - names.length;
      const r = await this.storage.listObjects(bucket, {
        prefix: range,
        marker: q.marker?.startsWith(range) ? q.marker || undefined : undefined,
        limit: want,
      });
      names.push(...r.objects.map((o) => o.key));
      if (r.nextMarker) {
        next = r.nextMarker;
        break;
      }
      if (names.length >= q.limit) {
        // Full exactly at a range's end: the next call resumes after the last name.
        if (range !== ranges[ranges.length - 1]) next = names[names.length - 1] as string;
        break;
      }
    }
    return { bucket_name: bucket, location: this.region, prefix, object_names: names, next_marker: next };
  }
}
