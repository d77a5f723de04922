import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  type BucketInfo,
  compareKeys,
  InvalidStorageNameError,
  type ListObjectsOptions,
  type ListObjectsResult,
  type ObjectInfo,
  type ObjectStorage,
  type PutBody,
  type PutOptions,
  StorageBackendError,
  StorageConflictError,
  StorageNotFoundError,
  validateBucketName,
  validateObjectKey,
} from './object-storage.js';

/** Where the S3-compatible store is and who we are there. */
export interface S3Settings {
  endpoint: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  /**
   * With a role, vended credentials come from the store's STS (AssumeRole with a session policy); without, from
   * lakeform.
   */
  sts?: { endpoint: string; roleArn: string } | undefined;
}

export interface S3StorageOptions {
  /** Keys asked for per ListObjects request (S3 returns at most 1,000); smaller only in tests, to exercise paging. */
  maxKeysPerRequest?: number;
}

/** S3 returns at most this many keys per listing and takes at most this many per DeleteObjects. */
const S3_MAX_KEYS = 1000;

// A listing is XML, which cannot carry these characters (and normalises '\r'): such a key could be written but never
// listed.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these control characters are what it looks for
const XML_UNSAFE = /[\u0000-\u001f\u007f\ufffe\uffff]/;

const NOT_FOUND_CODES = new Set(['NoSuchBucket', 'NoSuchKey', 'NotFound']);
const noSuchBucket = (e: unknown): boolean => e instanceof S3ServiceException && e.name === 'NoSuchBucket';

/** The port's error for a failed SDK call: the operation, the names, and the store's code, status and message only. */
function mapError(e: unknown, operation: string, bucket?: string, key?: string): Error {
  const on = bucket === undefined ? '' : ` on bucket '${bucket}'`;
  const what = `${operation}${on}${key === undefined ? '' : ` key '${key}'`}`;
  if (e instanceof S3ServiceException) {
    const status = e.$metadata.httpStatusCode;
    if (noSuchBucket(e)) return new StorageNotFoundError(`bucket '${bucket}' does not exist`);
    if (NOT_FOUND_CODES.has(e.name) || status === 404) {
      return new StorageNotFoundError(
        key === undefined ? `${what}: not found` : `object '${key}' does not exist in bucket '${bucket}'`,
      );
    }
    if (e.name === 'InvalidBucketName' || e.name === 'KeyTooLongError')
      return new InvalidStorageNameError(`${what}: ${e.name}`);
    // SDK errors carry more fields (the access key id, the string to sign) that must not reach a log: keep none of
    // them.
    return new StorageBackendError(
      `S3 ${what} failed: ${e.name}${status ? ` (HTTP ${status})` : ''}: ${e.message}`,
      e.name,
      status,
    );
  }
  const code =
    e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : e instanceof Error ? e.name : 'Error';
  return new StorageBackendError(`S3 ${what} failed: ${e instanceof Error ? e.message : String(e)}`, code, undefined);
}

function validateS3Key(key: string): void {
  validateObjectKey(key);
  if (XML_UNSAFE.test(key))
    throw new InvalidStorageNameError(
      `invalid object key '${JSON.stringify(key).slice(1, -1)}': must not contain control characters`,
    );
}

const maxKey = (a: string, b: string): string => (compareKeys(a, b) >= 0 ? a : b);

/** The next request's marker; a truncated answer that does not move it would make us ask forever. */
function advance(after: string, next: string, bucket: string): string {
  if (compareKeys(next, after) <= 0)
    throw new StorageBackendError(
      `S3 ListObjects on bucket '${bucket}' was truncated without moving past '${after}'`,
      'ListObjects',
      undefined,
    );
  return next;
}

/** Buckets and objects of an S3-compatible store (AWS S3, Huawei OBS, MinIO, …) through the AWS SDK. */
export class S3ObjectStorage implements ObjectStorage {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  private readonly region: string;
  private readonly maxKeysPerRequest: number;

  constructor(settings: S3Settings, options: S3StorageOptions = {}) {
    this.region = settings.region;
    this.maxKeysPerRequest = Math.min(S3_MAX_KEYS, Math.max(1, options.maxKeysPerRequest ?? S3_MAX_KEYS));
    this.client = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      // Explicit keys only: never the SDK's search of the environment, ~/.aws or instance metadata.
      credentials: {
        accessKeyId: settings.accessKeyId,
        secretAccessKey: settings.secretAccessKey,
        ...(settings.sessionToken ? { sessionToken: settings.sessionToken } : {}),
      },
      // Many S3-compatible stores reject or ignore the newer CRC checksum headers; send them only where S3 requires
      // one.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Without timeouts a store that stops answering would hold a DROP … delete_data forever.
      requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
    });
  }

  close(): void {
    this.client.destroy();
  }

  async listBuckets(): Promise<BucketInfo[]> {
    const out: BucketInfo[] = [];
    let token: string | undefined;
    do {
      const res = await this.client
        .send(new ListBucketsCommand(token ? { ContinuationToken: token } : {}))
        .catch((e: unknown) => {
          throw mapError(e, 'ListBuckets');
        });
      for (const b of res.Buckets ?? []) {
        if (b.Name)
          out.push({ name: b.Name, createdAt: b.CreationDate ?? new Date(0), location: b.BucketRegion ?? this.region });
      }
      token = res.ContinuationToken;
    } while (token);
    return out.sort((a, b) => compareKeys(a.name, b.name));
  }

  async createBucket(name: string): Promise<void> {
    validateBucketName(name);
    // us-east-1 is S3's default and must not be named as a constraint; every other region must be.
    const config =
      this.region === 'us-east-1'
        ? {}
        : { CreateBucketConfiguration: { LocationConstraint: this.region as BucketLocationConstraint } };
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: name, ...config }));
    } catch (e) {
      if (e instanceof S3ServiceException && e.name === 'BucketAlreadyOwnedByYou') return;
      // Some stores answer BucketAlreadyExists for one's own bucket too: it is ours if we can reach it.
      if (e instanceof S3ServiceException && e.name === 'BucketAlreadyExists') {
        if (await this.bucketExists(name).catch(() => false)) return;
        throw new StorageConflictError(`bucket '${name}' is taken by another account`);
      }
      throw mapError(e, 'CreateBucket', name);
    }
  }

  async bucketExists(name: string): Promise<boolean> {
    validateBucketName(name);
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: name }));
      return true;
    } catch (e) {
      const mapped = mapError(e, 'HeadBucket', name);
      if (mapped instanceof StorageNotFoundError) return false;
      throw mapped;
    }
  }

  /** An object appears whole or not at all in S3: a new key needs nothing more. */
  async putObject(bucket: string, key: string, body: PutBody, opts?: PutOptions): Promise<void> {
    validateBucketName(bucket);
    validateS3Key(key);
    const Body = typeof body === 'function' ? body() : body;
    const sent = this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body })).catch((e: unknown) => {
      throw mapError(e, 'PutObject', bucket, key);
    });
    // The request is under way: only its answer is awaited.
    opts?.written?.();
    await sent;
  }

  async getObject(bucket: string, key: string): Promise<Buffer> {
    validateBucketName(bucket);
    validateS3Key(key);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (e) {
      throw mapError(e, 'GetObject', bucket, key);
    }
  }

  async getObjectRange(bucket: string, key: string, start: number, end: number): Promise<Buffer> {
    validateBucketName(bucket);
    validateS3Key(key);
    if (end <= start) return Buffer.alloc(0);
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${Math.max(0, start)}-${end - 1}` }),
      );
      const bytes = await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (e) {
      // A range past the end of the object: nothing there.
      if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416) return Buffer.alloc(0);
      throw mapError(e, 'GetObject', bucket, key);
    }
  }

  async headObject(bucket: string, key: string): Promise<ObjectInfo | null> {
    validateBucketName(bucket);
    validateS3Key(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return { key, size: res.ContentLength ?? 0, lastModified: res.LastModified ?? new Date(0) };
    } catch (e) {
      const mapped = mapError(e, 'HeadObject', bucket, key);
      if (!(mapped instanceof StorageNotFoundError)) throw mapped;
    }
    // A HEAD answer has no body to tell a missing key from a missing bucket.
    if (!(await this.bucketExists(bucket))) throw new StorageNotFoundError(`bucket '${bucket}' does not exist`);
    return null;
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    validateBucketName(bucket);
    validateS3Key(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch((e: unknown) => {
      const mapped = mapError(e, 'DeleteObject', bucket, key);
      // S3 answers 204 for a missing key; a store that says NoSuchKey instead means the same.
      if (!(mapped instanceof StorageNotFoundError) || noSuchBucket(e)) throw mapped;
    });
  }

  /** Lists the prefix page by page and deletes each page (at most 1,000 keys) with one DeleteObjects. */
  async deletePrefix(bucket: string, prefix: string): Promise<number> {
    validateBucketName(bucket);
    let deleted = 0;
    let after = '';
    for (;;) {
      const page = await this.listRequest(bucket, prefix, undefined, after, this.maxKeysPerRequest);
      const keys = page.objects.map((o) => o.key);
      if (keys.length) deleted += await this.deleteBatch(bucket, keys);
      if (!page.truncated) return deleted;
      after = advance(after, page.continueAfter, bucket);
    }
  }

  private async deleteBatch(bucket: string, keys: string[]): Promise<number> {
    const res = await this.client
      .send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
          // Content-MD5, which every S3-compatible store accepts here; MinIO and others refuse the SDK's default CRC32
          // alone.
          ChecksumAlgorithm: 'MD5',
        }),
      )
      .catch((e: unknown) => {
        throw mapError(e, 'DeleteObjects', bucket);
      });
    const errors = res.Errors ?? [];
    if (errors.length) {
      const first = errors[0];
      throw new StorageBackendError(
        `S3 DeleteObjects on bucket '${bucket}' failed for ` +
          `${errors.length} of ${keys.length} keys, first '${first?.Key}': ` +
          `${first?.Code}: ${first?.Message}`,
        first?.Code ?? 'DeleteObjects',
        undefined,
      );
    }
    return keys.length;
  }

  /**
   * One page in S3 key order. S3 may return fewer keys than asked for (and at most 1,000), so this asks again until
   * the page is full, and asks for one entry more than that to know whether it is truncated.
   */
  async listObjects(bucket: string, opts: ListObjectsOptions): Promise<ListObjectsResult> {
    validateBucketName(bucket);
    if (!(opts.limit >= 1)) throw new RangeError(`listObjects limit must be at least 1, not ${opts.limit}`);
    const prefix = opts.prefix ?? '';
    const delimiter = opts.delimiter || undefined;
    const objects: ObjectInfo[] = [];
    const prefixes = new Set<string>();
    let after = opts.marker ?? '';
    for (;;) {
      const want = opts.limit + 1 - objects.length - prefixes.size;
      const page = await this.listRequest(bucket, prefix, delimiter, after, Math.min(want, this.maxKeysPerRequest));
      objects.push(...page.objects);
      for (const p of page.prefixes) prefixes.add(p);
      if (!page.truncated || objects.length + prefixes.size > opts.limit) break;
      after = advance(after, page.continueAfter, bucket);
    }
    type Entry = { key: string; object?: ObjectInfo };
    const entries: Entry[] = [
      ...objects.map((o) => ({ key: o.key, object: o })),
      ...[...prefixes].map((key) => ({ key })),
    ].sort((a, b) => compareKeys(a.key, b.key));
    const page = entries.slice(0, opts.limit);
    const last = page.at(-1);
    return {
      objects: page.flatMap((e) => (e.object ? [e.object] : [])),
      commonPrefixes: page.flatMap((e) => (e.object ? [] : [e.key])),
      ...(entries.length > opts.limit && last ? { nextMarker: last.key } : {}),
    };
  }

  /**
   * One ListObjects (v1: its Marker is the port's marker, and every S3-compatible store has it) returning only
   * entries after `after`: a common prefix at or before the marker was returned by an earlier page, which S3 itself
   * does not know when the marker lies inside it. `continueAfter` is the marker for the next request.
   */
  private async listRequest(
    bucket: string,
    prefix: string,
    delimiter: string | undefined,
    after: string,
    maxKeys: number,
  ): Promise<{ objects: ObjectInfo[]; prefixes: string[]; truncated: boolean; continueAfter: string }> {
    const res = await this.client
      .send(
        new ListObjectsCommand({
          Bucket: bucket,
          MaxKeys: maxKeys,
          ...(prefix ? { Prefix: prefix } : {}),
          ...(delimiter ? { Delimiter: delimiter } : {}),
          ...(after ? { Marker: after } : {}),
        }),
      )
      .catch((e: unknown) => {
        throw mapError(e, 'ListObjects', bucket);
      });
    let continueAfter = maxKey(after, res.NextMarker ?? '');
    const objects: ObjectInfo[] = [];
    for (const o of res.Contents ?? []) {
      if (o.Key === undefined) continue;
      continueAfter = maxKey(continueAfter, o.Key);
      if (compareKeys(o.Key, after) <= 0) continue;
      objects.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) });
    }
    const prefixes: string[] = [];
    for (const p of res.CommonPrefixes ?? []) {
      if (p.Prefix === undefined) continue;
      continueAfter = maxKey(continueAfter, p.Prefix);
      if (compareKeys(p.Prefix, after) > 0) prefixes.push(p.Prefix);
    }
    return { objects, prefixes, truncated: res.IsTruncated === true, continueAfter };
  }
}
