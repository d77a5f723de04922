// Iceberg server-side scan planning against a table written by an independent writer: data files
// by hyparquet-writer, manifests and manifest lists by avsc with the table spec's Avro schemas
// (field ids and all), committed as append snapshots through the REST API. The planned file set is
// compared with a brute-force scan that reads every data file's rows and keeps the files with a
// matching row, for equality, range, IN, null-check and AND/OR filters over identity, day and
// bucket partitions; delete files come with the data files they apply to (sequence numbers and
// partitions). Also: paging through plan tasks, background plans, cancel, refusals, SELECT, credentials.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import avro from 'avsc';
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { readAvro } from '../src/services/iceberg/scan/manifests.js';
import { applyTransform, icebergHash, literalOf } from '../src/services/iceberg/scan/values.js';
import { backends, createRunningInstance, startServer, type TestServer, warehouseFile } from './helpers/server.js';

type Json = Record<string, any>;
type Row = { id: bigint; cat: string | null; ts: bigint; user: string; note: string | null };

const SCHEMA = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'cat', required: false, type: 'string' },
    { id: 3, name: 'ts', required: false, type: 'timestamp' },
    { id: 4, name: 'user', required: false, type: 'string' },
    { id: 5, name: 'note', required: false, type: 'string' },
  ],
};
const SPEC = {
  'spec-id': 0,
  fields: [
    { 'field-id': 1000, 'source-id': 2, name: 'cat', transform: 'identity' },
    { 'field-id': 1001, 'source-id': 3, name: 'ts_day', transform: 'day' },
    { 'field-id': 1002, 'source-id': 4, name: 'user_bucket', transform: 'bucket[4]' },
  ],
};
const BUCKETS = 4;
const DAY_US = 86_400_000_000n;
const DAY0 = 20454; // 2026-01-01
const CATS = ['a', 'b', 'c', null];

/** Users that fall in distinct buckets, so a bucket names one user (found with the spec's hash). */
function usersInDistinctBuckets(): string[] {
  const byBucket = new Map<number, string>();
  for (let i = 0; byBucket.size < BUCKETS; i++) {
    const b = ((icebergHash('string', `u${i}`) & 0x7fffffff) % BUCKETS) as number;
    if (!byBucket.has(b)) byBucket.set(b, `u${i}`);
  }
  return [...byBucket.values()];
}
const USERS = usersInDistinctBuckets();
const bucketOfUser = (u: string) => (icebergHash('string', u) & 0x7fffffff) % BUCKETS;

/**
 * The rows of data file i: ids i*10..i*10+9, one category, day and user per file (files 12 and 13 repeat 1 and 2's).
 */
function rowsOf(i: number): Row[] {
  const b = i >= 12 ? i - 11 : i;
  const cat = CATS[b % 4] ?? null;
  const day = BigInt(DAY0 + (b % 3));
  const user = USERS[Math.floor(b / 2) % 4] as string;
  return Array.from({ length: 10 }, (_, r) => ({
    id: BigInt(i * 10 + r),
    cat,
    ts: day * DAY_US + BigInt((b % 5) * 2 + r) * 3_600_000_000n,
    user,
    note: b % 3 === 0 ? null : `n${i * 10 + r}`,
  }));
}

const le32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
};
const le64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(n);
  return b;
};
const kv = (name: string, k: number, v: number, type: unknown) => ({
  type: 'array',
  logicalType: 'map',
  items: {
    type: 'record',
    name,
    fields: [
      { name: 'key', type: 'int', 'field-id': k },
      { name: 'value', type, 'field-id': v },
    ],
  },
});
// The table spec's manifest_entry (format 2) for this partition spec.
const ENTRY = {
  type: 'record',
  name: 'manifest_entry',
  fields: [
    { name: 'status', type: 'int', 'field-id': 0 },
    { name: 'snapshot_id', type: ['null', 'long'], default: null, 'field-id': 1 },
    { name: 'sequence_number', type: ['null', 'long'], default: null, 'field-id': 3 },
    { name: 'file_sequence_number', type: ['null', 'long'], default: null, 'field-id': 4 },
    {
      name: 'data_file',
      'field-id': 2,
      type: {
        type: 'record',
        name: 'r2',
        fields: [
          { name: 'content', type: 'int', 'field-id': 134 },
          { name: 'file_path', type: 'string', 'field-id': 100 },
          { name: 'file_format', type: 'string', 'field-id': 101 },
          {
            name: 'partition',
            'field-id': 102,
            type: {
              type: 'record',
              name: 'r102',
              fields: [
                { name: 'cat', type: ['null', 'string'], default: null, 'field-id': 1000 },
                {
                  name: 'ts_day',
                  type: ['null', { type: 'int', logicalType: 'date' }],
                  default: null,
                  'field-id': 1001,
                },
                { name: 'user_bucket', type: ['null', 'int'], default: null, 'field-id': 1002 },
              ],
            },
          },
          { name: 'record_count', type: 'long', 'field-id': 103 },
          { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
          { name: 'value_counts', type: ['null', kv('k119_v120', 119, 120, 'long')], default: null, 'field-id': 109 },
          {
            name: 'null_value_counts',
            type: ['null', kv('k121_v122', 121, 122, 'long')],
            default: null,
            'field-id': 110,
          },
          { name: 'lower_bounds', type: ['null', kv('k126_v127', 126, 127, 'bytes')], default: null, 'field-id': 125 },
          { name: 'upper_bounds', type: ['null', kv('k129_v130', 129, 130, 'bytes')], default: null, 'field-id': 128 },
          {
            name: 'equality_ids',
            type: ['null', { type: 'array', items: 'int', 'element-id': 136 }],
            default: null,
            'field-id': 135,
          },
          { name: 'referenced_data_file', type: ['null', 'string'], default: null, 'field-id': 143 },
        ],
      },
    },
  ],
};
const SUMMARY = {
  type: 'record',
  name: 'r508',
  fields: [
    { name: 'contains_null', type: 'boolean', 'field-id': 509 },
    { name: 'contains_nan', type: ['null', 'boolean'], default: null, 'field-id': 518 },
    { name: 'lower_bound', type: ['null', 'bytes'], default: null, 'field-id': 510 },
    { name: 'upper_bound', type: ['null', 'bytes'], default: null, 'field-id': 511 },
  ],
};
// The table spec's manifest_file (format 2).
const MANIFEST_FILE = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
    { name: 'content', type: 'int', 'field-id': 517 },
    { name: 'sequence_number', type: 'long', 'field-id': 515 },
    { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
    { name: 'added_files_count', type: 'int', 'field-id': 504 },
    { name: 'existing_files_count', type: 'int', 'field-id': 505 },
    { name: 'deleted_files_count', type: 'int', 'field-id': 506 },
    { name: 'added_rows_count', type: 'long', 'field-id': 512 },
    { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
    { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
    {
      name: 'partitions',
      type: ['null', { type: 'array', items: SUMMARY, 'element-id': 508 }],
      default: null,
      'field-id': 507,
    },
  ],
};

async function avroBytes(schema: object, rows: object[], metadata: Record<string, string>, codec: string) {
  const encoder = new avro.streams.BlockEncoder(
    schema as never,
    {
      codec,
      metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v)])),
    } as never,
  );
  const chunks: Buffer[] = [];
  encoder.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve) => encoder.on('end', () => resolve()));
  for (const r of rows) encoder.write(r);
  encoder.end();
  await ended;
  return Buffer.concat(chunks);
}

// --- The brute force: rows, and a filter evaluated on them (SQL semantics: null matches no comparison). ---
const value = (col: string, x: unknown): unknown =>
  col === 'id' ? BigInt(x as number) : col === 'ts' ? BigInt(Date.parse(`${x}Z`)) * 1000n : x;
function matches(f: Json | boolean, r: Row): boolean {
  if (typeof f === 'boolean') return f;
  const term = f.term ?? f.child ?? f.left;
  const col = (typeof term === 'string' ? term : term?.name) as string;
  const v = (r as unknown as Record<string, unknown>)[col] as any;
  switch (f.type) {
    case 'and':
      return matches(f.left, r) && matches(f.right, r);
    case 'or':
      return matches(f.left, r) || matches(f.right, r);
    case 'not':
      return !matches(f.child, r);
    case 'is-null':
      return v === null;
    case 'not-null':
      return v !== null;
    case 'in':
      return v !== null && (f.values as unknown[]).some((x) => value(col, x) === v);
    case 'not-eq':
      // As Iceberg's row evaluator: null differs from every value.
      return v !== value(col, f.value);
  }
  if (v === null) return false;
  const x = value(col, f.value ?? f.right) as any;
  switch (f.type) {
    case 'eq':
      return v === x;
    case 'lt':
      return v < x;
    case 'lt-eq':
      return v <= x;
    case 'gt':
      return v > x;
    case 'gt-eq':
      return v >= x;
  }
  throw new Error(`the brute force does not know ${f.type}`);
}

const FILTERS: [string, Json | boolean][] = [
  ['everything', true],
  ['identity equality', { type: 'eq', term: 'cat', value: 'b' }],
  ['identity IN', { type: 'in', term: 'cat', values: ['a', 'c'] }],
  ['identity is-null', { type: 'is-null', term: 'cat' }],
  ['identity not-null', { type: 'not-null', term: 'cat' }],
  ['bucket equality', { type: 'eq', term: 'user', value: USERS[2] as string }],
  ['bucket IN', { type: 'in', term: 'user', values: [USERS[0] as string, USERS[3] as string] }],
  ['day range (timestamp gt-eq, into the second day)', { type: 'gt-eq', term: 'ts', value: '2026-01-02T12:00:00' }],
  ['day range (timestamp lt)', { type: 'lt', term: 'ts', value: '2026-01-02T03:00:00' }],
  ['day equality on an instant', { type: 'eq', term: 'ts', value: '2026-01-03T06:00:00' }],
  [
    'id range (bounds)',
    { type: 'and', left: { type: 'gt', term: 'id', value: 25 }, right: { type: 'lt-eq', term: 'id', value: 61 } },
  ],
  ['id equality (bounds)', { type: 'eq', left: { type: 'reference', name: 'id' }, right: 77 }],
  ['column is-null (null counts)', { type: 'is-null', child: { type: 'reference', name: 'note' } }],
  ['column not-null (null counts)', { type: 'not-null', term: 'note' }],
  [
    'AND over identity and bucket',
    {
      type: 'and',
      left: { type: 'eq', term: 'cat', value: 'a' },
      right: { type: 'eq', term: 'user', value: USERS[0] as string },
    },
  ],
  [
    'OR over day and identity',
    {
      type: 'or',
      left: { type: 'lt', term: 'ts', value: '2026-01-01T05:00:00' },
      right: { type: 'is-null', term: 'cat' },
    },
  ],
  [
    'NOT of an OR',
    {
      type: 'not',
      child: { type: 'or', left: { type: 'eq', term: 'cat', value: 'a' }, right: { type: 'not-null', term: 'note' } },
    },
  ],
  ['identity not-eq', { type: 'not-eq', term: 'cat', value: 'a' }],
  ['nothing', false],
];

describe("Iceberg's 32-bit hash and bucket transform (table spec, Appendix B test values)", () => {
  test('every test value of the spec hashes as the spec says', () => {
    const cases: [string, unknown, number][] = [
      ['int', 34, 2017239379],
      ['long', 34, 2017239379],
      ['decimal(9,2)', '14.20', -500754589],
      ['date', '2017-11-16', -653330422],
      ['time', '22:31:08', -662762989],
      ['timestamp', '2017-11-16T22:31:08', -2047944441],
      ['timestamp', '2017-11-16T22:31:08.000001', -1207196810],
      ['timestamptz', '2017-11-16T14:31:08-08:00', -2047944441],
      ['timestamptz', '2017-11-16T14:31:08.000001-08:00', -1207196810],
      ['timestamp_ns', '2017-11-16T22:31:08', -2047944441],
      ['timestamp_ns', '2017-11-16T22:31:08.000001001', -1207196810],
      ['string', 'iceberg', 1210000089],
      ['uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 1488055340],
      ['fixed[4]', '00010203', -188683207],
      ['binary', '00010203', -188683207],
    ];
    for (const [type, raw, hash] of cases)
      assert.equal(icebergHash(type, literalOf(type, raw, 'c')), hash, `${type} ${raw}`);
  });
  test('bucket[N] is the hash without its sign bit, modulo N', () => {
    // 34 hashes to 2017239379: bucket[16] is 2017239379 % 16 = 3; -500754589 & MAX = 1646729059, % 16 = 3.
    assert.equal(applyTransform('bucket[16]', 'int', 34), 3);
    assert.equal(
      applyTransform('bucket[16]', 'decimal(9,2)', literalOf('decimal(9,2)', '14.20', 'c')),
      1646729059 % 16,
    );
  });
});

describe('manifest Avro longs', () => {
  test('64-bit values (snapshot ids) are read exactly; small ones as numbers', async () => {
    const exact = avro.types.LongType.__with({
      fromBuffer: (b: Buffer) => b.readBigInt64LE(0),
      toBuffer: (n: bigint) => {
        const b = Buffer.alloc(8);
        b.writeBigInt64LE(n);
        return b;
      },
      fromJSON: BigInt,
      toJSON: Number,
      isValid: (x: unknown) => typeof x === 'bigint',
      compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
    });
    const schema = { type: 'record', name: 'x', fields: [{ name: 'a', type: ['null', 'long'] }] };
    const type = avro.Type.forSchema(schema as never, { registry: { long: exact } } as never);
    const values = [0n, -1n, 2n ** 52n - 1n, 2n ** 52n + 1n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n];
    const encoder = new avro.streams.BlockEncoder(type);
    const chunks: Buffer[] = [];
    encoder.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise<void>((resolve) => encoder.on('end', () => resolve()));
    for (const a of values) encoder.write({ a });
    encoder.end();
    await ended;
    const { records } = await readAvro(Buffer.concat(chunks), 'a test file');
    assert.deepEqual(
      records.map((r) => BigInt(r.a as bigint)),
      values,
    );
    assert.equal(typeof records[2]?.a, 'number');
  });
});

for (const backend of await backends()) {
  describe(`iceberg scan planning (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let prefix: string;
    let location: string;
    let reader: string;
    let noSelect: string;
    const snapshots: number[] = [];
    const filesOf = new Map<number, string[]>(); // data files live in each snapshot
    const rowsIn = new Map<string, Row[]>();
    const tablePath = () => `/iceberg/v1/${prefix}/namespaces/sales/tables/events`;
    const ice = (method: string, p: string, o: { body?: unknown; t?: string; headers?: Record<string, string> } = {}) =>
      server.request(method, p, { headers: { Authorization: `Bearer ${o.t ?? token}`, ...o.headers }, body: o.body });
    const write = (loc: string, bytes: Buffer | Uint8Array) => {
      fs.mkdirSync(path.dirname(warehouseFile(server.dataDir, loc)), { recursive: true });
      fs.writeFileSync(warehouseFile(server.dataDir, loc), bytes);
      return bytes.length;
    };

    /** Writes data file i (Parquet) and returns its manifest entry's data_file. */
    function dataFile(i: number) {
      const rows = rowsOf(i);
      const loc = `${location}/data/f${i}.parquet`;
      const size = write(
        loc,
        Buffer.from(
          parquetWriteBuffer({
            columnData: [
              { name: 'id', data: rows.map((r) => r.id), type: 'INT64' },
              { name: 'cat', data: rows.map((r) => r.cat), type: 'STRING' },
              { name: 'ts', data: rows.map((r) => r.ts), type: 'INT64' },
              { name: 'user', data: rows.map((r) => r.user), type: 'STRING' },
              { name: 'note', data: rows.map((r) => r.note), type: 'STRING' },
            ] as never,
          }),
        ),
      );
      rowsIn.set(loc, rows);
      const first = rows[0] as Row;
      const last = rows[rows.length - 1] as Row;
      const count = (c: keyof Row) => rows.filter((r) => r[c] === null).length;
      return {
        content: 0,
        file_path: loc,
        file_format: 'PARQUET',
        partition: { cat: first.cat, ts_day: Number(first.ts / DAY_US), user_bucket: bucketOfUser(first.user) },
        record_count: rows.length,
        file_size_in_bytes: size,
        value_counts: [1, 2, 3, 4, 5].map((k) => ({ key: k, value: rows.length })),
        null_value_counts: (['id', 'cat', 'ts', 'user', 'note'] as const).map((c, k) => ({
          key: k + 1,
          value: count(c),
        })),
        // Bounds for id and ts only: cat and user are pruned by their partitions alone.
        lower_bounds: [
          { key: 1, value: le64(first.id) },
          { key: 3, value: le64(first.ts) },
        ],
        upper_bounds: [
          { key: 1, value: le64(last.id) },
          { key: 3, value: le64(last.ts) },
        ],
        equality_ids: null,
        referenced_data_file: null,
      };
    }

    /** A manifest of `files` and its manifest list entry (with partition summaries). */
    async function manifest(name: string, snapshotId: number, seq: number, content: number, files: Json[]) {
      const loc = `${location}/metadata/${name}.avro`;
      const bytes = await avroBytes(
        ENTRY,
        files.map((f) => ({
          status: 1,
          snapshot_id: null,
          sequence_number: null,
          file_sequence_number: null,
          data_file: f,
        })),
        {
          schema: JSON.stringify(SCHEMA),
          'schema-id': '0',
          'partition-spec': JSON.stringify(SPEC.fields),
          'partition-spec-id': '0',
          'format-version': '2',
          content: content === 0 ? 'data' : 'deletes',
        },
        'deflate',
      );
      write(loc, bytes);
      const summary = (key: string, encode: (v: any) => Buffer) => {
        const vals = files.map((f) => f.partition[key]).filter((v) => v !== null);
        const sorted = [...vals].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        return {
          contains_null: vals.length < files.length,
          contains_nan: null,
          lower_bound: sorted.length ? encode(sorted[0]) : null,
          upper_bound: sorted.length ? encode(sorted[sorted.length - 1]) : null,
        };
      };
      return {
        manifest_path: loc,
        manifest_length: bytes.length,
        partition_spec_id: 0,
        content,
        sequence_number: seq,
        min_sequence_number: seq,
        added_snapshot_id: snapshotId,
        added_files_count: files.length,
        existing_files_count: 0,
        deleted_files_count: 0,
        added_rows_count: files.reduce((n, f) => n + f.record_count, 0),
        existing_rows_count: 0,
        deleted_rows_count: 0,
        partitions: [
          summary('cat', (v) => Buffer.from(v, 'utf8')),
          summary('ts_day', le32),
          summary('user_bucket', le32),
        ],
      };
    }

    /** Commits an append snapshot whose manifest list is `list`. */
    async function commit(snapshotId: number, seq: number, list: Json[], op: string, ref = 'main') {
      const listLoc = `${location}/metadata/snap-${snapshotId}.avro`;
      write(
        listLoc,
        await avroBytes(MANIFEST_FILE, list, { 'snapshot-id': String(snapshotId), 'format-version': '2' }, 'null'),
      );
      const parent = snapshots.at(-1);
      const r = await ice('POST', tablePath(), {
        body: {
          requirements: [],
          updates: [
            {
              action: 'add-snapshot',
              snapshot: {
                'snapshot-id': snapshotId,
                ...(parent ? { 'parent-snapshot-id': parent } : {}),
                'sequence-number': seq,
                'timestamp-ms': 1767225600000 + seq,
                'manifest-list': listLoc,
                summary: { operation: op },
                'schema-id': 0,
              },
            },
            { action: 'set-snapshot-ref', 'ref-name': ref, type: 'branch', 'snapshot-id': snapshotId },
          ],
        },
      });
      assert.equal(r.status, 200, r.text);
      if (ref === 'main') snapshots.push(snapshotId);
    }

    /** Every file scan task of a plan, through plan tasks and background planning as the server answers. */
    async function planAll(body: Json, t?: string) {
      let r = await ice('POST', `${tablePath()}/plan`, { body, t });
      assert.equal(r.status, 200, r.text);
      const shapes: string[] = [];
      const planId = r.json['plan-id'];
      for (let i = 0; r.json.status === 'submitted'; i++) {
        shapes.push('submitted');
        assert.ok(i < 200, 'planning finishes');
        // Polling, as a client does: the plan is made by the server in the background.
        await new Promise((resolve) => setTimeout(resolve, 25));
        r = await ice('GET', `${tablePath()}/plan/${planId}`, { t });
        assert.equal(r.status, 200, r.text);
      }
      assert.equal(r.json.status, 'completed', r.text);
      const tasks: Json[] = [];
      const deleteFilesOf = (page: Json) =>
        (page['file-scan-tasks'] ?? []).map((task: Json) => ({
          path: task['data-file']['file-path'] as string,
          deletes: ((task['delete-file-references'] ?? []) as number[]).map(
            (i) => page['delete-files'][i]['file-path'],
          ),
          task,
        }));
      tasks.push(...deleteFilesOf(r.json));
      for (const planTask of r.json['plan-tasks'] ?? []) {
        shapes.push('plan-task');
        const page = await ice('POST', `${tablePath()}/tasks`, { body: { 'plan-task': planTask }, t });
        assert.equal(page.status, 200, page.text);
        assert.equal(page.json['plan-tasks'], undefined);
        tasks.push(...deleteFilesOf(page.json));
      }
      return { first: r.json, tasks, shapes };
    }

    const bruteForce = (snapshot: number, filter: Json | boolean) =>
      (filesOf.get(snapshot) ?? []).filter((f) => (rowsIn.get(f) ?? []).some((r) => matches(filter, r))).sort();

    before(async () => {
      server = await startServer(backend, {
        env: {
          LAKEFORM_QPS_PER_STRIDE: '10000',
          LAKEFORM_ICEBERG_PLAN_SYNC_FILES: '10',
          LAKEFORM_ICEBERG_PLAN_TASK_FILES: '4',
        },
      });
      const login = await server.login();
      token = login.token;
      const instance = await createRunningInstance(server, token, login.projectId, 'ice_scan');
      prefix = `${instance}~lake`;
      const ok = async (method: string, p: string, body?: unknown) => {
        const r = await server.request(method, p, { token, body });
        assert.ok(r.status < 300, `${method} ${p}: ${r.status} ${r.text}`);
      };
      await ok('POST', `/v1/${login.projectId}/instances/${instance}/catalogs`, { catalog_name: 'lake' });
      assert.equal(
        (await ice('POST', `/iceberg/v1/${prefix}/namespaces`, { body: { namespace: ['sales'] } })).status,
        200,
      );
      const created = await ice('POST', `/iceberg/v1/${prefix}/namespaces/sales/tables`, {
        body: { name: 'events', schema: SCHEMA, 'partition-spec': SPEC, properties: { 'format-version': '2' } },
      });
      assert.equal(created.status, 200, created.text);
      location = created.json.metadata.location;
      for (const [name, permissions] of [
        ['reader', ['SELECT']],
        ['alterer', ['ALTER']],
      ] as const) {
        await ok('POST', '/v3/users', { user: { name, password: 'Pass-word-123' } });
        await ok('POST', `/v1/${login.projectId}/instances/${instance}/policies/grant`, {
          effect: true,
          principal_list: [{ principal_name: name, principal_source: 'IAM', principal_type: 'USER' }],
          resource: {
            type: 'TABLE',
            catalogs: [{ name: 'lake', databases: [{ name: 'sales', tables: [{ name: 'events' }] }] }],
          },
          permissions,
        });
      }
      reader = (await server.login('reader', 'Pass-word-123')).token;
      noSelect = (await server.login('alterer', 'Pass-word-123')).token;

      // Snapshot 1 appends files 0..5; snapshot 2 appends 6..11 (12 files: planned in the background).
      const m1 = await manifest('m1', 101, 1, 0, [0, 1, 2, 3, 4, 5].map(dataFile));
      await commit(101, 1, [m1], 'append');
      filesOf.set(
        101,
        [0, 1, 2, 3, 4, 5].map((i) => `${location}/data/f${i}.parquet`),
      );
      const m2 = await manifest('m2', 102, 2, 0, [6, 7, 8, 9, 10, 11].map(dataFile));
      await commit(102, 2, [m2, m1], 'append');
      filesOf.set(
        102,
        Array.from({ length: 12 }, (_, i) => `${location}/data/f${i}.parquet`),
      );
      // Snapshot 3: a position delete in file 1's partition, an equality delete in file 2's.
      const partitionOf = (i: number) => dataFile(i).partition;
      const del = (name: string, content: number, i: number) => ({
        ...dataFile(i),
        content,
        file_path: `${location}/data/${name}.parquet`,
        file_size_in_bytes: 100,
        record_count: 1,
        partition: partitionOf(i),
        equality_ids: content === 2 ? [1] : null,
      });
      const m3 = await manifest('m3', 103, 3, 1, [del('pos-1', 1, 1), del('eq-2', 2, 2)]);
      await commit(103, 3, [m3, m2, m1], 'overwrite');
      // Snapshot 4: files 12 and 13 in files 1's and 2's partitions, newer than the deletes.
      const m4 = await manifest('m4', 104, 4, 0, [12, 13].map(dataFile));
      await commit(104, 4, [m4, m3, m2, m1], 'append');
      filesOf.set(
        104,
        Array.from({ length: 14 }, (_, i) => `${location}/data/f${i}.parquet`),
      );
      // Snapshot 105, on a branch: snapshot 104 and a manifest that was never written, whose summary says cat is 'z'.
      const ghost = {
        ...m1,
        manifest_path: `${location}/metadata/ghost.avro`,
        added_snapshot_id: 105,
        sequence_number: 5,
        min_sequence_number: 5,
        added_files_count: 1,
        partitions: [
          { contains_null: false, contains_nan: null, lower_bound: Buffer.from('z'), upper_bound: Buffer.from('z') },
          { contains_null: false, contains_nan: null, lower_bound: null, upper_bound: null },
          { contains_null: false, contains_nan: null, lower_bound: null, upper_bound: null },
        ],
      };
      await commit(105, 5, [ghost, m4, m3, m2, m1], 'append', 'probe');
    });
    after(async () => {
      await server?.stop();
    });

    test(
      'manifests are skipped by their partition summaries: one that ' + 'was never written is not read for cat = a',
      async () => {
        const filter = { type: 'eq', term: 'cat', value: 'a' };
        const { tasks } = await planAll({ 'snapshot-id': 105, filter });
        assert.deepEqual(tasks.map((t) => t.path).sort(), bruteForce(104, filter));
        // Without a filter it must be read, and planning (in the background) fails, saying why.
        const r = await ice('POST', `${tablePath()}/plan`, { body: { 'snapshot-id': 105 } });
        assert.equal(r.json.status, 'submitted', r.text);
        let f = r;
        for (let i = 0; f.json.status === 'submitted' && i < 200; i++) {
          await new Promise((resolve) => setTimeout(resolve, 25));
          f = await ice('GET', `${tablePath()}/plan/${r.json['plan-id']}`);
        }
        assert.equal(f.json.status, 'failed', f.text);
        assert.match(f.json.error.message, /ghost\.avro/);
      },
    );

    // Replicas share PostgreSQL; a second SQLite process would cost seconds to show the same.
    test('a plan made on one replica is answered by another (state in the store)', {
      skip: backend.name === 'sqlite',
    }, async () => {
      const other = await startServer(backend, {
        databaseUrl: server.databaseUrl,
        dataDir: server.dataDir,
        env: {
          LAKEFORM_QPS_PER_STRIDE: '10000',
          LAKEFORM_ICEBERG_PLAN_SYNC_FILES: '10',
          LAKEFORM_ICEBERG_PLAN_TASK_FILES: '4',
        },
      });
      try {
        const there = (method: string, p: string, body?: unknown) =>
          other.request(method, p, { headers: { Authorization: `Bearer ${token}` }, body });
        const r = await ice('POST', `${tablePath()}/plan`, { body: { 'snapshot-id': 104 } });
        assert.equal(r.json.status, 'submitted', r.text);
        let f = await there('GET', `${tablePath()}/plan/${r.json['plan-id']}`);
        for (let i = 0; f.json.status === 'submitted' && i < 200; i++) {
          await new Promise((resolve) => setTimeout(resolve, 25));
          f = await there('GET', `${tablePath()}/plan/${r.json['plan-id']}`);
        }
        assert.equal(f.json.status, 'completed', f.text);
        const files: string[] = [];
        for (const task of f.json['plan-tasks']) {
          const page = await there('POST', `${tablePath()}/tasks`, { 'plan-task': task });
          assert.equal(page.status, 200, page.text);
          files.push(...page.json['file-scan-tasks'].map((t: Json) => t['data-file']['file-path']));
        }
        assert.deepEqual(files.sort(), [...(filesOf.get(104) ?? [])].sort());
      } finally {
        await other.stop();
      }
    });

    test('a table without a snapshot plans to nothing', async () => {
      const created = await ice('POST', `/iceberg/v1/${prefix}/namespaces/sales/tables`, {
        body: { name: 'empty', schema: SCHEMA, 'partition-spec': SPEC },
      });
      assert.equal(created.status, 200, created.text);
      const r = await ice('POST', `/iceberg/v1/${prefix}/namespaces/sales/tables/empty/plan`, {
        body: { filter: { type: 'eq', term: 'cat', value: 'a' } },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.status, 'completed');
      assert.deepEqual(r.json['file-scan-tasks'], []);
      assert.deepEqual(r.json['delete-files'], []);
    });

    test('config advertises the four planning endpoints', async () => {
      const r = await ice('GET', `/iceberg/v1/config?warehouse=${prefix.replace('~', '/')}`);
      assert.equal(r.status, 200, r.text);
      for (const e of [
        'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/plan',
        'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}/plan/{plan-id}',
        'DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}/plan/{plan-id}',
        'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/tasks',
      ])
        assert.ok(r.json.endpoints.includes(e), e);
    });

    test('the written data files read back as the rows the brute force uses', async () => {
      const f = `${location}/data/f7.parquet`;
      const rows = await parquetReadObjects({
        file: new Uint8Array(fs.readFileSync(warehouseFile(server.dataDir, f))).buffer,
      });
      assert.deepEqual(
        rows.map((r) => [BigInt(r.id as bigint), r.cat, BigInt(r.ts as bigint), r.user, r.note]),
        (rowsIn.get(f) ?? []).map((r) => [r.id, r.cat, r.ts, r.user, r.note]),
      );
    });

    for (const [name, filter] of FILTERS) {
      test(`${name}: the planned files are exactly the brute force's, at a small and a large snapshot`, async () => {
        for (const snapshot of [101, 104]) {
          const { tasks } = await planAll({ 'snapshot-id': snapshot, filter });
          const planned = tasks.map((t) => t.path).sort();
          assert.deepEqual(planned, bruteForce(snapshot, filter), `snapshot ${snapshot}`);
        }
        // The brute force is not vacuous: the filters split the table (except the first and last).
        const kept = bruteForce(104, filter).length;
        if (filter === true) assert.equal(kept, 14);
        else if (filter === false) assert.equal(kept, 0);
        else assert.ok(kept > 0 && kept < 14, `${name} keeps ${kept} of 14 files`);
      });
    }

    test('delete files come with the older data files of their partition only', async () => {
      const { tasks } = await planAll({});
      const by = new Map(tasks.map((t) => [path.basename(t.path), t.deletes.map((d: string) => path.basename(d))]));
      assert.equal(by.size, 14);
      assert.deepEqual(by.get('f1.parquet'), ['pos-1.parquet'], 'position delete, data sequence 1 <= 3');
      assert.deepEqual(by.get('f2.parquet'), ['eq-2.parquet'], 'equality delete, data sequence 1 < 3');
      assert.deepEqual(by.get('f12.parquet'), [], 'same partition as f1 but newer than the delete');
      assert.deepEqual(by.get('f13.parquet'), [], 'same partition as f2 but newer than the delete');
      for (const [f, d] of by) if (!['f1.parquet', 'f2.parquet'].includes(f)) assert.deepEqual(d, [], f);
      // Before the deletes existed, no file has any.
      const early = await planAll({ 'snapshot-id': 102 });
      assert.ok(early.tasks.every((t) => t.deletes.length === 0));
    });

    test(
      'a large result is paged into plan tasks; a small one is inline; ' +
        'a large snapshot is planned in the background',
      async () => {
        const small = await planAll({ 'snapshot-id': 101, filter: { type: 'eq', term: 'cat', value: 'b' } });
        assert.deepEqual(small.shapes, []);
        assert.ok(small.first['plan-id'] && small.first['file-scan-tasks'].length > 0);
        const paged = await planAll({ 'snapshot-id': 101 });
        assert.equal(paged.first['file-scan-tasks'], undefined);
        assert.deepEqual(paged.shapes, ['plan-task', 'plan-task'], '6 files at 4 per plan task');
        assert.equal(paged.tasks.length, 6);
        const background = await planAll({});
        assert.equal(background.shapes[0], 'submitted');
        assert.equal(background.shapes.filter((s) => s === 'plan-task').length, 4, '14 files at 4 per plan task');
      },
    );

    test('column stats come for the stats-fields only', async () => {
      const { tasks } = await planAll({
        'snapshot-id': 101,
        filter: { type: 'eq', term: 'id', value: 13 },
        'stats-fields': ['id'],
      });
      assert.equal(tasks.length, 1);
      const f = tasks[0]?.task['data-file'];
      assert.deepEqual(f['lower-bounds'], { keys: [1], values: [le64(10n).toString('hex').toUpperCase()] });
      assert.deepEqual(f['null-value-counts'], { keys: [1], values: [0] });
      assert.equal(f['spec-id'], 0);
      assert.equal(f.content, 'data');
      assert.equal(f['record-count'], 10);
      assert.deepEqual(tasks[0]?.task['residual-filter'], { type: 'eq', term: 'id', value: 13 });
      assert.deepEqual(f.partition, [rowsOf(1)[0]?.cat, '2026-01-02', bucketOfUser(rowsOf(1)[0]?.user as string)]);
    });

    test('an incremental scan returns the files appended between two snapshots', async () => {
      const { tasks } = await planAll({ 'start-snapshot-id': 101, 'end-snapshot-id': 102 });
      assert.deepEqual(tasks.map((t) => path.basename(t.path)).sort(), [
        'f10.parquet',
        'f11.parquet',
        'f6.parquet',
        'f7.parquet',
        'f8.parquet',
        'f9.parquet',
      ]);
    });

    test('cancel: the plan answers cancelled and its plan tasks are gone', async () => {
      const r = await ice('POST', `${tablePath()}/plan`, { body: { 'snapshot-id': 101 } });
      assert.equal(r.json.status, 'completed', r.text);
      const [task] = r.json['plan-tasks'];
      assert.equal((await ice('DELETE', `${tablePath()}/plan/${r.json['plan-id']}`)).status, 204);
      const after = await ice('GET', `${tablePath()}/plan/${r.json['plan-id']}`);
      assert.equal(after.json.status, 'cancelled', after.text);
      const gone = await ice('POST', `${tablePath()}/tasks`, { body: { 'plan-task': task } });
      assert.equal(gone.status, 404);
      assert.equal(gone.json.error.type, 'NoSuchPlanTaskException');
      const unknown = await ice('GET', `${tablePath()}/plan/00000000-0000-4000-8000-000000000000`);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json.error.type, 'NoSuchPlanIdException');
    });

    test('cancel of a background plan: it stays cancelled when the planner finishes', async () => {
      const r = await ice('POST', `${tablePath()}/plan`, { body: { 'snapshot-id': 104 } });
      assert.equal(r.json.status, 'submitted', r.text);
      assert.equal((await ice('DELETE', `${tablePath()}/plan/${r.json['plan-id']}`)).status, 204);
      // Planning 14 files takes well under this; the answer must not turn back to completed.
      for (let i = 0; i < 8; i++) {
        const f = await ice('GET', `${tablePath()}/plan/${r.json['plan-id']}`);
        assert.deepEqual(f.json, { status: 'cancelled' });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });

    test(
      'refusals: a wrong snapshot, an unknown column, a bad literal, ' +
        'both scan kinds at once are 400s in Iceberg shape',
      async () => {
        for (const body of [
          { 'snapshot-id': 999 },
          { filter: { type: 'eq', term: 'nope', value: 1 } },
          { filter: { type: 'eq', term: 'id', value: 'x' } },
          { filter: { type: 'lt', term: 'ts', value: 'yesterday' } },
          { filter: { type: 'frobnicate', term: 'id' } },
          { 'snapshot-id': 101, 'start-snapshot-id': 101, 'end-snapshot-id': 102 },
          { 'start-snapshot-id': 102, 'end-snapshot-id': 101 },
          { 'stats-fields': ['nope'] },
        ]) {
          const r = await ice('POST', `${tablePath()}/plan`, { body });
          assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
          assert.equal(r.json.error.type, 'BadRequestException');
          assert.equal(r.json.error.code, 400);
        }
      },
    );

    test("planning needs the table's SELECT: a reader plans, a user with ALTER only gets 403", async () => {
      const ok = await planAll({ 'snapshot-id': 101, filter: { type: 'eq', term: 'cat', value: 'a' } }, reader);
      assert.ok(ok.tasks.length > 0);
      const r = await ice('POST', `${tablePath()}/plan`, { body: {}, t: noSelect });
      assert.equal(r.status, 403, r.text);
      assert.equal(r.json.error.type, 'ForbiddenException');
      const t = await ice('POST', `${tablePath()}/tasks`, { body: { 'plan-task': 'x' }, t: noSelect });
      assert.equal(t.status, 403, t.text);
    });

    test('vended credentials come with a completed plan when asked for', async () => {
      const r = await ice('POST', `${tablePath()}/plan`, {
        body: { 'snapshot-id': 101, filter: false },
        headers: { 'X-Iceberg-Access-Delegation': 'vended-credentials' },
      });
      assert.equal(r.status, 200, r.text);
      const [c] = r.json['storage-credentials'];
      assert.equal(c.prefix, location);
      assert.ok(c.config['s3.access-key-id']);
      const plain = await ice('POST', `${tablePath()}/plan`, { body: { 'snapshot-id': 101, filter: false } });
      assert.equal(plain.json['storage-credentials'], undefined);
    });

    // Last: it moves the server's clock an hour on.
    test('a plan expires with its tasks after an hour', { skip: backend.name !== 'sqlite' }, async () => {
      const r = await ice('POST', `${tablePath()}/plan`, { body: { 'snapshot-id': 101 } });
      const [task] = r.json['plan-tasks'];
      assert.equal((await ice('POST', `${tablePath()}/tasks`, { body: { 'plan-task': task } })).status, 200);
      await server.passTime(61 * 60 * 1000);
      const f = await ice('GET', `${tablePath()}/plan/${r.json['plan-id']}`);
      assert.equal(f.status, 404, f.text);
      assert.equal(f.json.error.type, 'NoSuchPlanIdException');
      assert.equal((await ice('POST', `${tablePath()}/tasks`, { body: { 'plan-task': task } })).status, 404);
    });
  });
}
