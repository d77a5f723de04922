// Staged partition batches on SQLite (services/lakecat/partition-service.ts, addStaged): a long batch is written to a
// stage in short transactions, other writes run between them, and one short transaction lands it. Readers never see
// a staged batch, a name added meanwhile fails it whole (409) or is skipped (if_not_exist), a dropped table is a 404,
// and what a crash leaves staged is swept at start-up and never lands. PostgreSQL adds a batch in one transaction.

import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { batchHooks } from '../src/services/lakecat/partition-service.js';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

const sd = {
  columns: [{ column_name: 'id', column_type: 'bigint' }],
  serde_info: { serialization_library: 'parquet' },
};
const part = (n: number) => ({ partition_values: [String(n)], parameters: { n: String(n) }, storage_descriptor: sd });
const batch = (from: number, count: number) => Array.from({ length: count }, (_, i) => part(from + i));

type Part = { partition_values: string[] };
const sqlite = (await backends()).find((b) => b.name === 'sqlite');

describe('staged partition batches (sqlite)', { skip: sqlite ? false : 'SQLite not selected' }, () => {
  let server: TestServer;
  let token: string;
  let tables: string;
  let instanceUrl: string;
  const file = () => path.join(server.dataDir, 'lakeform.db');
  /** Rows in the stage, read over a connection of the test's own (the server's are busy or closed). */
  const staged = () => {
    const check = new SqliteDatabase(file(), { readonly: true });
    try {
      return (check.prepare('SELECT count(*) AS n FROM staged_partitions').get() as { n: number }).n;
    } finally {
      check.close();
    }
  };
  const names = async (table: string) => {
    const r = await server.request('GET', `${tables}/${table}/partitions/names`, { token, query: { limit: -1 } });
    assert.equal(r.status, 200, r.text);
    return r.json as string[];
  };
  const add = (table: string, partitions: unknown[], ifNotExist = false) =>
    server.request('POST', `${tables}/${table}/partitions/batch-create`, {
      token,
      body: { if_not_exist: ifNotExist, partitions },
    });
  const createTable = async (name: string) => {
    const r = await server.request('POST', tables, {
      token,
      body: {
        table_name: name,
        table_type: 'EXTERNAL_TABLE',
        owner_type: 'USER',
        storage_descriptor: sd,
        partition_keys: [{ column_name: 'n', column_type: 'int' }],
      },
    });
    assert.equal(r.status, 201, r.text);
  };
  const login = async () => {
    const s = await server.login();
    token = s.token;
    return s.projectId;
  };

  before(async () => {
    server = await startServer(sqlite as NonNullable<typeof sqlite>, { env: { LAKEFORM_QPS_PER_STRIDE: '5000' } });
    const project = await login();
    const instance = await createRunningInstance(server, token, project, 'staged_inst');
    instanceUrl = `/v1/${project}/instances/${instance}`;
    tables = `${instanceUrl}/catalogs/hive/databases/default/tables`;
  });
  afterEach(() => {
    batchHooks.staged = undefined;
  });
  after(async () => {
    batchHooks.staged = undefined;
    await server?.stop();
  });

  test('a batch is invisible until it lands, while other writes land between its chunks', async () => {
    await createTable('seen');
    const during: { staged: number; names: number; stage: number }[] = [];
    batchHooks.staged = async (s) => {
      if (s.size < 1000) return;
      // A short write of another partition lands mid-batch: it does not wait for the whole batch.
      const small = await add('seen', [part(100_000 + during.length)]);
      assert.equal(small.status, 201, small.text);
      during.push({ staged: s.staged, names: (await names('seen')).length, stage: staged() });
    };
    const r = await add('seen', batch(0, 1000));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.length, 1000);
    assert.ok(during.length >= 3, `the hook ran between chunks (${during.length} times)`);
    for (const [i, d] of during.entries()) {
      // Only the short writes landed so far are visible, never a part of the batch; the stage holds the chunks.
      assert.equal(d.names, i + 1, `after ${d.staged} staged`);
      assert.equal(d.stage, d.staged, `the stage holds ${d.staged}`);
    }
    assert.equal((await names('seen')).length, 1000 + during.length);
    assert.equal(staged(), 0, 'a landed batch leaves nothing staged');
  });

  test('a name added while the batch stages fails it whole with 409; with if_not_exist it is skipped', async () => {
    await createTable('race');
    let raced = false;
    batchHooks.staged = async (s) => {
      if (s.size < 1000 || raced) return;
      raced = true;
      // The batch's last partition, added by someone else before the batch lands.
      assert.equal((await add('race', [part(999)])).status, 201);
    };
    const r = await add('race', batch(0, 1000));
    assert.equal(r.status, 409, r.text);
    assert.match(r.json.error_msg, /no partition was added: table race already has n=999/);
    assert.deepEqual(await names('race'), ['n=999'], 'nothing of the failed batch landed');
    assert.equal(staged(), 0, 'the failed batch was deleted from the stage');

    raced = false;
    batchHooks.staged = async (s) => {
      if (s.size < 1000 || raced) return;
      raced = true;
      assert.equal((await add('race', [part(1998)])).status, 201);
    };
    const since = new Date(Date.now() - 1).toISOString();
    const skip = await add('race', batch(1000, 1000), true);
    assert.equal(skip.status, 201, skip.text);
    assert.equal(skip.json.length, 999, 'the concurrently added partition is not in the answer');
    assert.ok(!skip.json.some((p: { partition_values: string[] }) => p.partition_values[0] === '1998'));
    assert.equal((await names('race')).length, 1001);
    // One event per partition added (the skipped one has the concurrent add's only), each the answer's partition.
    const ev = await server.request('GET', `${instanceUrl}/metadata-event`, {
      token,
      query: { limit: 1000, begin_time: since },
    });
    assert.equal(ev.status, 200, ev.text);
    const created = (ev.json.metadata_events as { metadata_action_type: string; metadata_object: Part }[])
      .filter((e) => e.metadata_action_type === 'CREATE_PARTITION')
      .map((e) => e.metadata_object);
    assert.equal(created.length, 1000);
    assert.equal(created.filter((p) => p.partition_values[0] === '1998').length, 1);
    const byValue = new Map(created.map((p) => [p.partition_values[0], p]));
    for (const p of skip.json as Part[]) assert.deepEqual(byValue.get(p.partition_values[0]), p);
    // Landed partitions have their key values (a filter finds them), the concurrently added one too.
    const found = await server.request('GET', `${tables}/race/partitions`, {
      token,
      query: { filter: 'n >= 1997 and n <= 1999' },
    });
    assert.equal(found.status, 200, found.text);
    assert.deepEqual(
      found.json.partitions.map((p: { partition_values: string[] }) => p.partition_values[0]),
      ['1997', '1998', '1999'],
    );
    assert.equal(staged(), 0);
  });

  test('a table dropped while its batch stages is a 404, and nothing stays staged', async () => {
    await createTable('gone');
    let dropped = false;
    batchHooks.staged = async (s) => {
      if (s.size < 1000 || s.staged >= s.size || dropped) return;
      dropped = true;
      const r = await server.request('DELETE', `${tables}/gone`, { token });
      assert.ok(r.status < 300, r.text);
    };
    const r = await add('gone', batch(0, 1000));
    assert.equal(r.status, 404, r.text);
    assert.equal(staged(), 0);
  });

  test('a batch of one chunk does not step aside for short requests; a longer one does', {
    timeout: 30_000,
  }, async () => {
    // Waits made unbounded, so a step aside shows as a wait rather than as a quarter second of latency.
    const pacer = server.running?.services.pacer as unknown as { maxWaitMs: number; begin(): () => void };
    const bound = pacer.maxWaitMs;
    pacer.maxWaitMs = 3_600_000;
    const end = pacer.begin(); // a short request in flight all along
    try {
      await createTable('oneChunk');
      assert.equal((await add('oneChunk', batch(0, 100))).status, 201, 'lands while a short request is in flight');
      let landed = false;
      const long = add('oneChunk', batch(100, 101)).then((r) => {
        landed = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(landed, false, 'a longer batch waits for the short request');
      end();
      assert.equal((await long).status, 201);
      assert.equal((await names('oneChunk')).length, 201);
    } finally {
      end();
      pacer.maxWaitMs = bound;
    }
  });

  test('a large body sent without a length is paced as long work, but not behind its own entry', {
    timeout: 30_000,
  }, async () => {
    // Chunked, so the request begins as a short one; its body then proves long and steps aside before parsing, for
    // every short request but itself. Waits unbounded: waiting for itself would never end.
    const pacer = server.running?.services.pacer as unknown as { maxWaitMs: number; short: number };
    const bound = pacer.maxWaitMs;
    pacer.maxWaitMs = 3_600_000;
    try {
      await createTable('chunked');
      const body = Buffer.from(JSON.stringify({ if_not_exist: false, partitions: batch(0, 600) }));
      assert.ok(body.length >= 64 * 1024, 'a long body');
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          `${server.url}${tables}/chunked/partitions/batch-create`,
          { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.write(body.subarray(0, 1000)); // no Content-Length: Node sends it chunked
        req.end(body.subarray(1000));
      });
      assert.equal(status, 201);
      assert.equal((await names('chunked')).length, 600);
      assert.equal(pacer.short, 0);
    } finally {
      pacer.maxWaitMs = bound;
    }
  });

  test('a batch a crash left staged never lands and is swept at start-up', async () => {
    await createTable('crashed');
    assert.equal((await add('crashed', [part(1)])).status, 201);
    // As a kill -9 between two chunks leaves it: rows in the stage for a live table, no landing (written beside the
    // running server over a connection of the test's own).
    const w = new SqliteDatabase(file());
    w.pragma('busy_timeout = 5000');
    try {
      const table = w.prepare("SELECT id FROM tables WHERE name = 'crashed'").get() as { id: string };
      const now = new Date().toISOString();
      const row = w.prepare(
        `INSERT INTO staged_partitions (batch_id, seq, table_id, name, partition_values, definition, created_at,
          updated_at, last_access_time, staged_at) VALUES ('lost', ?, ?, ?, ?, '{}', ?, ?, ?, ?)`,
      );
      const value = w.prepare(
        "INSERT INTO staged_partition_values (batch_id, seq, key_index, value, num_value) VALUES ('lost', ?, 0, ?, ?)",
      );
      for (let i = 0; i < 250; i++) {
        row.run(i, table.id, `n=${i + 2}`, `["${i + 2}"]`, now, now, now, now);
        value.run(i, String(i + 2), i + 2);
      }
    } finally {
      w.close();
    }
    assert.equal(staged(), 250);
    assert.deepEqual(await names('crashed'), ['n=1'], 'staged rows are not partitions');
    server = await server.restart();
    await login();
    assert.equal(staged(), 0, 'swept at start-up');
    assert.deepEqual(await names('crashed'), ['n=1'], 'the staged rows never became partitions');
    const check = new SqliteDatabase(file(), { readonly: true });
    try {
      assert.equal((check.prepare('SELECT count(*) AS n FROM staged_partition_values').get() as { n: number }).n, 0);
    } finally {
      check.close();
    }
    // The table takes new batches as before.
    assert.equal((await add('crashed', batch(2, 1000))).status, 201);
    assert.equal((await names('crashed')).length, 1001);
  });
});
