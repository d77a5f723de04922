// Crash recovery on both backends: a `lakeform serve` process killed with SIGKILL while batches of partitions and
// Iceberg commits are in flight, then started again on the same data dir and database, has lost no acknowledged
// write, holds every batch whole or not at all, and every Iceberg table's pointer names a metadata file that exists,
// parses and carries an intact snapshot chain. The moment of each kill is drawn from a seeded generator, among moments
// when both a batch and a commit are in flight. The server started after the last kill, which only reads and writes
// a little more, runs in the test's process.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { prng } from './helpers/prng.js';
import {
  backends,
  createPgDatabase,
  createRunningInstance,
  dropPgDatabase,
  type Response,
  startServer,
  storedLocation,
  type TestServer,
  warehouseFile,
} from './helpers/server.js';

/** LAKEFORM_TEST_CRASH_SEED replays a run: the kill moments and batch sizes follow from it. */
const SEED = Number(process.env.LAKEFORM_TEST_CRASH_SEED ?? 18);
const KILLS = 2;
const PARTITION_TABLES = ['p0', 'p1', 'p2'];
const ICEBERG_TABLES = ['i0', 'i1'];
/** Writers per partition table and per Iceberg table: two on one Iceberg table also race each other. */
const PARTITION_WRITERS = [1, 1, 1];
const ICEBERG_WRITERS = [2, 1];

const COLUMNS = [
  { column_name: 'id', column_type: 'bigint' },
  { column_name: 'note', column_type: 'string' },
];

interface Snapshot {
  'snapshot-id': number;
  'parent-snapshot-id'?: number;
  'sequence-number': number;
}
interface Metadata {
  'current-snapshot-id'?: number | null;
  'last-sequence-number': number;
  snapshots: Snapshot[];
  refs: Record<string, { 'snapshot-id': number; type: string }>;
  'metadata-log': { 'metadata-file': string }[];
}

/** What the writers sent and what the server acknowledged (answered 2xx), over every round. */
interface Ledger {
  /** Batch id → its partition count, per table: every batch ever sent. */
  sentBatches: Map<string, Map<number, number>>;
  ackedBatches: Map<string, Set<number>>;
  sentSnapshots: Map<string, Set<number>>;
  ackedSnapshots: Map<string, Set<number>>;
  /** Answers no writer expects (not 2xx, and not a 409 of a racing Iceberg commit), kept to fail the test with. */
  unexpected: string[];
}

for (const backend of await backends()) {
  describe(`crash recovery (${backend.name})`, () => {
    const title = `kill -9 in partition batches and Iceberg commits (${KILLS} kills, seed ${SEED})`;
    test(`${title}: no acknowledged write lost, no partial batch`, async (t) => {
      const rand = prng(SEED);
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-crash-'));
      // A store already migrated: on SQLite the helper copies one into the data dir at the first start.
      let databaseUrl =
        backend.name === 'postgres'
          ? await createPgDatabase(backend.adminUrl as string, { migrated: true })
          : undefined;
      // The same data dir, database and admin password at every start: the store bootstrapped at the first start is
      // the one each later start opens, so a new login lands in the same project and sees the same instance.
      const adminPassword = `Crash-${randomBytes(9).toString('hex')}`;
      const start = (asProcess = true) =>
        startServer(backend, {
          ...(asProcess ? { process: true } : { inProcess: true }),
          dataDir,
          databaseUrl,
          adminPassword,
          env: { LAKEFORM_QPS_PER_STRIDE: '100000' },
        });
      let server: TestServer | undefined;
      try {
        const setup = await start();
        server = setup;
        databaseUrl = setup.databaseUrl;
        const first = await setup.login();
        const projectId = first.projectId;
        let token = first.token;
        const instance = await createRunningInstance(setup, token, projectId, 'crash_inst');
        const catalog = `/v1/${projectId}/instances/${instance}/catalogs/crash`;
        const db = `${catalog}/databases/parts`;
        const prefix = `${instance}~crash`;
        const iceTable = (t: string) => `/iceberg/v1/${prefix}/namespaces/ice/tables/${t}`;
        const ice = (s: TestServer, method: string, p: string, body?: unknown) =>
          s.request(method, p, { headers: { Authorization: `Bearer ${token}` }, body });

        const made = await setup.request('POST', `/v1/${projectId}/instances/${instance}/catalogs`, {
          token,
          body: { catalog_name: 'crash' },
        });
        assert.equal(made.status, 201, made.text);
        const database = await setup.request('POST', `${catalog}/databases`, {
          token,
          body: { database_name: 'parts' },
        });
        assert.equal(database.status, 201, database.text);
        for (const name of PARTITION_TABLES) {
          const r = await setup.request('POST', `${db}/tables`, {
            token,
            body: {
              table_name: name,
              table_type: 'MANAGED_TABLE',
              owner_type: 'USER',
              storage_descriptor: { columns: COLUMNS },
              partition_keys: [
                { column_name: 'b', column_type: 'int' },
                { column_name: 'n', column_type: 'int' },
              ],
            },
          });
          assert.equal(r.status, 201, r.text);
        }
        const ns = await ice(setup, 'POST', `/iceberg/v1/${prefix}/namespaces`, { namespace: ['ice'] });
        assert.equal(ns.status, 200, ns.text);
        for (const name of ICEBERG_TABLES) {
          const r = await ice(setup, 'POST', `/iceberg/v1/${prefix}/namespaces/ice/tables`, {
            name,
            schema: { type: 'struct', fields: [{ id: 1, name: 'id', required: true, type: 'long' }] },
          });
          assert.equal(r.status, 200, r.text);
        }

        const ledger: Ledger = {
          sentBatches: new Map(PARTITION_TABLES.map((t) => [t, new Map()])),
          ackedBatches: new Map(PARTITION_TABLES.map((t) => [t, new Set()])),
          sentSnapshots: new Map(ICEBERG_TABLES.map((t) => [t, new Set()])),
          ackedSnapshots: new Map(ICEBERG_TABLES.map((t) => [t, new Set()])),
          unexpected: [],
        };
        let nextBatch = 1;
        let nextSnapshot = 1;
        let ackedPartitions = 0;
        const batchSizes = prng(SEED + 1);

        /** One batch of 200–1,000 partitions; true when acknowledged, false when the server went away. */
        const addBatch = async (s: TestServer, table: string): Promise<boolean> => {
          const b = nextBatch++;
          const size = 200 + Math.floor(batchSizes() * 801);
          (ledger.sentBatches.get(table) as Map<number, number>).set(b, size);
          const partitions = Array.from({ length: size }, (_, n) => ({
            partition_values: [String(b), String(n)],
            parameters: { batch: String(b) },
            storage_descriptor: { columns: COLUMNS },
          }));
          const r = await s.request('POST', `${db}/tables/${table}/partitions/batch-create`, {
            token,
            body: { if_not_exist: false, partitions },
          });
          if (r.status !== 201) {
            ledger.unexpected.push(`AddPartitions ${table} batch ${b}: ${r.status} ${r.text.slice(0, 300)}`);
            return false;
          }
          (ledger.ackedBatches.get(table) as Set<number>).add(b);
          ackedPartitions += size;
          return true;
        };

        /**
         * An append as an Iceberg client makes it: on the metadata last seen, asserting main is still where it was;
         * a 409 (another writer of the table got there first) reloads and tries again.
         */
        const append = async (s: TestServer, table: string, seen: { m?: Metadata }): Promise<boolean> => {
          if (!seen.m) {
            const loaded = await ice(s, 'GET', iceTable(table));
            if (loaded.status !== 200) {
              ledger.unexpected.push(`LoadTable ${table}: ${loaded.status} ${loaded.text.slice(0, 300)}`);
              return false;
            }
            seen.m = loaded.json.metadata as Metadata;
          }
          const m = seen.m;
          const parent = m['current-snapshot-id'] ?? -1;
          const id = nextSnapshot++;
          (ledger.sentSnapshots.get(table) as Set<number>).add(id);
          const r: Response = await ice(s, 'POST', iceTable(table), {
            requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent < 0 ? null : parent }],
            updates: [
              {
                action: 'add-snapshot',
                snapshot: {
                  'snapshot-id': id,
                  ...(parent < 0 ? {} : { 'parent-snapshot-id': parent }),
                  'sequence-number': m['last-sequence-number'] + 1,
                  'timestamp-ms': 1_700_000_000_000 + id,
                  'manifest-list': `s3://x/snap-${id}.avro`,
                  summary: { operation: 'append' },
                  'schema-id': 0,
                },
              },
              { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
            ],
          });
          if (r.status === 200) {
            (ledger.ackedSnapshots.get(table) as Set<number>).add(id);
            seen.m = r.json.metadata as Metadata;
            return true;
          }
          seen.m = undefined;
          if (r.status === 409 && r.json?.error?.type === 'CommitFailedException') return true;
          ledger.unexpected.push(`commit ${table} snapshot ${id}: ${r.status} ${r.text.slice(0, 300)}`);
          return false;
        };

        const sum = (m: Map<string, Set<number>>) => [...m.values()].reduce((n, x) => n + x.size, 0);
        // Rounds of writers, each ended by a SIGKILL while they write; then a start on the same data.
        let inFlightAtKills = 0;
        for (let round = 0; round < KILLS; round++) {
          const s = server;
          const inFlight = { batches: 0, commits: 0 };
          let stopped = false;
          const loop = async (kind: keyof typeof inFlight, step: () => Promise<boolean>) => {
            while (!stopped) {
              inFlight[kind]++;
              let ok: boolean;
              try {
                ok = await step();
              } catch {
                return; // the server is gone: whatever was in flight is unacknowledged
              } finally {
                inFlight[kind]--;
              }
              if (!ok) return;
            }
          };
          const writers = [
            ...PARTITION_TABLES.flatMap((t, i) =>
              Array.from({ length: PARTITION_WRITERS[i] as number }, () => loop('batches', () => addBatch(s, t))),
            ),
            ...ICEBERG_TABLES.flatMap((t, i) =>
              Array.from({ length: ICEBERG_WRITERS[i] as number }, () => {
                const seen: { m?: Metadata } = {};
                return loop('commits', () => append(s, t, seen));
              }),
            ),
          ];
          // Writing is under way once a batch and a commit (of each Iceberg table in turn, so every table has some)
          // have landed this round; then the kill comes 0–600 ms later.
          const commits = ledger.ackedSnapshots.get(ICEBERG_TABLES[round % ICEBERG_TABLES.length] as string);
          const [batchesBefore, commitsBefore] = [sum(ledger.ackedBatches), commits?.size ?? 0];
          const landed = () => sum(ledger.ackedBatches) > batchesBefore && (commits?.size ?? 0) > commitsBefore;
          for (let i = 0; !landed() && ledger.unexpected.length === 0; i++) {
            assert.ok(i < 2400, `round ${round}: the writers got nothing acknowledged in 120 s`);
            await new Promise((r) => setTimeout(r, 50));
          }
          await new Promise((r) => setTimeout(r, Math.floor(rand() * 600)));
          // At the first moment from then on when a batch and a commit are both in flight.
          for (let i = 0; !(inFlight.batches > 0 && inFlight.commits > 0); i++) {
            assert.ok(
              i < 2000 && ledger.unexpected.length === 0,
              `round ${round}: no batch and commit in flight at once`,
            );
            await new Promise((r) => setTimeout(r, 5));
          }
          inFlightAtKills += inFlight.batches + inFlight.commits;
          const code = await s.stop('SIGKILL');
          stopped = true;
          await Promise.all(writers);
          assert.deepEqual(ledger.unexpected, [], `round ${round}`);
          assert.notEqual(code, 0, 'the server was killed, it did not exit');
          server = await start(round < KILLS - 1);
          const again = await server.login();
          assert.equal(again.projectId, projectId, 'the restarted server keeps the bootstrapped project');
          token = again.token;
        }
        assert.ok(inFlightAtKills > 0, 'the kills came while writes were in flight');
        const live = server;

        // Every acknowledged batch whole; every stored batch whole (an unacknowledged one may have landed or not).
        const names = async (table: string) => {
          const r = await live.request('GET', `${db}/tables/${table}/partitions/names`, { token });
          assert.equal(r.status, 200, r.text);
          return r.json as string[];
        };
        for (const table of PARTITION_TABLES) {
          const sent = ledger.sentBatches.get(table) as Map<number, number>;
          const stored = new Map<number, number>();
          for (const name of await names(table)) {
            const m = /^b=(\d+)\/n=(\d+)$/.exec(name);
            assert.ok(m, `partition name ${name}`);
            stored.set(Number(m[1]), (stored.get(Number(m[1])) ?? 0) + 1);
          }
          for (const [b, count] of stored) {
            assert.ok(sent.has(b), `${table}: batch ${b} was never sent`);
            assert.equal(count, sent.get(b), `${table}: batch ${b} is partial (${count} of ${sent.get(b)})`);
          }
          for (const b of ledger.ackedBatches.get(table) as Set<number>)
            assert.equal(stored.get(b), sent.get(b), `${table}: acknowledged batch ${b} is missing`);
          // A sample partition of the last acknowledged batch reads back as written (a slow table may have none).
          const acked = ledger.ackedBatches.get(table) as Set<number>;
          if (acked.size === 0) continue;
          const last = Math.max(...acked);
          const got = await live.request('POST', `${db}/tables/${table}/partitions/batch-get`, {
            token,
            body: { values: [[String(last), '0']] },
          });
          assert.equal(got.status, 200, got.text);
          assert.deepEqual(got.json[0]?.parameters, { batch: String(last) });
        }

        // Every acknowledged commit in the current metadata, read from the file the pointer names; chains intact.
        for (const table of ICEBERG_TABLES) {
          const loaded = await ice(live, 'GET', iceTable(table));
          assert.equal(loaded.status, 200, loaded.text);
          const location = loaded.json['metadata-location'] as string;
          const onDisk = JSON.parse(fs.readFileSync(warehouseFile(dataDir, location), 'utf8')) as Metadata;
          const lf = await live.request('GET', `${catalog}/databases/ice/tables/${table}`, { token });
          assert.equal(lf.status, 200, lf.text);
          assert.equal(lf.json.parameters.metadata_location, storedLocation(dataDir, location));
          const ids = new Set(onDisk.snapshots.map((x) => x['snapshot-id']));
          assert.deepEqual(
            [...ids].sort((a, b) => a - b),
            (loaded.json.metadata as Metadata).snapshots.map((x) => x['snapshot-id']).sort((a, b) => a - b),
          );
          for (const id of ledger.ackedSnapshots.get(table) as Set<number>)
            assert.ok(ids.has(id), `${table}: acknowledged snapshot ${id} is missing`);
          for (const id of ids)
            assert.ok((ledger.sentSnapshots.get(table) as Set<number>).has(id), `${table}: snapshot ${id} never sent`);
          // Each commit moved main: the chain from the current snapshot back to the first holds every snapshot.
          const byId = new Map(onDisk.snapshots.map((x) => [x['snapshot-id'], x]));
          const current = onDisk['current-snapshot-id'] as number;
          assert.ok((ledger.ackedSnapshots.get(table) as Set<number>).size > 0, `${table} had commits`);
          assert.equal(onDisk.refs.main?.['snapshot-id'], current);
          const chain: Snapshot[] = [];
          for (let at = byId.get(current); at; ) {
            chain.push(at);
            const parent = at['parent-snapshot-id'];
            if (parent === undefined) break;
            const next = byId.get(parent);
            assert.ok(next, `${table}: snapshot ${at['snapshot-id']} names a missing parent ${parent}`);
            assert.ok(
              next['sequence-number'] < at['sequence-number'],
              `${table}: sequence numbers fall along the chain`,
            );
            at = next;
          }
          assert.equal(chain.length, ids.size, `${table}: every snapshot is on main's chain`);
          assert.equal(onDisk['last-sequence-number'], chain[0]?.['sequence-number']);
          // Every earlier version the log names is still there and parses.
          for (const e of onDisk['metadata-log'])
            JSON.parse(fs.readFileSync(warehouseFile(dataDir, e['metadata-file']), 'utf8'));
        }

        // Later writes succeed on the recovered store.
        for (const table of PARTITION_TABLES) {
          assert.equal(await addBatch(live, table), true, ledger.unexpected.join('\n'));
          const b = nextBatch - 1;
          const count = (await names(table)).filter((n) => n.startsWith(`b=${b}/`)).length;
          assert.equal(count, ledger.sentBatches.get(table)?.get(b));
        }
        for (const table of ICEBERG_TABLES) {
          const seen: { m?: Metadata } = {};
          const before = (ledger.ackedSnapshots.get(table) as Set<number>).size;
          assert.equal(await append(live, table, seen), true, ledger.unexpected.join('\n'));
          assert.equal(
            (ledger.ackedSnapshots.get(table) as Set<number>).size,
            before + 1,
            'an uncontended append lands',
          );
          const loaded = await ice(live, 'GET', iceTable(table));
          assert.equal(loaded.json.metadata['current-snapshot-id'], nextSnapshot - 1);
        }
        assert.ok(sum(ledger.ackedBatches) > KILLS && sum(ledger.ackedSnapshots) > KILLS);
        t.diagnostic(
          `acknowledged: ${sum(ledger.ackedBatches)} batches (${ackedPartitions} partitions), ` +
            `${sum(ledger.ackedSnapshots)} Iceberg commits; ${inFlightAtKills} requests in flight at the kills`,
        );

        await live.stop();
        server = undefined;
        if (backend.name === 'sqlite') {
          const check = new SqliteDatabase(path.join(dataDir, 'lakeform.db'), { readonly: true });
          try {
            assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
            assert.deepEqual(check.pragma('foreign_key_check'), []);
            // Batches the kills cut short while staged were swept at each start-up and never landed.
            assert.equal(check.prepare('SELECT count(*) AS n FROM staged_partitions').pluck().get(), 0);
          } finally {
            check.close();
          }
        }
      } finally {
        await server?.stop('SIGKILL').catch(() => undefined);
        if (backend.name === 'postgres' && databaseUrl) await dropPgDatabase(backend.adminUrl as string, databaseUrl);
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}

if (!(await backends()).some((b) => b.name === 'postgres'))
  test(
    'crash recovery (postgres)',
    {
      skip: 'PostgreSQL is not reachable or not selected (LAKEFORM_TEST_REQUIRE_PG=1 makes that a failure)',
    },
    () => undefined,
  );
