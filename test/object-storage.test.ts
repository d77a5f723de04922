// The object-storage port: the contract every backend meets (the local folder, and S3 against a test S3 server), and
// the port's pure helpers. What only a folder can get wrong (paths, links, temp files) is in local-storage.test.ts.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { LocalObjectStorage } from '../src/storage/local-storage.js';
import {
  compareKeys,
  InvalidStorageNameError,
  type ObjectStorage,
  parseLocation,
  StorageNotFoundError,
  validateBucketName,
  validateObjectKey,
} from '../src/storage/object-storage.js';
import { S3ObjectStorage } from '../src/storage/s3-storage.js';
import { startS3Server } from './helpers/s3-server.js';
import { byteOrder, listAll, TRICKY } from './helpers/storage.js';

interface Backend {
  name: string;
  /** A storage holding no bucket. */
  fresh(): ObjectStorage;
  /** What `listBuckets` reports as a bucket's location. */
  location: string;
  /**
   * Set when the server behind the backend does not list exactly as S3 does: the tests that would only test the server
   * are skipped.
   */
  inexactListing?: string;
}

const s3 = await startS3Server();
const dirs: string[] = [];
const opened: ObjectStorage[] = [];
after(async () => {
  for (const s of opened) s.close?.();
  await s3.stop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

const S3RVER_ORDER =
  's3rver lists keys in the order of its folder walk and skips ' +
  'folders named with the delimiter; S3 lists by UTF-8 bytes';
const freshS3 =
  (options = {}) =>
  () => {
    s3.reset();
    const storage = new S3ObjectStorage(s3.settings, options);
    opened.push(storage);
    return storage;
  };
const BACKENDS: Backend[] = [
  {
    name: 'local',
    fresh: () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-storage-'));
      dirs.push(dir);
      return new LocalObjectStorage(dir);
    },
    location: 'local',
  },
  { name: 's3', fresh: freshS3(), location: 'us-east-1', inexactListing: S3RVER_ORDER },
  // Two keys per ListObjects request: every page takes several requests, as with a store that returns short pages.
  {
    name: 's3, 2 keys per request',
    fresh: freshS3({ maxKeysPerRequest: 2 }),
    location: 'us-east-1',
    inexactListing: S3RVER_ORDER,
  },
];

/**
 * Nested keys that a folder walk visits in S3 order too (no segment is a prefix of a sibling followed by a byte below
 * '/').
 */
const PLAIN = [
  'a/b',
  'a/c/d',
  'b/x/1',
  'b/x/2',
  'b/y',
  'c',
  'd/e/f/g',
  'dt=2024-01-01/x',
  'dt=2024-01-02/x',
  'dt=2024-01-02/y',
  'é/ü',
  'z',
  ...Array.from({ length: 12 }, (_, i) => `deep/${i % 3}/${i}/leaf`),
];

for (const backend of BACKENDS) {
  describe(`object storage contract (${backend.name})`, () => {
    const exactOnly = backend.inexactListing ? { skip: backend.inexactListing } : {};

    test('buckets: idempotent create, exists, sorted list', async () => {
      const storage = backend.fresh();
      assert.deepEqual(await storage.listBuckets(), []);
      for (const b of ['zeta', 'alpha', 'm-1', 'alpha']) await storage.createBucket(b);
      const buckets = await storage.listBuckets();
      assert.deepEqual(
        buckets.map((b) => b.name),
        ['alpha', 'm-1', 'zeta'],
      );
      assert.ok(
        buckets.every(
          (b) => b.location === backend.location && b.createdAt instanceof Date && !Number.isNaN(b.createdAt.getTime()),
        ),
      );
      assert.equal(await storage.bucketExists('alpha'), true);
      assert.equal(await storage.bucketExists('beta'), false);
    });

    test('ranged reads return exactly the bytes asked for, clamped to the object', async () => {
      const storage = backend.fresh();
      await storage.createBucket('bkr');
      await storage.putObject('bkr', 'd/ten.bin', 'abcdefghij');
      assert.equal((await storage.getObjectRange('bkr', 'd/ten.bin', 2, 5)).toString(), 'cde');
      assert.equal((await storage.getObjectRange('bkr', 'd/ten.bin', 0, 10)).toString(), 'abcdefghij');
      assert.equal((await storage.getObjectRange('bkr', 'd/ten.bin', 8, 100)).toString(), 'ij', 'the end is clamped');
      assert.equal((await storage.getObjectRange('bkr', 'd/ten.bin', 20, 30)).length, 0, 'past the end: nothing');
      await assert.rejects(storage.getObjectRange('bkr', 'd/nope', 0, 4), StorageNotFoundError);
    });

    test('put, get, head, overwrite and delete', async () => {
      const storage = backend.fresh();
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
      assert.equal(await storage.headObject('bk1', 'dir'), null, 'a prefix of keys is not an object');
      await assert.rejects(storage.getObject('bk1', 'nope'), StorageNotFoundError);
      await assert.rejects(storage.getObject('bk1', 'dir/sub'), StorageNotFoundError);
      await assert.rejects(storage.getObject('bk1', 'hello.txt/x'), StorageNotFoundError);

      await storage.putObject('bk1', 'dir/keep', 'k');
      await storage.deleteObject('bk1', 'dir/sub/blob.bin');
      await storage.deleteObject('bk1', 'dir/sub/blob.bin');
      await storage.deleteObject('bk1', 'never/was/here');
      assert.equal(await storage.headObject('bk1', 'dir/sub/blob.bin'), null);
      await assert.rejects(storage.getObject('bk1', 'dir/sub/blob.bin'), StorageNotFoundError);
      assert.deepEqual(
        (await storage.listObjects('bk1', { limit: 10 })).objects.map((o) => o.key),
        ['dir/keep', 'hello.txt'],
      );
      assert.equal(await storage.bucketExists('bk1'), true, 'the bucket itself stays');
    });

    test('a missing bucket is not found for every object operation', async () => {
      const storage = backend.fresh();
      const ops: Array<() => Promise<unknown>> = [
        () => storage.listObjects('ghost', { limit: 10 }),
        () => storage.putObject('ghost', 'k', 'v'),
        () => storage.getObject('ghost', 'k'),
        () => storage.headObject('ghost', 'k'),
        () => storage.deleteObject('ghost', 'k'),
        () => storage.deletePrefix('ghost', ''),
      ];
      for (const op of ops) await assert.rejects(op(), StorageNotFoundError);
      assert.equal(await storage.bucketExists('ghost'), false, 'a put does not create the bucket');
    });

    test('names no bucket or key may have are refused', async () => {
      const storage = backend.fresh();
      await storage.createBucket('bk1');
      for (const key of [
        '../x',
        'a/../../x',
        'a/../x',
        '/etc/passwd',
        '..',
        '.',
        './a',
        'a/./b',
        'a\\..\\..\\x',
        '',
        'nul\0byte',
        '\uD800lone',
        'x'.repeat(1025),
      ]) {
        await assert.rejects(storage.putObject('bk1', key, 'v'), InvalidStorageNameError, `put ${JSON.stringify(key)}`);
        await assert.rejects(storage.getObject('bk1', key), InvalidStorageNameError);
        await assert.rejects(storage.headObject('bk1', key), InvalidStorageNameError);
        await assert.rejects(storage.deleteObject('bk1', key), InvalidStorageNameError);
      }
      for (const bucket of ['a/b', '..', 'bk1/..', '.', 'B1', 'ab', 'my_bucket', '192.168.1.1']) {
        await assert.rejects(storage.createBucket(bucket), InvalidStorageNameError, bucket);
        await assert.rejects(storage.bucketExists(bucket), InvalidStorageNameError);
        await assert.rejects(storage.putObject(bucket, 'x', 'v'), InvalidStorageNameError);
        await assert.rejects(storage.listObjects(bucket, { limit: 10 }), InvalidStorageNameError);
        await assert.rejects(storage.deletePrefix(bucket, ''), InvalidStorageNameError);
      }
      assert.deepEqual((await storage.listObjects('bk1', { limit: 10 })).objects, []);
      assert.deepEqual(
        (await storage.listBuckets()).map((b) => b.name),
        ['bk1'],
      );
    });

    test('listing follows UTF-8 byte order with tricky keys', exactOnly, async () => {
      const storage = backend.fresh();
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
      assert.deepEqual(
        keys.filter((k) => /^a[-./0b]/.test(k)),
        ['a-b', 'a.b', 'a/b', 'a/c/d', 'a0', 'ab'],
      );
      assert.equal(page.objects.find((o) => o.key === 'ünï/cödé')?.size, Buffer.byteLength('ünï/cödé'));
    });

    /** Every prefix × limit, and markers, page through exactly the expected keys. */
    async function checkPaging(
      storage: ObjectStorage,
      keys: string[],
      prefixes: string[],
      markers: string[],
    ): Promise<void> {
      for (const prefix of prefixes) {
        const expected = keys.filter((k) => k.startsWith(prefix)).sort(byteOrder);
        for (const limit of [1, 2, 3, 7, 1000]) {
          const { items, pages } = await listAll(storage, 'bk1', { prefix, limit });
          assert.deepEqual(items, expected, `prefix '${prefix}' limit ${limit}`);
          assert.equal(
            pages,
            Math.max(1, Math.ceil(expected.length / limit)),
            'a full last page is not reported as truncated',
          );
        }
      }
      for (const marker of markers) {
        const { items } = await listAll(storage, 'bk1', { marker, limit: 4 });
        assert.deepEqual(items, keys.filter((k) => byteOrder(k, marker) > 0).sort(byteOrder), `marker '${marker}'`);
      }
      assert.deepEqual(await storage.listObjects('bk1', { marker: '\u{10FFFF}', limit: 5 }), {
        objects: [],
        commonPrefixes: [],
      });
      await assert.rejects(storage.listObjects('bk1', { limit: 0 }), RangeError);
    }

    test('prefix + marker + limit paging visits every key exactly once', async () => {
      const storage = backend.fresh();
      await storage.createBucket('bk1');
      for (const k of PLAIN) await storage.putObject('bk1', k, 'v');
      await checkPaging(
        storage,
        PLAIN,
        ['', 'a', 'b/', 'deep/', 'deep/1', 'dt=2024-01', 'nothing'],
        ['a/c', 'b/x/1', 'deep/', 'dt=2024-01-02/x', 'é', '\uFFFF'],
      );
    });

    test('prefix + marker + limit paging visits every tricky key exactly once', exactOnly, async () => {
      const storage = backend.fresh();
      await storage.createBucket('bk1');
      const keys = [...TRICKY];
      for (let i = 0; i < 12; i++) keys.push(`deep/${i % 3}/${i}/leaf`, `deep/${i % 3}-${i}`);
      for (const k of keys) await storage.putObject('bk1', k, 'v');
      await checkPaging(
        storage,
        keys,
        ['', 'a', 'b/', 'deep/', 'deep/1', 'dt=2024-01', 'nothing'],
        ['a/c', 'b/😀', 'dt=2024-01-02/x', 'deep/', '\uFFFF', '😀'],
      );
    });

    test("delimiter '/' rolls keys up into common prefixes like S3", async () => {
      const storage = backend.fresh();
      await storage.createBucket('bk1');
      for (const k of ['a/b/c', 'a/b/d', 'a/x', 'a-1', 'b', 'c/d', 'c/e/f', 'cat'])
        await storage.putObject('bk1', k, 'v');
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
      // A marker inside a rolled-up prefix, or equal to it, means that prefix was already returned.
      for (const marker of ['a/b/c', 'a/']) {
        const rest = await storage.listObjects('bk1', { delimiter: '/', marker, limit: 100 });
        assert.deepEqual([rest.objects.map((o) => o.key), rest.commonPrefixes], [['b', 'cat'], ['c/']], marker);
      }
    });

    test('other delimiters roll up at their first occurrence after the prefix', exactOnly, async () => {
      const storage = backend.fresh();
      await storage.createBucket('bk1');
      for (const k of ['x-1', 'x-2/y', 'x/z', 'x/q-r/s', 'y']) await storage.putObject('bk1', k, 'v');
      const r = await storage.listObjects('bk1', { delimiter: '-', limit: 10 });
      assert.deepEqual(r.commonPrefixes, ['x-', 'x/q-']);
      assert.deepEqual(
        r.objects.map((o) => o.key),
        ['x/z', 'y'],
      );
      const { items } = await listAll(storage, 'bk1', { delimiter: '-', limit: 1 });
      assert.deepEqual(items, ['x-', 'x/q-', 'x/z', 'y']);
    });

    test('deletePrefix removes everything under a prefix and counts it', async () => {
      const storage = backend.fresh();
      await storage.createBucket('bk1');
      const doomed = Array.from({ length: 25 }, (_, i) => `t/p1/d${i % 3}/f${i}`);
      await Promise.all([...doomed, 't/p1x', 't/p10/a', 't/p2/a', 'u'].map((k) => storage.putObject('bk1', k, 'v')));
      assert.equal(await storage.deletePrefix('bk1', 't/p1/'), doomed.length);
      assert.deepEqual((await listAll(storage, 'bk1', { limit: 2 })).items, ['t/p10/a', 't/p1x', 't/p2/a', 'u']);
      assert.equal(await storage.deletePrefix('bk1', 't/p1/'), 0);
      assert.equal(await storage.deletePrefix('bk1', 't/p1'), 2);
      assert.equal(await storage.deletePrefix('bk1', ''), 2);
      assert.deepEqual(await storage.listObjects('bk1', { limit: 10 }), { objects: [], commonPrefixes: [] });
      assert.equal(await storage.bucketExists('bk1'), true);
    });
  });
}

describe('parseLocation', () => {
  test('obs, s3 and file locations', () => {
    assert.deepEqual(parseLocation('obs://bucket/a/b'), { scheme: 'obs', bucket: 'bucket', key: 'a/b' });
    assert.deepEqual(parseLocation('s3://my.bucket/a'), { scheme: 's3', bucket: 'my.bucket', key: 'a' });
    assert.deepEqual(parseLocation('obs://bucket'), { scheme: 'obs', bucket: 'bucket', key: '' });
    assert.deepEqual(parseLocation('obs://bucket/'), { scheme: 'obs', bucket: 'bucket', key: '' });
    assert.deepEqual(parseLocation('obs://bucket/db/t/'), { scheme: 'obs', bucket: 'bucket', key: 'db/t/' });
    assert.deepEqual(parseLocation('file:///abs/path'), { scheme: 'file', bucket: '', key: '/abs/path' });
    for (const bad of [
      '',
      'bucket/a',
      '/abs/path',
      'obs:/bucket/a',
      'obs:///a',
      'http://b/a',
      'OBS://b/a',
      'hdfs://nn/a',
      'file://host/path',
      'file://',
      'file:/abs',
      's3://b/a\nb',
    ]) {
      assert.equal(parseLocation(bad), null, JSON.stringify(bad));
    }
  });
});

describe('validateBucketName', () => {
  test('accepts S3/OBS names and rejects the rest', () => {
    for (const ok of ['abc', 'my-bucket', 'my.bucket.1', '1bucket', 'a'.repeat(63), 'a1-b2.c3']) {
      assert.doesNotThrow(() => validateBucketName(ok), ok);
    }
    for (const bad of [
      'ab',
      'a'.repeat(64),
      'My-bucket',
      'my_bucket',
      '-abc',
      'abc-',
      '.abc',
      'abc.',
      'a..b',
      'a.-b',
      'a-.b',
      '192.168.1.1',
      '10.0.0.255',
      'a/b',
      '..',
      'a b',
      'ab\0',
      'bücket',
      '',
    ]) {
      assert.throws(() => validateBucketName(bad), InvalidStorageNameError, JSON.stringify(bad));
    }
  });
});

describe('validateObjectKey', () => {
  test('accepts ordinary keys and rejects unsafe ones', () => {
    for (const ok of [
      'a',
      'a/b/c',
      'a/',
      '.hidden',
      'a/..b',
      '...',
      'a.b/c..',
      'dt=2024-01-01/part 0.parquet',
      '😀',
      'x'.repeat(1024),
      'é'.repeat(512),
    ]) {
      assert.doesNotThrow(() => validateObjectKey(ok), ok);
    }
    for (const bad of [
      '',
      'x'.repeat(1025),
      'é'.repeat(513),
      '/a',
      'a\0b',
      'a\\b',
      '.',
      '..',
      './a',
      'a/.',
      'a/./b',
      'a/..',
      '../a',
      'a/../b',
      '\uDC00',
      'a\uD800',
    ]) {
      assert.throws(() => validateObjectKey(bad), InvalidStorageNameError, JSON.stringify(bad));
    }
  });
});

describe('compareKeys', () => {
  test('agrees with UTF-8 byte order', () => {
    const alphabet = [
      'a',
      'b',
      '/',
      '-',
      '.',
      'é',
      '\u0800',
      '\uD7FF',
      '\uE000',
      '\uFFFD',
      '\uFFFF',
      '😀',
      '\u{10000}',
      '\u{10FFFF}',
    ];
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const word = () => Array.from({ length: rand(4) }, () => alphabet[rand(alphabet.length)]).join('');
    for (let i = 0; i < 2000; i++) {
      const a = word();
      const b = word();
      assert.equal(
        Math.sign(compareKeys(a, b)),
        Math.sign(byteOrder(a, b)),
        `${JSON.stringify(a)} vs ${JSON.stringify(b)}`,
      );
    }
  });
});
