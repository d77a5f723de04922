import { parseLocation, validateBucketName } from '../../storage/object-storage.js';
import type { Db } from '../../store/store.js';
import { invalid } from '../errors.js';
import type { Principal } from '../iam/principal.js';

/** LakeCat names are case-insensitive and kept lower-case, as Hive does. */
export function normalizeName(kind: string, name: string, pattern: RegExp, max: number): string {
  if (!pattern.test(name) || [...name].length > max) throw invalid(`${kind} name '${name}' is invalid`);
  return name.toLowerCase();
}

export const CATALOG_NAME = /^[a-zA-Z0-9_]+$/;

const SCHEMES = new Set(['obs', 's3', 'file']);

/**
 * Refuses a storage location the caller's account has not authorized for an instance's objects (see LocationService);
 * `q` is the transaction the caller works in, if any.
 */
export type LocationGuard = (caller: Principal, instanceId: string, location: string, q?: Db) => Promise<void>;
export const allowAnyLocation: LocationGuard = async () => {};

/**
 * A storage location must name a bucket and a path in it (`obs://bucket/path`, `s3://…`), or a
 * folder under the local warehouse (`file:///…`, only when the local backend serves it). Nothing
 * else can ever be read or written.
 */
export function validateLocation(what: string, location: string, localWarehouse: string | undefined): string {
  const har = /^har:\/\//.test(location);
  const parsed = parseLocation(har ? location.replace(/^har:/, 'obs:') : location);
  if (!parsed || (!har && !SCHEMES.has(parsed.scheme))) {
    throw invalid(
      `${what} '${location}' must be obs://bucket/path, s3://bucket/path or file:// under the local warehouse`,
    );
  }
  if (parsed.scheme === 'file') {
    if (localWarehouse === undefined)
      throw invalid(`${what} '${location}': file:// locations need the local storage backend; use obs:// or s3://`);
    const root = localWarehouse.endsWith('/') ? localWarehouse : `${localWarehouse}/`;
    if (!`${parsed.key}/`.startsWith(root) || parsed.key.split('/').includes('..')) {
      throw invalid(`${what} '${location}' is outside the local warehouse ${localWarehouse}`);
    }
    return location;
  }
  try {
    validateBucketName(parsed.bucket);
  } catch {
    throw invalid(`${what} '${location}' names an invalid bucket '${parsed.bucket}'`);
  }
  if (!parsed.key || parsed.key.split('/').some((seg) => seg === '..' || seg === '.')) {
    throw invalid(`${what} '${location}' must name a path inside the bucket`);
  }
  return location.replace(/\/+$/, '');
}

/** At most a few entries of a list in a message, with how many more there are. */
export function some(items: string[], max = 10): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}
