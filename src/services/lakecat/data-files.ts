import path from 'node:path';
import { InvalidStorageNameError, type ObjectStorage, parseLocation } from '../../storage/object-storage.js';

/**
 * Removes the objects under a location that lives in our storage (`obs://`/`s3://` buckets it
 * serves, or `file://` under the local warehouse when the local backend serves it). A bucket root
 * is never deleted wholesale.
 */
export async function deleteLocationData(
  storage: ObjectStorage,
  location: string,
  localWarehouse: string | undefined,
): Promise<number> {
  const parsed = parseLocation(location);
  if (!parsed) return 0;
  let bucket = parsed.bucket;
  let key = parsed.key;
  if (parsed.scheme === 'file') {
    // Another backend's bucket of the same name is not that folder.
    if (localWarehouse === undefined) return 0;
    const rel = path.relative(localWarehouse, parsed.key);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return 0;
    [bucket = '', key = ''] = [rel.split('/')[0], rel.split('/').slice(1).join('/')];
  }
  key = key.replace(/\/+$/, '');
  if (!bucket || !key) return 0;
  // A name no bucket can have holds no data; a store that cannot be asked (down, access denied) is an error to report.
  const exists = await storage.bucketExists(bucket).catch((e: unknown) => {
    if (e instanceof InvalidStorageNameError) return false;
    throw e;
  });
  if (!exists) return 0;
  return storage.deletePrefix(bucket, `${key}/`);
}
