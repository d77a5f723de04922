import path from 'node:path';
import type { Config } from '../config.js';
import { LocalObjectStorage } from './local-storage.js';
import type { ObjectStorage } from './object-storage.js';

/** The local warehouse folder: the local backend's buckets, and where file:// locations may point. */
export const localWarehouse = (config: Config): string => path.join(config.dataDir, 'warehouse');

/** The object storage the configuration names; creating it does no I/O. */
export async function createObjectStorage(config: Config): Promise<ObjectStorage> {
  const s = config.storage;
  if (s.kind === 'local') return new LocalObjectStorage(localWarehouse(config));
  // Loaded only when configured: the AWS SDK adds about 0.1 s to every start.
  const { S3ObjectStorage } = await import('./s3-storage.js');
  return new S3ObjectStorage(s);
}
