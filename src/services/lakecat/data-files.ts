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

/**
 * The file-level statistics Hive keeps in a table's parameters (numFiles, totalSize) as the
 * storage shows them now: the data files under the location, hidden ones (`.`/`_` names) left
 * out as Hive does. Paged, so a large table is counted without holding its listing.
 */
export async function locationFileStats(
  storage: ObjectStorage,
  location: string,
  localWarehouse: string | undefined,
): Promise<{ numFiles: number; totalSize: number }> {
  const stats = { numFiles: 0, totalSize: 0 };
  const parsed = parseLocation(location);
  if (!parsed) return stats;
  let { bucket, key } = parsed;
  if (parsed.scheme === 'file') {
    if (localWarehouse === undefined) return stats;
    const rel = path.relative(localWarehouse, parsed.key);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return stats;
    [bucket = '', key = ''] = [rel.split('/')[0], rel.split('/').slice(1).join('/')];
  }
  key = key.replace(/\/+$/, '');
  if (!bucket || !key) return stats;
  const exists = await storage.bucketExists(bucket).catch((e: unknown) => {
    if (e instanceof InvalidStorageNameError) return false;
    throw e;
  });
  if (!exists) return stats;
  let marker: string | undefined;
  do {
    const page = await storage.listObjects(bucket, { prefix: `${key}/`, marker, limit: 1000 });
    for (const o of page.objects) {
      const rel = o.key.slice(key.length + 1);
      if (rel.split('/').some((part) => part.startsWith('.') || part.startsWith('_'))) continue;
      stats.numFiles += 1;
      stats.totalSize += o.size;
    }
    marker = page.nextMarker;
  } while (marker);
  return stats;
}
