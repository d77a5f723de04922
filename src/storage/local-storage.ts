import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  type BucketInfo, type ListObjectsOptions, type ListObjectsResult, type ObjectInfo, type ObjectStorage,
  InvalidStorageNameError, StorageNotFoundError, validateBucketName, validateObjectKey,
} from './object-storage.js';

const TEMP_PREFIX = '.lakeform-tmp-';

/** Buckets are folders under the root; keys are relative paths inside them. */
export class LocalObjectStorage implements ObjectStorage {
  readonly kind = 'local' as const;
  constructor(private readonly rootDir: string) {}

  private async bucketDir(bucket: string): Promise<string> {
    validateBucketName(bucket);
    const dir = path.join(this.rootDir, bucket);
    try {
      return await fs.realpath(dir);
    } catch {
      throw new StorageNotFoundError(`bucket ${bucket} does not exist`);
    }
  }

  private async objectPath(bucket: string, key: string): Promise<{ dir: string; file: string }> {
    validateObjectKey(key);
    if (key.endsWith('/')) throw new InvalidStorageNameError(`invalid object key '${key}'`);
    const dir = await this.bucketDir(bucket);
    const file = path.resolve(dir, key);
    if (!file.startsWith(dir + path.sep)) throw new InvalidStorageNameError(`object key '${key}' escapes its bucket`);
    // A symlinked folder inside the bucket must not lead outside it.
    const parent = await fs.realpath(path.dirname(file)).catch(() => undefined);
    if (parent && parent !== dir && !parent.startsWith(dir + path.sep)) throw new InvalidStorageNameError(`object key '${key}' escapes its bucket`);
    return { dir, file };
  }

  async listBuckets(): Promise<BucketInfo[]> {
    await fs.mkdir(this.rootDir, { recursive: true });
    const entries = await fs.readdir(this.rootDir, { withFileTypes: true });
    const out: BucketInfo[] = [];
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      const st = await fs.stat(path.join(this.rootDir, e.name));
      out.push({ name: e.name, createdAt: st.birthtime, location: 'local' });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async createBucket(name: string): Promise<void> {
    validateBucketName(name);
    await fs.mkdir(path.join(this.rootDir, name), { recursive: true });
  }

  async bucketExists(name: string): Promise<boolean> {
    validateBucketName(name);
    return fs.stat(path.join(this.rootDir, name)).then((s) => s.isDirectory(), () => false);
  }

  async putObject(bucket: string, key: string, body: Buffer | string): Promise<void> {
    const { file } = await this.objectPath(bucket, key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = path.join(path.dirname(file), `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  }

  async getObject(bucket: string, key: string): Promise<Buffer> {
    const { file } = await this.objectPath(bucket, key);
    try {
      return await fs.readFile(file);
    } catch {
      throw new StorageNotFoundError(`object ${key} does not exist in bucket ${bucket}`);
    }
  }

  async headObject(bucket: string, key: string): Promise<ObjectInfo | null> {
    const { file } = await this.objectPath(bucket, key);
    const st = await fs.stat(file).catch(() => undefined);
    return st?.isFile() ? { key, size: st.size, lastModified: st.mtime } : null;
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    const { dir, file } = await this.objectPath(bucket, key);
    await fs.rm(file, { force: true });
    // Remove folders left empty, as an object store has no folders of its own.
    for (let d = path.dirname(file); d.startsWith(dir + path.sep); d = path.dirname(d)) {
      try { await fs.rmdir(d); } catch { break; }
    }
  }

  async deletePrefix(bucket: string, prefix: string): Promise<number> {
    let deleted = 0;
    for (;;) {
      const page = await this.listObjects(bucket, { prefix, limit: 1000 });
      for (const o of page.objects) { await this.deleteObject(bucket, o.key); deleted++; }
      if (!page.nextMarker) return deleted;
    }
  }

  /** Walks folders in key order and stops once `limit` objects are found: memory stays bounded. */
  async listObjects(bucket: string, opts: ListObjectsOptions): Promise<ListObjectsResult> {
    const dir = await this.bucketDir(bucket);
    const prefix = opts.prefix ?? '';
    const marker = opts.marker ?? '';
    const objects: ObjectInfo[] = [];
    const commonPrefixes: string[] = [];
    let truncated = false;
    const full = () => objects.length + commonPrefixes.length >= opts.limit;

    const walk = async (rel: string): Promise<void> => {
      const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => []);
      const keyed = entries.filter((e) => !e.name.startsWith(TEMP_PREFIX))
        .map((e) => ({ e, key: rel + e.name + (e.isDirectory() ? '/' : '') }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const { e, key } of keyed) {
        if (truncated) return;
        // Skip subtrees that cannot contain a key after the marker and under the prefix.
        if (e.isDirectory()) {
          if (!(prefix.startsWith(key) || key.startsWith(prefix))) continue;
          if (marker && key < marker.slice(0, key.length)) continue;
          if (opts.delimiter === '/' && key.startsWith(prefix) && key.length > prefix.length) {
            if (key > marker && !(await isEmpty(path.join(dir, key)))) {
              if (full()) { truncated = true; return; }
              commonPrefixes.push(key);
            }
            continue;
          }
          await walk(key);
        } else if (e.isFile() && key.startsWith(prefix) && key > marker) {
          if (full()) { truncated = true; return; }
          const st = await fs.stat(path.join(dir, key));
          objects.push({ key, size: st.size, lastModified: st.mtime });
        }
      }
    };
    await walk('');
    const last = [...objects.map((o) => o.key), ...commonPrefixes].sort().at(-1);
    return { objects, commonPrefixes, ...(truncated && last ? { nextMarker: last } : {}) };
  }
}

async function isEmpty(dir: string): Promise<boolean> {
  const entries = await fs.readdir(dir).catch(() => []);
  return entries.every((n) => n.startsWith(TEMP_PREFIX));
}
