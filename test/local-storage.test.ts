// What only the local-folder object store can get wrong: stray files, folders and temp files, keys a folder tree
// cannot hold, paths and links that would leave a bucket, durability under concurrent writers. The behaviour every
// backend shares is in object-storage.test.ts.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { LocalObjectStorage } from '../src/storage/local-storage.js';
import { InvalidStorageNameError, StorageConflictError, StorageNotFoundError } from '../src/storage/object-storage.js';
import { listAll } from './helpers/storage.js';

const made: string[] = [];
after(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

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

/** Every file under a folder, as relative paths, temp files included. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('LocalObjectStorage', () => {
  test('listBuckets ignores stray entries; a file in the way of a bucket is a conflict', async () => {
    const { root, base, storage } = fresh();
    assert.deepEqual(await new LocalObjectStorage(path.join(base, 'missing')).listBuckets(), []);
    await storage.createBucket('alpha');
    fs.mkdirSync(path.join(root, 'Not_A_Bucket'));
    fs.writeFileSync(path.join(root, 'file-bucket'), 'x');
    assert.deepEqual(
      (await storage.listBuckets()).map((b) => b.name),
      ['alpha'],
    );
    assert.equal(await storage.bucketExists('file-bucket'), false);
    await assert.rejects(storage.createBucket('file-bucket'), StorageConflictError);
    assert.equal(storage.kind, 'local');
  });

  test('deletes remove the folders they empty, never the bucket, and leave no temp file', async () => {
    const { root, storage } = fresh();
    await storage.createBucket('bk1');
    await storage.putObject('bk1', 'hello.txt', 'hello');
    await storage.putObject('bk1', 'dir/sub/blob.bin', 'b');
    await storage.putObject('bk1', 'dir/keep', 'k');
    await storage.deleteObject('bk1', 'dir/sub/blob.bin');
    assert.equal(fs.existsSync(path.join(root, 'bk1', 'dir', 'sub')), false, 'the emptied folder is removed');
    assert.equal(fs.existsSync(path.join(root, 'bk1', 'dir', 'keep')), true);
    await storage.deleteObject('bk1', 'dir/keep');
    assert.equal(fs.existsSync(path.join(root, 'bk1', 'dir')), false);
    assert.equal(fs.existsSync(path.join(root, 'bk1')), true, 'the bucket itself stays');
    assert.deepEqual(filesUnder(path.join(root, 'bk1')), ['hello.txt'], 'no temp file is left behind');
    await assert.rejects(storage.putObject('ghost', 'k', 'v'), StorageNotFoundError);
    assert.equal(fs.existsSync(path.join(root, 'ghost')), false, 'a put does not create the bucket folder');
  });

  test('keys a folder tree cannot hold side by side are conflicts', async () => {
    const { storage } = fresh();
    await storage.createBucket('bk1');
    await storage.putObject('bk1', 'a/b/c', '1');
    await assert.rejects(storage.putObject('bk1', 'a/b', '2'), StorageConflictError);
    await assert.rejects(
      storage.putObject('bk1', 'a/b/c/d', '2'),
      (e) => e instanceof StorageConflictError && e instanceof InvalidStorageNameError,
    );
    await storage.deleteObject('bk1', 'a/b');
    assert.equal((await storage.getObject('bk1', 'a/b/c')).toString(), '1', 'deleting a folder name deletes nothing');
    for (const key of ['n/', 'n//m', '.lakeform-tmp-x', 'n/.lakeform-tmp-1/m', `${'x'.repeat(256)}/y`]) {
      await assert.rejects(
        storage.putObject('bk1', key, 'v'),
        (e) => e instanceof InvalidStorageNameError && !(e instanceof StorageConflictError),
        key,
      );
    }
    assert.deepEqual(
      (await storage.listObjects('bk1', { limit: 10 })).objects.map((o) => o.key),
      ['a/b/c'],
    );
  });

  test('temp files and folders without objects are never listed', async () => {
    const { root, storage } = fresh();
    await storage.createBucket('bk1');
    const keys = ['a/x', 'deep/1/leaf', 'deep/2', 'z'];
    for (const k of keys) await storage.putObject('bk1', k, 'v');
    fs.writeFileSync(path.join(root, 'bk1', 'deep', '.lakeform-tmp-abandoned'), 'half');
    fs.mkdirSync(path.join(root, 'bk1', 'empty', 'folder'), { recursive: true });
    fs.mkdirSync(path.join(root, 'bk1', 'tmponly'));
    fs.writeFileSync(path.join(root, 'bk1', 'tmponly', '.lakeform-tmp-1'), 'x');
    for (const limit of [1, 2, 1000]) {
      assert.deepEqual((await listAll(storage, 'bk1', { limit })).items, keys, `limit ${limit}`);
      assert.deepEqual(
        (await listAll(storage, 'bk1', { limit, delimiter: '/' })).items,
        ['a/', 'deep/', 'z'],
        `limit ${limit}, '/'`,
      );
    }
    assert.deepEqual(await storage.listObjects('bk1', { prefix: 'empty/', delimiter: '/', limit: 10 }), {
      objects: [],
      commonPrefixes: [],
    });
  });

  test('keys and bucket names cannot traverse out of a bucket', async () => {
    const { base, root, outside, storage } = fresh();
    await storage.createBucket('bk1');
    await storage.createBucket('bk2');
    await storage.putObject('bk2', 'x', 'other bucket');
    const before = filesUnder(base);
    const badKeys = [
      '../x',
      '../bk2/x',
      'a/../../x',
      'a/../x',
      '/etc/passwd',
      path.join(outside, 'secret'),
      '..',
      '.',
      './a',
      'a/./b',
      'a\\..\\..\\x',
      '',
      'nul\0byte',
      '\uD800lone',
      'x'.repeat(1025),
    ];
    for (const key of badKeys) {
      await assert.rejects(
        storage.putObject('bk1', key, 'pwned'),
        InvalidStorageNameError,
        `put ${JSON.stringify(key)}`,
      );
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

  test('a new key is written in place: whole, never over an existing object, and not out of the bucket', async () => {
    const { root, outside, storage } = fresh();
    await storage.createBucket('bk1');
    const body = 'm'.repeat(100_000);
    await storage.putObject('bk1', 't/metadata/00001-a.metadata.json', body, { newKey: true });
    assert.equal((await storage.getObject('bk1', 't/metadata/00001-a.metadata.json')).toString(), body);
    assert.deepEqual(filesUnder(path.join(root, 'bk1')), [path.join('t', 'metadata', '00001-a.metadata.json')]);
    // A name already taken is a conflict and keeps its object; a plain put still replaces it.
    await assert.rejects(
      storage.putObject('bk1', 't/metadata/00001-a.metadata.json', 'other', { newKey: true }),
      StorageConflictError,
    );
    assert.equal((await storage.getObject('bk1', 't/metadata/00001-a.metadata.json')).toString(), body);
    await storage.putObject('bk1', 't/metadata/00001-a.metadata.json', 'replaced');
    assert.equal((await storage.getObject('bk1', 't/metadata/00001-a.metadata.json')).toString(), 'replaced');
    fs.symlinkSync(outside, path.join(root, 'bk1', 'link'));
    await assert.rejects(storage.putObject('bk1', 'link/new', 'pwned', { newKey: true }), InvalidStorageNameError);
    assert.deepEqual(fs.readdirSync(outside), ['secret']);
  });

  test('the body of a new key made on demand: made once, the folder made on the way; no file without it', async () => {
    const { root, outside, storage } = fresh();
    await storage.createBucket('bk1');
    let makes = 0;
    const order: string[] = [];
    const body = () => {
      makes++;
      order.push('made');
      return Buffer.from('n'.repeat(70_000));
    };
    // The folder is missing: the create fails, the folder is made and the create tried again, with the body made once.
    await storage.putObject('bk1', 'fresh/metadata/00000-a.metadata.json', body, {
      newKey: true,
      written: () => order.push('written'),
    });
    assert.equal(makes, 1);
    assert.deepEqual(order, ['made', 'written']);
    assert.equal(
      fs.readFileSync(path.join(root, 'bk1', 'fresh', 'metadata', '00000-a.metadata.json'), 'utf8'),
      'n'.repeat(70_000),
    );
    // A body that cannot be made leaves no file, however far its creation had got.
    await assert.rejects(
      storage.putObject(
        'bk1',
        'fresh/metadata/00001-b.metadata.json',
        () => {
          throw new Error('no body');
        },
        { newKey: true },
      ),
      /no body/,
    );
    assert.deepEqual(fs.readdirSync(path.join(root, 'bk1', 'fresh', 'metadata')), ['00000-a.metadata.json']);
    // Out of the bucket: refused before the body is made.
    fs.symlinkSync(outside, path.join(root, 'bk1', 'link'));
    await assert.rejects(storage.putObject('bk1', 'link/new', body, { newKey: true }), InvalidStorageNameError);
    assert.equal(makes, 1);
    assert.deepEqual(fs.readdirSync(outside), ['secret']);
  });

  test('a put after others into the same bucket is checked as the first was', async () => {
    // Puts remember the bucket's real folder: a folder turned into a link out of the bucket, a bucket re-pointed or
    // removed since are each seen as the first put would see them.
    const { base, root, outside, storage } = fresh();
    fs.mkdirSync(path.join(base, 'one'));
    fs.mkdirSync(path.join(base, 'two'));
    fs.symlinkSync(path.join(base, 'one'), path.join(root, 'moving'));
    await storage.putObject('moving', 't/metadata/a.json', 'first', { newKey: true });
    await storage.putObject('moving', 't/metadata/b.json', 'second', { newKey: true });
    assert.deepEqual(fs.readdirSync(path.join(base, 'one', 't', 'metadata')), ['a.json', 'b.json']);
    fs.rmSync(path.join(base, 'one', 't', 'metadata'), { recursive: true });
    fs.symlinkSync(outside, path.join(base, 'one', 't', 'metadata'));
    await assert.rejects(
      storage.putObject('moving', 't/metadata/c.json', 'pwned', { newKey: true }),
      InvalidStorageNameError,
    );
    assert.deepEqual(fs.readdirSync(outside), ['secret']);
    fs.mkdirSync(path.join(base, 'two', 't', 'metadata'), { recursive: true });
    fs.rmSync(path.join(root, 'moving'));
    fs.symlinkSync(path.join(base, 'two'), path.join(root, 'moving'));
    await storage.putObject('moving', 't/metadata/d.json', 'fourth', { newKey: true });
    assert.equal(fs.readFileSync(path.join(base, 'two', 't', 'metadata', 'd.json'), 'utf8'), 'fourth');
    await storage.putObject('moving', 't/metadata/e.json', 'fifth', { newKey: true });
    assert.deepEqual(fs.readdirSync(path.join(base, 'two', 't', 'metadata')), ['d.json', 'e.json']);
    fs.rmSync(path.join(root, 'moving'));
    await assert.rejects(
      storage.putObject('moving', 't/metadata/f.json', 'gone', { newKey: true }),
      StorageNotFoundError,
    );
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
    const written = Promise.all(writes).finally(() => {
      done = true;
    });
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
