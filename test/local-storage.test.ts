// The local-folder object store: buckets, objects, S3-like listing, and that no key or link escapes a bucket.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalObjectStorage } from '../src/storage/local-storage.js';
import {
  InvalidStorageNameError, StorageConflictError, StorageNotFoundError, compareKeys, parseLocation,
  validateBucketName, validateObjectKey, type ListObjectsOptions, type ObjectStorage,
} from '../src/storage/object-storage.js';

const made: string[] = [];
after(() => { for (const dir of made) fs.rmSync(dir, { recursive: true, force: true }); });

/** A fresh folder holding the warehouse root (`root`) and a sibling (`outside`) that must never be touched. */
function fresh(): { base: string; root: string; outside: string; storage: LocalObjectStorage } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-storage-'));
  made.push(base);
  const root = path.join(base, 'warehouse');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(root);
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret'), 'top secret');
  return { base, root, outside, storage: new LocalObjectStorage(root) };
}

/** S3 order: UTF-8 bytes. */
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** Every file under a folder, as relative paths, temp files included. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

async function listAll(storage: ObjectStorage, bucket: string, opts: ListObjectsOptions): Promise<{ items: string[]; pages: number }> {
  const items: string[] = [];
  let marker = opts.marker;
  for (let pages = 1; ; pages++) {
    const page = await storage.listObjects(bucket, { ...opts, ...(marker === undefined ? {} : { marker }) });
    assert.ok(page.objects.length + page.commonPrefixes.length <= opts.limit, 'a page never exceeds the limit');
    const got = [...page.objects.map((o) => o.key), ...page.commonPrefixes].sort(byteOrder);
    items.push(...got);
    if (page.nextMarker === undefined) return { items, pages };
    assert.equal(page.nextMarker, got.at(-1), 'the next marker is the last item returned');
    assert.equal(got.length, opts.limit, 'only a full page is truncated');
    marker = page.nextMarker;
    assert.ok(pages < 10_000, 'paging terminates');
  }
}

const TRICKY = [
  'a/b', 'a/c/d', 'a-b', 'a.b', 'ab', 'a0', 'A', '_x', '~', 'é', 'z', '😀', '\uFFFD', '\uFB00', '\uE000',
  'b/😀/x', 'b/\uE000/y', 'b/\uFFFD', 'b/c', 'b-c', 'b.c/d', 'b/c0', 'data/part-0001.parquet', 'data/.part-0001.crc',
  'data/_SUCCESS', 'dt=2024-01-01/x', 'dt=2024-01-02/x', 'dt=2024-01-02/y', 'dt=2024/z', 'x y/z', 'ünï/cödé',
];

describe('LocalObjectStorage', () => {
  test('buckets: idempotent create, exists, sorted list that ignores stray entries', async () => {
    const { root, base, storage } = fresh();
    assert.deepEqual(await new LocalObjectStorage(path.join(base, 'missing')).listBuckets(), []);
    for (const b of ['zeta', 'alpha', 'm-1', 'alpha']) await storage.createBucket(b);
    fs.mkdirSync(path.join(root, 'Not_A_Bucket'));
    fs.writeFileSync(path.join(root, 'file-bucket'), 'x');
    const buckets = await storage.listBuckets();
    assert.deepEqual(buckets.map((b) => b.name), ['alpha', 'm-1', 'zeta']);
    assert.ok(buckets.every((b) => b.location === 'local' && b.createdAt instanceof Date && !Number.isNaN(b.createdAt.getTime())));
    assert.equal(await storage.bucketExists('alpha'), true);
    assert.equal(await storage.bucketExists('beta'), false);
    assert.equal(await storage.bucketExists('file-bucket'), false);
    await assert.rejects(storage.createBucket('file-bucket'), StorageConflictError);
    assert.equal(storage.kind, 'local');
  });

  test('put, get, head, overwrite and delete', async () => {
    const { root, storage } = fresh();
    await storage.createBucket('bk1');
    await storage.putObject('bk1', 'hello.txt', 'hello');
    const binary = Buffer.from([0, 255, 1, 254, 10, 13]);
    await storage.putObject('bk1', 'dir/sub/blob.bin', binary);
    assert.equal((await storage.getObject('bk1', 'hello.txt')).toString(), 'hello');
    assert.deepEqual(await storage.getObject('bk1', 'dir/sub/blob.bin'), binary);
    const head = await storage.headObject('bk1', 'dir/sub/blob.bin');
    assert.equal(head?.key, 'dir/sub/blob.bin');
    assert.equal(head?.size, 6);
    assert.ok(head && Math.abs(head.lastModified.getTime() - Date.now()) < 60_000);
    await storage.putObject('bk1', 'hello.txt', 'bye');
    assert.equal((await storage.getObject('bk1', 'hello.txt')).toString(), 'bye');
    assert.equal(await storage.headObject('bk1', 'nope'), null);
    assert.equal(await storage.headObject('bk1', 'dir'), null, 'a folder is not an object');
    await assert.rejects(storage.getObject('bk1', 'nope'), StorageNotFoundError);
    await assert.rejects(storage.getObject('bk1', 'dir/sub'), StorageNotFoundError);
    await assert.rejects(storage.getObject('bk1', 'hello.txt/x'), StorageNotFoundError);

    await storage.putObject('bk1', 'dir/keep', 'k');
    await storage.deleteObject('bk1', 'dir/sub/blob.bin');
    await storage.deleteObject('bk1', 'dir/sub/blob.bin');
    await storage.deleteObject('bk1', 'never/was/here');
    assert.equal(await storage.headObject('bk1', 'dir/sub/blob.bin'), null);
    assert.equal(fs.existsSync(path.join(root, 'bk1', 'dir', 'sub')), false, 'the emptied folder is removed');
    assert.equal(fs.existsSync(path.join(root, 'bk1', 'dir', 'keep')), true);
    await storage.deleteObject('bk1', 'dir/keep');
    assert.equal(fs.existsSync(path.join(root, 'bk1', 'dir')), false);
    assert.equal(fs.existsSync(path.join(root, 'bk1')), true, 'the bucket itself stays');
    assert.deepEqual(filesUnder(path.join(root, 'bk1')), ['hello.txt'], 'no temp file is left behind');
  });

  test('a missing bucket is not found for every object operation', async () => {
    const { root, storage } = fresh();
    const ops: Array<() => Promise<unknown>> = [
      () => storage.listObjects('ghost', { limit: 10 }),
      () => storage.putObject('ghost', 'k', 'v'),
      () => storage.getObject('ghost', 'k'),
      () => storage.headObject('ghost', 'k'),
      () => storage.deleteObject('ghost', 'k'),
      () => storage.deletePrefix('ghost', ''),
    ];
    for (const op of ops) await assert.rejects(op(), StorageNotFoundError);
    assert.equal(fs.existsSync(path.join(root, 'ghost')), false, 'a put does not create the bucket');
  });

  test('keys a folder tree cannot hold side by side are conflicts', async () => {
    const { storage } = fresh();
    await storage.createBucket('bk1');
    await storage.putObject('bk1', 'a/b/c', '1');
    await assert.rejects(storage.putObject('bk1', 'a/b', '2'), StorageConflictError);
    await assert.rejects(storage.putObject('bk1', 'a/b/c/d', '2'), (e) => e instanceof StorageConflictError && e instanceof InvalidStorageNameError);
    await storage.deleteObject('bk1', 'a/b');
    assert.equal((await storage.getObject('bk1', 'a/b/c')).toString(), '1', 'deleting a folder name deletes nothing');
    for (const key of ['n/', 'n//m', '.lakeform-tmp-x', 'n/.lakeform-tmp-1/m', `${'x'.repeat(256)}/y`]) {
      await assert.rejects(storage.putObject('bk1', key, 'v'), (e) => e instanceof InvalidStorageNameError && !(e instanceof StorageConflictError), key);
    }
    assert.deepEqual((await storage.listObjects('bk1', { limit: 10 })).objects.map((o) => o.key), ['a/b/c']);
  });

  test('listing follows UTF-8 byte order with tricky keys', async () => {
    const { storage } = fresh();
    await storage.createBucket('bk1');
    for (const k of [...TRICKY].reverse()) await storage.putObject('bk1', k, k);
    const page = await storage.listObjects('bk1', { limit: 1000 });
    const keys = page.objects.map((o) => o.key);
    assert.deepEqual(keys, [...TRICKY].sort(byteOrder));
    assert.equal(page.nextMarker, undefined);
    assert.deepEqual(page.commonPrefixes, []);
    // JavaScript's own `<` puts U+1F600 before U+FFFD; S3 (and UTF-8) puts it after.
    assert.ok(keys.indexOf('\uFFFD') < keys.indexOf('😀'));
    assert.ok(keys.indexOf('\uE000') < keys.indexOf('😀'));
    assert.deepEqual(keys.filter((k) => /^a[-./0b]/.test(k)), ['a-b', 'a.b', 'a/b', 'a/c/d', 'a0', 'ab']);
    assert.equal(page.objects.find((o) => o.key === 'ünï/cödé')?.size, Buffer.byteLength('ünï/cödé'));
  });

  test('prefix + marker + limit paging visits every key exactly once', async () => {
    const { root, storage } = fresh();
    await storage.createBucket('bk1');
    const keys = [...TRICKY];
    for (let i = 0; i < 12; i++) keys.push(`deep/${i % 3}/${i}/leaf`, `deep/${i % 3}-${i}`);
    for (const k of keys) await storage.putObject('bk1', k, 'v');
    fs.writeFileSync(path.join(root, 'bk1', 'deep', '.lakeform-tmp-abandoned'), 'half');
    fs.mkdirSync(path.join(root, 'bk1', 'empty', 'folder'), { recursive: true });
    for (const prefix of ['', 'a', 'b/', 'deep/', 'deep/1', 'dt=2024-01', 'nothing']) {
      const expected = keys.filter((k) => k.startsWith(prefix)).sort(byteOrder);
      for (const limit of [1, 2, 3, 7, 1000]) {
        const { items, pages } = await listAll(storage, 'bk1', { prefix, limit });
        assert.deepEqual(items, expected, `prefix '${prefix}' limit ${limit}`);
        assert.equal(pages, Math.max(1, Math.ceil(expected.length / limit)), 'a full last page is not reported as truncated');
      }
    }
    for (const marker of ['a/c', 'b/😀', 'dt=2024-01-02/x', 'deep/', '\uFFFF', '😀']) {
      const { items } = await listAll(storage, 'bk1', { marker, limit: 4 });
      assert.deepEqual(items, keys.filter((k) => byteOrder(k, marker) > 0).sort(byteOrder), `marker '${marker}'`);
    }
    const last = await storage.listObjects('bk1', { marker: '\u{10FFFF}', limit: 5 });
    assert.deepEqual(last, { objects: [], commonPrefixes: [] });
    await assert.rejects(storage.listObjects('bk1', { limit: 0 }), RangeError);
  });

  test("delimiter '/' rolls keys up into common prefixes like S3", async () => {
    const { root, storage } = fresh();
    await storage.createBucket('bk1');
    for (const k of ['a/b/c', 'a/b/d', 'a/x', 'a-1', 'b', 'c/d', 'c/e/f', 'cat']) await storage.putObject('bk1', k, 'v');
    fs.mkdirSync(path.join(root, 'bk1', 'empty', 'sub'), { recursive: true });
    fs.mkdirSync(path.join(root, 'bk1', 'tmponly'));
    fs.writeFileSync(path.join(root, 'bk1', 'tmponly', '.lakeform-tmp-1'), 'x');
    const list = async (prefix: string) => {
      const r = await storage.listObjects('bk1', { prefix, delimiter: '/', limit: 100 });
      return { objects: r.objects.map((o) => o.key), prefixes: r.commonPrefixes, next: r.nextMarker };
    };
    assert.deepEqual(await list(''), { objects: ['a-1', 'b', 'cat'], prefixes: ['a/', 'c/'], next: undefined });
    assert.deepEqual(await list('a/'), { objects: ['a/x'], prefixes: ['a/b/'], next: undefined });
    assert.deepEqual(await list('a'), { objects: ['a-1'], prefixes: ['a/'], next: undefined });
    assert.deepEqual(await list('c'), { objects: ['cat'], prefixes: ['c/'], next: undefined });
    assert.deepEqual(await list('a/b/'), { objects: ['a/b/c', 'a/b/d'], prefixes: [], next: undefined });
    assert.deepEqual(await list('empty/'), { objects: [], prefixes: [], next: undefined });
    for (const limit of [1, 2, 3]) {
      const { items } = await listAll(storage, 'bk1', { delimiter: '/', limit });
      assert.deepEqual(items, ['a-1', 'a/', 'b', 'c/', 'cat'], `limit ${limit}`);
    }
    // A marker inside a rolled-up folder means that prefix was already returned.
    const after = await storage.listObjects('bk1', { delimiter: '/', marker: 'a/b/c', limit: 100 });
    assert.deepEqual([after.objects.map((o) => o.key), after.commonPrefixes], [['b', 'cat'], ['c/']]);
  });

  test('other delimiters roll up at their first occurrence after the prefix', async () => {
    const { storage } = fresh();
    await storage.createBucket('bk1');
    for (const k of ['x-1', 'x-2/y', 'x/z', 'x/q-r/s', 'y']) await storage.putObject('bk1', k, 'v');
    const r = await storage.listObjects('bk1', { delimiter: '-', limit: 10 });
    assert.deepEqual(r.commonPrefixes, ['x-', 'x/q-']);
    assert.deepEqual(r.objects.map((o) => o.key), ['x/z', 'y']);
    const { items } = await listAll(storage, 'bk1', { delimiter: '-', limit: 1 });
    assert.deepEqual(items, ['x-', 'x/q-', 'x/z', 'y']);
  });

  test('keys and bucket names cannot traverse out of a bucket', async () => {
    const { base, root, outside, storage } = fresh();
    await storage.createBucket('bk1');
    await storage.createBucket('bk2');
    await storage.putObject('bk2', 'x', 'other bucket');
    const before = filesUnder(base);
    const badKeys = ['../x', '../bk2/x', 'a/../../x', 'a/../x', '/etc/passwd', path.join(outside, 'secret'), '..', '.', './a',
      'a/./b', 'a\\..\\..\\x', '', 'nul\0byte', '\uD800lone', 'x'.repeat(1025)];
    for (const key of badKeys) {
      await assert.rejects(storage.putObject('bk1', key, 'pwned'), InvalidStorageNameError, `put ${JSON.stringify(key)}`);
      await assert.rejects(storage.getObject('bk1', key), InvalidStorageNameError, `get ${JSON.stringify(key)}`);
      await assert.rejects(storage.headObject('bk1', key), InvalidStorageNameError);
      await assert.rejects(storage.deleteObject('bk1', key), InvalidStorageNameError);
    }
    for (const bucket of ['a/b', '..', '../outside', 'bk1/..', '.', '/tmp', 'B1', 'bk1/../bk2']) {
      await assert.rejects(storage.createBucket(bucket), InvalidStorageNameError, bucket);
      await assert.rejects(storage.bucketExists(bucket), InvalidStorageNameError);
      await assert.rejects(storage.putObject(bucket, 'x', 'pwned'), InvalidStorageNameError);
      await assert.rejects(storage.getObject(bucket, 'secret'), InvalidStorageNameError);
      await assert.rejects(storage.listObjects(bucket, { limit: 10 }), InvalidStorageNameError);
      await assert.rejects(storage.deletePrefix(bucket, ''), InvalidStorageNameError);
    }
    assert.deepEqual(filesUnder(base), before, 'nothing was written or removed anywhere');
    assert.equal(fs.readFileSync(path.join(root, 'bk2', 'x'), 'utf8'), 'other bucket');
  });

  test('symlinks cannot lead out of a bucket', async () => {
    const { base, root, outside, storage } = fresh();
    await storage.createBucket('bk1');
    const bucket = path.join(root, 'bk1');
    fs.symlinkSync(outside, path.join(bucket, 'link'));
    fs.symlinkSync(path.join(outside, 'secret'), path.join(bucket, 'file-link'));
    fs.symlinkSync('../../outside', path.join(bucket, 'rel-link'));
    const before = filesUnder(outside);
    for (const key of ['link/secret', 'rel-link/secret', 'file-link']) {
      await assert.rejects(storage.getObject('bk1', key), InvalidStorageNameError, key);
      await assert.rejects(storage.headObject('bk1', key), InvalidStorageNameError, key);
    }
    for (const key of ['link/new', 'link/sub/new', 'rel-link/deeper/still/new']) {
      await assert.rejects(storage.putObject('bk1', key, 'pwned'), InvalidStorageNameError, key);
    }
    await assert.rejects(storage.deleteObject('bk1', 'link/secret'), InvalidStorageNameError);
    assert.equal(await storage.deletePrefix('bk1', 'link'), 0);
    assert.deepEqual(filesUnder(outside), before, 'outside is untouched');
    assert.deepEqual(fs.readdirSync(outside), ['secret']);
    const listed = await storage.listObjects('bk1', { limit: 100 });
    assert.deepEqual(listed.objects, [], 'links are not listed');
    // The link itself lies in the bucket: deleting or replacing it never touches its target.
    await storage.putObject('bk1', 'file-link', 'replaced');
    assert.equal(fs.lstatSync(path.join(bucket, 'file-link')).isSymbolicLink(), false);
    await storage.deleteObject('bk1', 'file-link');
    assert.equal(fs.readFileSync(path.join(outside, 'secret'), 'utf8'), 'top secret');
    // A link that stays inside the bucket is fine, and so is a bucket that is itself a link.
    await storage.putObject('bk1', 'real/x', 'inside');
    fs.symlinkSync(path.join(bucket, 'real'), path.join(bucket, 'alias'));
    assert.equal((await storage.getObject('bk1', 'alias/x')).toString(), 'inside');
    fs.mkdirSync(path.join(base, 'elsewhere'));
    fs.symlinkSync(path.join(base, 'elsewhere'), path.join(root, 'linked-bucket'));
    await storage.putObject('linked-bucket', 'k', 'v');
    assert.equal(fs.readFileSync(path.join(base, 'elsewhere', 'k'), 'utf8'), 'v');
    assert.ok((await storage.listBuckets()).some((b) => b.name === 'linked-bucket'));
  });

  test('deletePrefix removes everything under a prefix, over several pages', async () => {
    const { root, storage } = fresh();
    await storage.createBucket('bk1');
    const bucket = path.join(root, 'bk1');
    // Written directly: enough objects for deletePrefix to take several listing pages.
    for (let d = 0; d < 3; d++) {
      fs.mkdirSync(path.join(bucket, 't', 'p1', `d${d}`), { recursive: true });
      for (let i = 0; i < 400; i++) fs.writeFileSync(path.join(bucket, 't', 'p1', `d${d}`, `f${i}`), 'x');
    }
    for (const k of ['t/p1x', 't/p10/a', 't/p2/a', 'u']) await storage.putObject('bk1', k, 'keep');
    assert.equal(await storage.deletePrefix('bk1', 't/p1/'), 1200);
    assert.equal(fs.existsSync(path.join(bucket, 't', 'p1')), false, 'emptied folders are removed');
    assert.deepEqual((await listAll(storage, 'bk1', { limit: 2 })).items, ['t/p10/a', 't/p1x', 't/p2/a', 'u']);
    assert.equal(await storage.deletePrefix('bk1', 't/p1/'), 0);
    assert.equal(await storage.deletePrefix('bk1', 't/p1'), 2);
    assert.equal(await storage.deletePrefix('bk1', ''), 2);
    assert.deepEqual(filesUnder(bucket), []);
    assert.deepEqual(fs.readdirSync(bucket), []);
  });

  test('concurrent writers: readers see whole objects, racing deletes do not break puts', async () => {
    const { root, storage } = fresh();
    await storage.createBucket('bk1');
    const bodies = ['a', 'b', 'c', 'd'].map((c) => c.repeat(256 * 1024));
    await storage.putObject('bk1', 'big', bodies[0] ?? '');
    const reads: Array<Promise<Buffer>> = [];
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < 20; i++) {
      writes.push(storage.putObject('bk1', 'big', bodies[i % bodies.length] ?? ''));
      reads.push(storage.getObject('bk1', 'big'));
    }
    // In-flight temp files never show in a listing.
    let done = false;
    const written = Promise.all(writes).finally(() => { done = true; });
    const seen = new Set<string>();
    while (!done) for (const o of (await storage.listObjects('bk1', { limit: 10 })).objects) seen.add(o.key);
    await written;
    assert.deepEqual([...seen], ['big']);
    for (const r of await Promise.all(reads)) assert.ok(bodies.includes(r.toString()), 'never a torn object');
    for (let i = 0; i < 50; i++) {
      // Deleting a missing sibling tries to remove the folder the put is writing into.
      await Promise.all([storage.putObject('bk1', `race/${i}/x`, 'v'), storage.deleteObject('bk1', `race/${i}/y`)]);
    }
    assert.equal((await storage.listObjects('bk1', { prefix: 'race/', limit: 100 })).objects.length, 50);
    assert.ok(filesUnder(path.join(root, 'bk1')).every((f) => !f.includes('.lakeform-tmp-')));
  });
});

describe('parseLocation', () => {
  test('obs, s3 and file locations', () => {
    assert.deepEqual(parseLocation('obs://bucket/a/b'), { scheme: 'obs', bucket: 'bucket', key: 'a/b' });
    assert.deepEqual(parseLocation('s3://my.bucket/a'), { scheme: 's3', bucket: 'my.bucket', key: 'a' });
    assert.deepEqual(parseLocation('obs://bucket'), { scheme: 'obs', bucket: 'bucket', key: '' });
    assert.deepEqual(parseLocation('obs://bucket/'), { scheme: 'obs', bucket: 'bucket', key: '' });
    assert.deepEqual(parseLocation('obs://bucket/db/t/'), { scheme: 'obs', bucket: 'bucket', key: 'db/t/' });
    assert.deepEqual(parseLocation('file:///abs/path'), { scheme: 'file', bucket: '', key: '/abs/path' });
    for (const bad of ['', 'bucket/a', '/abs/path', 'obs:/bucket/a', 'obs:///a', 'http://b/a', 'OBS://b/a', 'hdfs://nn/a',
      'file://host/path', 'file://', 'file:/abs', 's3://b/a\nb']) {
      assert.equal(parseLocation(bad), null, JSON.stringify(bad));
    }
  });
});

describe('validateBucketName', () => {
  test('accepts S3/OBS names and rejects the rest', () => {
    for (const ok of ['abc', 'my-bucket', 'my.bucket.1', '1bucket', 'a'.repeat(63), 'a1-b2.c3']) {
      assert.doesNotThrow(() => validateBucketName(ok), ok);
    }
    for (const bad of ['ab', 'a'.repeat(64), 'My-bucket', 'my_bucket', '-abc', 'abc-', '.abc', 'abc.', 'a..b', 'a.-b', 'a-.b',
      '192.168.1.1', '10.0.0.255', 'a/b', '..', 'a b', 'ab\0', 'bücket', '']) {
      assert.throws(() => validateBucketName(bad), InvalidStorageNameError, JSON.stringify(bad));
    }
  });
});

describe('validateObjectKey', () => {
  test('accepts ordinary keys and rejects unsafe ones', () => {
    for (const ok of ['a', 'a/b/c', 'a/', '.hidden', 'a/..b', '...', 'a.b/c..', 'dt=2024-01-01/part 0.parquet', '😀', 'x'.repeat(1024), 'é'.repeat(512)]) {
      assert.doesNotThrow(() => validateObjectKey(ok), ok);
    }
    for (const bad of ['', 'x'.repeat(1025), 'é'.repeat(513), '/a', 'a\0b', 'a\\b', '.', '..', './a', 'a/.', 'a/./b', 'a/..', '../a',
      'a/../b', '\uDC00', 'a\uD800']) {
      assert.throws(() => validateObjectKey(bad), InvalidStorageNameError, JSON.stringify(bad));
    }
  });
});

describe('compareKeys', () => {
  test('agrees with UTF-8 byte order', () => {
    const alphabet = ['a', 'b', '/', '-', '.', 'é', '\u0800', '\uD7FF', '\uE000', '\uFFFD', '\uFFFF', '😀', '\u{10000}', '\u{10FFFF}'];
    let seed = 7;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    const word = () => Array.from({ length: rand(4) }, () => alphabet[rand(alphabet.length)]).join('');
    for (let i = 0; i < 2000; i++) {
      const a = word();
      const b = word();
      assert.equal(Math.sign(compareKeys(a, b)), Math.sign(byteOrder(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  });
});
