// The object-storage port: the local warehouse folder and S3-compatible stores implement it.

export interface BucketInfo { name: string; createdAt: Date; location: string }
export interface ObjectInfo { key: string; size: number; lastModified: Date }
export interface ListObjectsOptions { prefix?: string; marker?: string; limit: number; delimiter?: string }
export interface ListObjectsResult { objects: ObjectInfo[]; commonPrefixes: string[]; nextMarker?: string }

export interface ObjectStorage {
  readonly kind: 'local' | 's3';
  listBuckets(): Promise<BucketInfo[]>;
  createBucket(name: string): Promise<void>;
  bucketExists(name: string): Promise<boolean>;
  listObjects(bucket: string, opts: ListObjectsOptions): Promise<ListObjectsResult>;
  putObject(bucket: string, key: string, body: Buffer | string): Promise<void>;
  getObject(bucket: string, key: string): Promise<Buffer>;
  headObject(bucket: string, key: string): Promise<ObjectInfo | null>;
  deleteObject(bucket: string, key: string): Promise<void>;
  deletePrefix(bucket: string, prefix: string): Promise<number>;
}

export class StorageNotFoundError extends Error {}
export class InvalidStorageNameError extends Error {}

export function parseLocation(uri: string): { scheme: 'obs' | 's3' | 'file'; bucket: string; key: string } | null {
  const m = /^(obs|s3|file):\/\/([^/]*)(\/.*)?$/.exec(uri);
  if (!m) return null;
  const scheme = m[1] as 'obs' | 's3' | 'file';
  if (scheme === 'file') return m[2] === '' && m[3] ? { scheme, bucket: '', key: m[3] } : null;
  if (!m[2]) return null;
  return { scheme, bucket: m[2], key: (m[3] ?? '').replace(/^\//, '') };
}

export function validateBucketName(name: string): void {
  const ok = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
  if (!ok) throw new InvalidStorageNameError(`invalid bucket name '${name}'`);
}

export function validateObjectKey(key: string): void {
  const bytes = Buffer.byteLength(key, 'utf8');
  const bad = bytes < 1 || bytes > 1024 || key.includes('\0') || key.includes('\\') || key.startsWith('/')
    || key.split('/').some((seg) => seg === '.' || seg === '..');
  if (bad) throw new InvalidStorageNameError(`invalid object key '${key}'`);
}
