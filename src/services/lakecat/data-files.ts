import path from 'node:path';
import { parseLocation, type ObjectStorage } from '../../storage/object-storage.js';

/**
 * Removes the objects under a location that lives in our storage (`obs://`/`s3://` buckets it
 * serves, or `file://` under the local warehouse). A bucket root is never deleted wholesale.
 */
export async function deleteLocationData(storage: ObjectStorage, location: string, localWarehouse: string): Promise<number> {
  const parsed = parseLocation(location);
  if (!parsed) return 0;
  let bucket = parsed.bucket;
  let key = parsed.key;
  if (parsed.scheme === 'file') {
    const rel = path.relative(localWarehouse, parsed.key);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return 0;
    [bucket = '', key = ''] = [rel.split('/')[0], rel.split('/').slice(1).join('/')];
  }
  key = key.replace(/\/+$/, '');
  if (!bucket || !key || !(await storage.bucketExists(bucket).catch(() => false))) return 0;
  return storage.deletePrefix(bucket, `${key}/`);
}
