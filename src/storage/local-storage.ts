import { randomBytes } from 'node:crypto';
import { closeSync, type Dirent, fsync, open, realpathSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
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
  StorageConflictError,
  StorageNotFoundError,
  validateBucketName,
  validateObjectKey,
} from './object-storage.js';

/** Names of in-flight writes; never listed, and no key may use them. */
const TEMP_PREFIX = '.lakeform-tmp-';
/** Longest file name most filesystems take, in bytes. */
const NAME_MAX = 255;

function errCode(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/** Errors meaning "no such object here" (a folder or a file standing where a parent folder should be). */
function isMissing(e: unknown): boolean {
  const c = errCode(e);
  return c === 'ENOENT' || c === 'ENOTDIR' || c === 'EISDIR';
}

/** Folder-based keys: 'a/' (a folder marker) and 'a//b' (same file as 'a/b') cannot be stored faithfully. */
function validateLocalKey(key: string): void {
  validateObjectKey(key);
  for (const seg of key.split('/')) {
    let problem: string | undefined;
    if (seg === '') problem = "must not end with '/' nor contain '//'";
    else if (seg.startsWith(TEMP_PREFIX)) problem = `must not have a segment starting with '${TEMP_PREFIX}'`;
    else if (Buffer.byteLength(seg, 'utf8') > NAME_MAX) problem = `segments must be at most ${NAME_MAX} bytes`;
    if (problem) throw new InvalidStorageNameError(`invalid object key '${key}': ${problem}`);
  }
}

/**
 * Sub-folders and regular files of a folder; symlinks are skipped, as following them could loop or leave the bucket.
 */
async function readEntries(dir: string): Promise<Dirent[]> {
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    return entries.filter((e) => !e.name.startsWith(TEMP_PREFIX) && (e.isFile() || e.isDirectory()));
  } catch (e) {
    if (isMissing(e)) return [];
    throw e;
  }
}

/** Whether a folder holds at least one object, stopping at the first one found. */
async function hasObject(dir: string): Promise<boolean> {
  const entries = await readEntries(dir);
  if (entries.some((e) => e.isFile())) return true;
  for (const e of entries) if (await hasObject(path.join(dir, e.name))) return true;
  return false;
}

/** The common prefix a key rolls up into: up to the first delimiter after the prefix. */
function rollUp(key: string, prefix: string, delimiter: string | undefined): string | undefined {
  if (!delimiter || !key.startsWith(prefix)) return undefined;
  const i = key.indexOf(delimiter, prefix.length);
  return i < 0 ? undefined : key.slice(0, i + delimiter.length);
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename durable; some platforms cannot fsync a folder, which only weakens durability.
  const handle = await fs.open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    /* see above */
  } finally {
    await handle.close();
  }
}

/** Buckets are folders directly under the root; keys are relative paths inside them. */
export class LocalObjectStorage implements ObjectStorage {
  readonly kind = 'local' as const;
  private readonly root: string;

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir);
  }

  async listBuckets(): Promise<BucketInfo[]> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(this.root, { withFileTypes: true });
    } catch (e) {
      if (errCode(e) === 'ENOENT') return [];
      throw e;
    }
    const out: BucketInfo[] = [];
    for (const e of entries) {
      try {
        validateBucketName(e.name);
      } catch {
        continue;
      }
      // stat follows a bucket symlinked to another disk, as bucketExists does.
      const st = await fs.stat(path.join(this.root, e.name)).catch(() => undefined);
      if (!st?.isDirectory()) continue;
      out.push({ name: e.name, createdAt: st.birthtimeMs > 0 ? st.birthtime : st.mtime, location: 'local' });
    }
    return out.sort((a, b) => compareKeys(a.name, b.name));
  }

  async createBucket(name: string): Promise<void> {
    validateBucketName(name);
    try {
      await fs.mkdir(path.join(this.root, name), { recursive: true });
    } catch (e) {
      const c = errCode(e);
      if (c === 'EEXIST' || c === 'ENOTDIR') throw new StorageConflictError(`bucket '${name}' is taken by a file`);
      throw e;
    }
  }

  async bucketExists(name: string): Promise<boolean> {
    validateBucketName(name);
    return fs.stat(path.join(this.root, name)).then(
      (s) => s.isDirectory(),
      () => false,
    );
  }

  /** Buckets' real folders as last resolved by bucketDir (see knownParent). */
  private readonly bucketDirs = new Map<string, string>();

  /** The bucket's real folder: every containment check is made against it. */
  private async bucketDir(bucket: string): Promise<string> {
    validateBucketName(bucket);
    try {
      const dir = await fs.realpath(path.join(this.root, bucket));
      if ((await fs.stat(dir)).isDirectory()) {
        this.bucketDirs.set(bucket, dir);
        return dir;
      }
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
    throw new StorageNotFoundError(`bucket '${bucket}' does not exist`);
  }

  private async objectPath(bucket: string, key: string): Promise<{ dir: string; file: string }> {
    validateLocalKey(key);
    const dir = await this.bucketDir(bucket);
    const file = path.join(dir, key);
    if (!file.startsWith(dir + path.sep))
      throw new InvalidStorageNameError(`object key '${key}' leads outside its bucket`);
    return { dir, file };
  }

  /**
   * The deepest existing ancestor of `p` (or `p` itself) must really lie in the bucket, whatever symlinks are on the
   * way.
   */
  private async assertInside(dir: string, p: string, key: string): Promise<void> {
    for (let cur = p; ; cur = path.dirname(cur)) {
      let real: string;
      try {
        real = await fs.realpath(cur);
      } catch (e) {
        if (isMissing(e) && cur !== dir && cur.startsWith(dir)) continue;
        if (isMissing(e)) throw new StorageNotFoundError(`bucket folder ${dir} vanished`);
        throw e;
      }
      if (real !== dir && !real.startsWith(dir + path.sep)) {
        throw new InvalidStorageNameError(`object key '${key}' leads outside its bucket`);
      }
      return;
    }
  }

  /**
   * Where a key's file goes when its folder exists and, reached through the bucket's name, really lies in the bucket's
   * real folder as last resolved: one realpath where objectPath and assertInside take three calls (a commit writes a
   * file into its table's metadata folder each time). Undefined: the caller takes the full way, which also names the
   * error of a bucket gone or moved.
   */
  private async knownParent(bucket: string, key: string): Promise<{ parent: string; file: string } | undefined> {
    const dir = this.bucketDirs.get(bucket);
    if (dir === undefined) return undefined;
    validateLocalKey(key);
    const named = path.join(this.root, bucket, key);
    if (!named.startsWith(path.join(this.root, bucket) + path.sep)) return undefined;
    // Synchronous: a few lstat calls cost less than a trip to the thread pool and back.
    let parent: string | undefined;
    try {
      parent = realpathSync.native(path.dirname(named));
    } catch {
      return undefined;
    }
    if (parent === undefined || (parent !== dir && !parent.startsWith(dir + path.sep))) return undefined;
    return { parent, file: path.join(parent, path.basename(named)) };
  }

  async putObject(bucket: string, key: string, given: PutBody, opts?: PutOptions): Promise<void> {
    let made: Buffer | string | undefined;
    // Made once, however many times the write is tried.
    const body = typeof given === 'function' ? () => (made ??= given()) : () => given;
    const known = await this.knownParent(bucket, key);
    let parent: string;
    let file: string;
    if (known) ({ parent, file } = known);
    else {
      let dir: string;
      ({ dir, file } = await this.objectPath(bucket, key));
      parent = path.dirname(file);
      await this.assertInside(dir, parent, key);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await (opts?.newKey ? writeNew(parent, file, body, opts.written) : writeAtomically(parent, file, body()));
        return;
      } catch (e) {
        const c = errCode(e);
        // A concurrent delete may remove the folder just made, as it was empty: make it again.
        if (c === 'ENOENT' && attempt < 3) continue;
        if (c === 'EEXIST' || c === 'ENOTDIR' || c === 'EISDIR') {
          throw new StorageConflictError(
            `object key '${key}' conflicts with an existing object or folder in bucket '${bucket}'`,
          );
        }
        throw e;
      }
    }
  }

  async getObject(bucket: string, key: string): Promise<Buffer> {
    const { dir, file } = await this.objectPath(bucket, key);
    try {
      await this.assertInside(dir, file, key);
      return await fs.readFile(file);
    } catch (e) {
      if (isMissing(e)) throw new StorageNotFoundError(`object '${key}' does not exist in bucket '${bucket}'`);
      throw e;
    }
  }

  async getObjectRange(bucket: string, key: string, start: number, end: number): Promise<Buffer> {
    const { dir, file } = await this.objectPath(bucket, key);
    let handle: fs.FileHandle | undefined;
    try {
      await this.assertInside(dir, file, key);
      handle = await fs.open(file, 'r');
      const size = (await handle.stat()).size;
      const from = Math.min(Math.max(0, start), size);
      const length = Math.max(0, Math.min(end, size) - from);
      const buffer = Buffer.alloc(length);
      if (length) await handle.read(buffer, 0, length, from);
      return buffer;
    } catch (e) {
      if (isMissing(e)) throw new StorageNotFoundError(`object '${key}' does not exist in bucket '${bucket}'`);
      throw e;
    } finally {
      await handle?.close();
    }
  }

  async headObject(bucket: string, key: string): Promise<ObjectInfo | null> {
    const { dir, file } = await this.objectPath(bucket, key);
    try {
      await this.assertInside(dir, file, key);
      const st = await fs.stat(file);
      return st.isFile() ? { key, size: st.size, lastModified: st.mtime } : null;
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    await this.removeObject(bucket, key);
  }

  /** Whether an object was there to delete. */
  private async removeObject(bucket: string, key: string): Promise<boolean> {
    const { dir, file } = await this.objectPath(bucket, key);
    await this.assertInside(dir, path.dirname(file), key);
    let removed = true;
    try {
      await fs.unlink(file);
    } catch (e) {
      // unlink of a folder fails with EISDIR on Linux and EPERM on macOS: no object has that key.
      const isFolder =
        errCode(e) === 'EPERM' &&
        (await fs.lstat(file).then(
          (s) => s.isDirectory(),
          () => false,
        ));
      if (!isMissing(e) && !isFolder) throw e;
      removed = false;
    }
    // An object store has no folders: drop those left empty, up to the bucket.
    for (let d = path.dirname(file); d !== dir && d.startsWith(dir + path.sep); d = path.dirname(d)) {
      try {
        await fs.rmdir(d);
      } catch {
        break;
      }
    }
    return removed;
  }

  async deletePrefix(bucket: string, prefix: string): Promise<number> {
    let deleted = 0;
    let marker: string | undefined;
    for (;;) {
      const page = await this.listObjects(bucket, { prefix, limit: 1000, ...(marker === undefined ? {} : { marker }) });
      for (const o of page.objects) if (await this.removeObject(bucket, o.key)) deleted++;
      if (page.nextMarker === undefined) return deleted;
      marker = page.nextMarker;
    }
  }

  /**
   * Walks folders in key order, reading one folder at a time, and stops once the page is full (plus one entry
   * to know it is truncated). Subtrees wholly outside the prefix, at or before the marker, or rolled up into a
   * common prefix are never entered.
   */
  async listObjects(bucket: string, opts: ListObjectsOptions): Promise<ListObjectsResult> {
    const root = await this.bucketDir(bucket);
    if (!(opts.limit >= 1)) throw new RangeError(`listObjects limit must be at least 1, not ${opts.limit}`);
    const prefix = opts.prefix ?? '';
    const marker = opts.marker ?? '';
    const delimiter = opts.delimiter || undefined;
    const objects: ObjectInfo[] = [];
    const commonPrefixes: string[] = [];
    let last: string | undefined;
    let truncated = false;
    const room = (): boolean => {
      if (objects.length + commonPrefixes.length < opts.limit) return true;
      truncated = true;
      return false;
    };
    // A common prefix at or before the marker was returned by an earlier page (its keys all start with it).
    const fresh = (cp: string): boolean => cp !== last && compareKeys(cp, marker) > 0;

    const walk = async (rel: string): Promise<boolean> => {
      const entries = (await readEntries(path.join(root, rel)))
        .map((e) => ({ isDir: e.isDirectory(), key: rel + e.name + (e.isDirectory() ? '/' : '') }))
        // Sorting 'name/' for folders puts them exactly where their keys fall among their siblings.
        .sort((a, b) => compareKeys(a.key, b.key));
      for (const { isDir, key } of entries) {
        if (isDir) {
          if (!key.startsWith(prefix) && !prefix.startsWith(key)) continue;
          if (!marker.startsWith(key) && compareKeys(key, marker) < 0) continue;
          const cp = rollUp(key, prefix, delimiter);
          if (cp === undefined) {
            if (!(await walk(key))) return false;
          } else if (fresh(cp) && (await hasObject(path.join(root, key)))) {
            if (!room()) return false;
            commonPrefixes.push(cp);
            last = cp;
          }
          continue;
        }
        if (!key.startsWith(prefix) || compareKeys(key, marker) <= 0) continue;
        const cp = rollUp(key, prefix, delimiter);
        if (cp !== undefined) {
          if (!fresh(cp)) continue;
          if (!room()) return false;
          commonPrefixes.push(cp);
          last = cp;
          continue;
        }
        // Files put there by other means may have names no key can have.
        if (key.includes('\\') || Buffer.byteLength(key, 'utf8') > 1024) continue;
        if (!room()) return false;
        const st = await fs.stat(path.join(root, key)).catch((e: unknown) => {
          if (isMissing(e)) return undefined; // deleted meanwhile
          throw e;
        });
        if (!st) continue;
        objects.push({ key, size: st.size, lastModified: st.mtime });
        last = key;
      }
      return true;
    };

    await walk('');
    return { objects, commonPrefixes, ...(truncated && last !== undefined ? { nextMarker: last } : {}) };
  }
}

/**
 * A file under a name no reader knows yet, written in place: created exclusively (an existing one is a
 * conflict), written and fsynced once. The rename and the folder fsync writeAtomically needs cost a
 * second journal commit; here the fsync of a new file commits the journal transaction that holds its
 * folder entry too (ext4, xfs). A crash mid-write leaves a partial file no one names, as a failed write does.
 */
async function writeNew(
  parent: string,
  file: string,
  body: () => Buffer | string,
  written?: () => void,
): Promise<void> {
  // Created and fsynced in the thread pool (either may wait on the filesystem's journal, behind another commit's
  // fsync); written and closed synchronously: in the page cache they cost less than a round trip to the pool.
  // The folder usually exists (a table's metadata folder): made only when the create says it is missing.
  const opened = openNew(file).catch(async (e: unknown) => {
    if (errCode(e) !== 'ENOENT') throw e;
    await fs.mkdir(parent, { recursive: true });
    return openNew(file);
  });
  // The body is made while the file is being created.
  let bytes: Buffer | string;
  try {
    bytes = body();
  } catch (e) {
    await opened.then(
      async (fd) => {
        closeSync(fd);
        await fs.rm(file, { force: true });
      },
      () => undefined,
    );
    throw e;
  }
  const fd = await opened;
  try {
    try {
      writeFileSync(fd, bytes);
      const synced = new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
      // The fsync is under way in the thread pool: the caller may work meanwhile.
      written?.();
      await synced;
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    await fs.rm(file, { force: true });
    throw e;
  }
}

/** A new file, created exclusively: its descriptor (the callback API: no FileHandle to make and close). */
const openNew = (file: string) =>
  new Promise<number>((resolve, reject) => open(file, 'wx', (err, fd) => (err ? reject(err) : resolve(fd))));

/** Writes the whole body, fsyncs it and closes the file, closed even when the write fails. */
async function writeSynced(handle: fs.FileHandle, body: Buffer | string): Promise<void> {
  try {
    await handle.writeFile(body);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeAtomically(parent: string, file: string, body: Buffer | string): Promise<void> {
  await fs.mkdir(parent, { recursive: true });
  // In the same folder, so the rename is atomic; readers see the old object or the new one, never a part.
  const tmp = path.join(parent, TEMP_PREFIX + randomBytes(8).toString('hex'));
  const handle = await fs.open(tmp, 'wx');
  try {
    await writeSynced(handle, body);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await syncDir(parent);
}
