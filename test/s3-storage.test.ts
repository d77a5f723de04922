// What only the S3 backend does: its requests (page sizes, batch deletes), keys only S3 can hold, and errors that
// name the failure but never a credential. The behaviour every backend shares is in object-storage.test.ts.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, beforeEach, describe, test } from 'node:test';
import { inspect } from 'node:util';
import type { S3Client } from '@aws-sdk/client-s3';
import { InvalidStorageNameError, StorageBackendError, StorageNotFoundError } from '../src/storage/object-storage.js';
import { S3ObjectStorage, type S3Settings } from '../src/storage/s3-storage.js';
import { startS3Server } from './helpers/s3-server.js';

const s3 = await startS3Server();
const opened: S3ObjectStorage[] = [];
after(async () => {
  for (const s of opened) s.close();
  await s3.stop();
});

function open(settings: S3Settings = s3.settings, options = {}): S3ObjectStorage {
  const storage = new S3ObjectStorage(settings, options);
  opened.push(storage);
  return storage;
}

interface Sent {
  command: string;
  input: any;
  headers: Record<string, string>;
}

/** Records every request the storage's SDK client sends, with its input and final headers. */
function record(storage: S3ObjectStorage): Sent[] {
  const sent: Sent[] = [];
  const client = (storage as unknown as { client: S3Client }).client;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({
        command: context.commandName ?? '',
        input: args.input,
        headers: { ...(args.request as { headers: Record<string, string> }).headers },
      });
      return next(args);
    },
    { step: 'finalizeRequest', name: 'recordForTest' },
  );
  return sent;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('S3ObjectStorage', () => {
  beforeEach(() => s3.reset());

  test('deletePrefix deletes each listing page with one DeleteObjects carrying Content-MD5', async () => {
    const storage = open(s3.settings, { maxKeysPerRequest: 3 });
    await storage.createBucket('bk1');
    for (let i = 0; i < 7; i++) await storage.putObject('bk1', `p/${i}`, 'v');
    await storage.putObject('bk1', 'q', 'keep');
    const sent = record(storage);
    assert.equal(await storage.deletePrefix('bk1', 'p/'), 7);
    const deletes = sent.filter((s) => s.command === 'DeleteObjectsCommand');
    assert.deepEqual(
      deletes.map((d) => d.input.Delete.Objects.length),
      [3, 3, 1],
    );
    assert.ok(
      deletes.every(
        (d) => d.input.Delete.Quiet === true && /^[A-Za-z0-9+/]{22}==$/.test(d.headers['content-md5'] ?? ''),
      ),
      'Content-MD5 on every batch',
    );
    assert.ok(sent.filter((s) => s.command === 'ListObjectsCommand').every((l) => l.input.MaxKeys <= 3));
    assert.deepEqual(
      (await storage.listObjects('bk1', { limit: 10 })).objects.map((o) => o.key),
      ['q'],
    );
  });

  test('no request asks for more than the 1,000 keys S3 returns or deletes at once', async () => {
    const storage = open(s3.settings, { maxKeysPerRequest: 5000 });
    await storage.createBucket('bk1');
    for (let i = 0; i < 3; i++) await storage.putObject('bk1', `p/${i}`, 'v');
    const sent = record(storage);
    assert.equal((await storage.listObjects('bk1', { limit: 5000 })).objects.length, 3);
    assert.equal(await storage.deletePrefix('bk1', 'p/'), 3);
    const lists = sent.filter((s) => s.command === 'ListObjectsCommand');
    assert.equal(lists.length, 2);
    assert.ok(
      lists.every((l) => l.input.MaxKeys === 1000),
      JSON.stringify(lists.map((l) => l.input.MaxKeys)),
    );
  });

  test(
    'keys a folder cannot hold side by side are fine on S3; keys a ' + 'listing could not return are refused',
    async () => {
      const storage = open();
      await storage.createBucket('bk1');
      for (const k of ['a/b', 'a/b/c', 'n/']) await storage.putObject('bk1', k, k);
      assert.deepEqual(
        (await storage.listObjects('bk1', { limit: 10 })).objects.map((o) => o.key),
        ['a/b', 'a/b/c', 'n/'],
      );
      assert.equal((await storage.getObject('bk1', 'a/b')).toString(), 'a/b');
      const before = s3.requests.length;
      for (const key of ['a\u0001b', 'line\nbreak', 'cr\r', 'tab\t', 'del\u007f']) {
        await assert.rejects(storage.putObject('bk1', key, 'v'), InvalidStorageNameError, JSON.stringify(key));
        await assert.rejects(storage.getObject('bk1', key), InvalidStorageNameError);
      }
      assert.equal(s3.requests.length, before, 'refused before any request');
    },
  );

  test("a refused credential is an error naming the store's code, and nothing of the credential", async () => {
    const keyId = 'AKIDLEAKCHECK00000001';
    const secret = 'secret-that-must-never-show';
    const storage = open({
      ...s3.settings,
      accessKeyId: keyId,
      secretAccessKey: secret,
      sessionToken: 'token-that-must-never-show',
    });
    const failures = [
      await storage.listBuckets().then(
        () => undefined,
        (e: unknown) => e,
      ),
      await storage.bucketExists('bk1').then(
        () => undefined,
        (e: unknown) => e,
      ),
      await storage.putObject('bk1', 'k', 'v').then(
        () => undefined,
        (e: unknown) => e,
      ),
    ];
    for (const [i, e] of failures.entries()) {
      assert.ok(e instanceof StorageBackendError, inspect(e));
      assert.equal(e.status, 403);
      // A HEAD answer (bucketExists) has no body to name the code.
      if (i !== 1) assert.equal(e.code, 'InvalidAccessKeyId');
      const shown = `${inspect(e, { depth: 10, showHidden: true })} ${JSON.stringify(e)} ${e.stack}`;
      for (const s of [keyId, secret, 'token-that-must-never-show'])
        assert.ok(!shown.includes(s), `the error shows ${s}: ${shown}`);
    }
    assert.match((failures[2] as Error).message, /PutObject on bucket 'bk1' key 'k'/);
  });

  test('an unreachable store is an error, not a missing bucket or object', async () => {
    const storage = open({
      ...s3.settings,
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      secretAccessKey: 'secret-that-must-never-show',
    });
    for (const op of [
      () => storage.bucketExists('bk1'),
      () => storage.headObject('bk1', 'k'),
      () => storage.getObject('bk1', 'k'),
    ]) {
      const e = await op().then(
        () => undefined,
        (err: unknown) => err,
      );
      assert.ok(e instanceof StorageBackendError && !(e instanceof StorageNotFoundError), inspect(e));
      assert.match(e.message, /ECONNREFUSED/);
      assert.ok(!inspect(e, { depth: 10, showHidden: true }).includes('secret-that-must-never-show'));
    }
  });
});
