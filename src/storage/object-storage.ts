// The object-storage port: the local warehouse folder and S3-compatible stores implement it.

export interface BucketInfo {
  name: string;
  createdAt: Date;
  location: string /* 'local' or a region */;
}
export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}
export interface ListObjectsOptions {
  prefix?: string;
  /** Only keys strictly after this one. */
  marker?: string;
  limit: number;
  delimiter?: string;
}
export interface ListObjectsResult {
  objects: ObjectInfo[];
  commonPrefixes: string[];
  /** Set when truncated: the last key or common prefix returned, to pass as the next marker. */
  nextMarker?: string;
}

export type PutBody = Buffer | string | (() => Buffer | string);

export interface PutOptions {
  newKey?: boolean;
  written?: () => void;
}

export interface ObjectStorage {
  readonly kind: 'local' | 's3';
  listBuckets(): Promise<BucketInfo[]>;
  /** Idempotent. */
  createBucket(name: string): Promise<void>;
  bucketExists(name: string): Promise<boolean>;
  listObjects(bucket: string, opts: ListObjectsOptions): Promise<ListObjectsResult>;
  /**
   * `newKey`: the caller names a key no reader knows yet (a uuid name) and never writes it twice, so the
   * local backend writes it in place (one write, one fsync) instead of through a renamed temporary file.
   * `written`: called once the body is handed over and only its durability is awaited (the local file's fsync, an S3
   * PUT's answer), so the caller can do other work meanwhile; the promise still settles only once it is durable.
   * A body given as a function is made once, when the backend needs it (the local backend: while a new file is being
   * created in the thread pool).
   */
  putObject(bucket: string, key: string, body: PutBody, opts?: PutOptions): Promise<void>;
  /** Throws StorageNotFoundError for a missing key. */
  getObject(bucket: string, key: string): Promise<Buffer>;
  /** Bytes [start, end) of an object (end clamped to its size): a file's footer without reading it whole. */
  getObjectRange(bucket: string, key: string, start: number, end: number): Promise<Buffer>;
  headObject(bucket: string, key: string): Promise<ObjectInfo | null>;
  /** Idempotent. */
  deleteObject(bucket: string, key: string): Promise<void>;
  /** Returns how many objects were deleted. */
  deletePrefix(bucket: string, prefix: string): Promise<number>;
  /** Releases connections, if the backend holds any. */
  close?(): void;
}

export class StorageNotFoundError extends Error {
  override name = 'StorageNotFoundError';
}
export class InvalidStorageNameError extends Error {
  override name = 'InvalidStorageNameError';
}
/** A key that a backend cannot hold next to an existing one (a folder-based store cannot have both 'a' and 'a/b'). */
export class StorageConflictError extends InvalidStorageNameError {
  override name = 'StorageConflictError';
}

/** The store failed or refused a request (unreachable, access denied, …); the message never carries credentials. */
export class StorageBackendError extends Error {
  override name = 'StorageBackendError';
  constructor(
    message: string,
    readonly code: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

export type StorageLocation = { scheme: 'obs' | 's3' | 'file'; bucket: string; key: string };

/**
 * obs://bucket/a/b and s3://bucket/a give the bucket and the key without its leading '/'; file:///abs gives bucket ''
 * and the absolute path.
 */
export function parseLocation(uri: string): StorageLocation | null {
  const m = /^(obs|s3|file):\/\/([^/]*)(\/.*)?$/.exec(uri);
  if (!m) return null;
  const scheme = m[1] as StorageLocation['scheme'];
  const authority = m[2] ?? '';
  const rest = m[3] ?? '';
  if (scheme === 'file') return authority === '' && rest ? { scheme, bucket: '', key: rest } : null;
  if (!authority) return null;
  return { scheme, bucket: authority, key: rest.slice(1) };
}

const IPV4 = /^\d+(\.\d+){3}$/;

/** S3/OBS rules: 3..63 of [a-z0-9.-], alphanumeric at both ends, no '..' nor '.-'/'-.' (OBS), not an IP address. */
export function validateBucketName(name: string): void {
  const ok =
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !name.includes('.-') &&
    !name.includes('-.') &&
    !IPV4.test(name);
  if (!ok) throw new InvalidStorageNameError(`invalid bucket name '${name}'`);
}

// A lone surrogate cannot be encoded as UTF-8, so it would be stored under another name.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function validateObjectKey(key: string): void {
  const bytes = Buffer.byteLength(key, 'utf8');
  let problem: string | undefined;
  if (bytes < 1 || bytes > 1024) problem = 'must be 1 to 1024 UTF-8 bytes';
  else if (key.includes('\0')) problem = 'must not contain NUL';
  else if (key.includes('\\')) problem = 'must not contain a backslash';
  else if (key.startsWith('/')) problem = "must not start with '/'";
  else if (LONE_SURROGATE.test(key)) problem = 'must be valid Unicode';
  else if (key.split('/').some((seg) => seg === '.' || seg === '..')) problem = "must not have a '.' or '..' segment";
  if (problem) throw new InvalidStorageNameError(`invalid object key '${key}': ${problem}`);
}

// Maps UTF-16 units so that comparing them orders strings by code point, which is UTF-8 byte order.
const rank = (c: number): number => (c < 0xd800 ? c : c >= 0xe000 ? c - 0x800 : c + 0x2000);

/** Orders keys as S3 does (UTF-8 bytes), which differs from `<` for characters above U+FFFF. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}
