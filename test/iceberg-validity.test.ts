// The metadata files the server writes are valid Iceberg table metadata, as judged by readers
// that share no code with it: after every create and commit the file named by
// metadata-location is read from the warehouse and (a) read by icebird, a third-party Iceberg
// reader, which also reads the table's rows through a real manifest list once a snapshot
// exists; (b) validated against TableMetadata of the REST spec's OpenAPI document (restated as
// JSON Schema under test/fixtures) and against the table spec's rules that schema cannot say.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import avro from 'avsc';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { icebergMetadata, icebergRead } from 'icebird';
import { ajv, specViolations, validSchema } from './helpers/iceberg-spec.js';
import {
  backends,
  createIcebergCatalog,
  createRunningInstance,
  startServer,
  type TestServer,
  warehouseFile,
} from './helpers/server.js';

type Json = Record<string, any>;

const SCHEMA = {
  type: 'struct',
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
  ],
};

for (const backend of await backends()) {
  describe(`iceberg metadata validity (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let prefix: string;
    let realFetch: typeof fetch;
    const ice = (method: string, p: string, body?: unknown) =>
      server.request(method, `/iceberg/v1${p}`, { headers: { Authorization: `Bearer ${token}` }, body });
    const tablesPath = () => `/${prefix}/namespaces/lab/tables`;
    /** Where the local backend keeps an object of a storage location. */
    const fileOf = (location: string) => warehouseFile(server.dataDir, location);

    before(async () => {
      server = await startServer(backend, { env: { LAKEFORM_QPS_PER_STRIDE: '10000' } });
      let project: string;
      ({ token, projectId: project } = await server.login());
      const instance = await createRunningInstance(server, token, project, 'ice_valid');
      prefix = await createIcebergCatalog(server, token, project, instance);
      assert.equal((await ice('POST', `/${prefix}/namespaces`, { namespace: ['lab'] })).status, 200);
      // icebird fetches what it reads; file:// and obs:// locations are served from the local warehouse, with
      // ranges as S3 would.
      realFetch = globalThis.fetch;
      globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        if (!url.startsWith('obs://') && !url.startsWith('file://')) return realFetch(input, init);
        let body: Buffer;
        try {
          body = fs.readFileSync(fileOf(url));
        } catch {
          return new Response('not found', { status: 404 });
        }
        const range = /^bytes=(\d+)-(\d*)$/.exec(new Headers(init?.headers).get('range') ?? '');
        if (!range) return new Response(body, { status: 200 });
        const end = range[2] ? Number(range[2]) + 1 : body.length;
        return new Response(body.subarray(Number(range[1]), end), { status: 206 });
      }) as typeof fetch;
    });
    after(async () => {
      if (realFetch) globalThis.fetch = realFetch;
      await server?.stop();
    });

    /** Reads the file the server wrote and checks it every way; returns it. */
    async function validate(answer: { 'metadata-location': string; metadata: Json }, what: string): Promise<Json> {
      const location = answer['metadata-location'];
      const text = fs.readFileSync(fileOf(location), 'utf8');
      const onDisk = JSON.parse(text) as Json;
      // The file keeps stored obs:// paths; engines are answered the same paths as file:// (one rule).
      const engineView = JSON.parse(text.replaceAll('"obs://', `"file://${path.join(server.dataDir, 'warehouse')}/`));
      assert.deepEqual(answer.metadata, engineView, `${what}: the answer is the file, in engine locations`);
      assert.ok(
        validSchema(onDisk),
        `${what}: not a TableMetadata of the REST spec: ${ajv.errorsText(validSchema.errors)}`,
      );
      assert.deepEqual(specViolations(onDisk), [], `${what}: breaks the table spec`);
      assert.ok(
        location.startsWith(`${engineView.location}/metadata/`),
        `${what}: the file is under the table's metadata folder`,
      );
      // icebird resolves the file from the table location and the file name, as a file-system catalog would.
      const read = await icebergMetadata({ tableUrl: onDisk.location, metadataFileName: path.basename(location) });
      assert.deepEqual(read, onDisk, `${what}: icebird reads the same metadata`);
      return onDisk;
    }

    const create = async (name: string, extra: Json = {}) => {
      const r = await ice('POST', tablesPath(), { name, schema: SCHEMA, ...extra });
      assert.equal(r.status, 200, r.text);
      return r.json;
    };
    const commit = async (name: string, updates: unknown[], requirements: unknown[] = []) => {
      const r = await ice('POST', `${tablesPath()}/${name}`, { requirements, updates });
      assert.equal(r.status, 200, r.text);
      return r.json;
    };

    test('the schema and the rules can fail: broken metadata is caught', () => {
      const good = {
        'format-version': 2,
        'table-uuid': 'u',
        location: 'obs://b/t',
        'last-sequence-number': 0,
        'last-updated-ms': 1,
        'last-column-id': 1,
        'current-schema-id': 0,
        schemas: [{ type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] }],
        'default-spec-id': 0,
        'partition-specs': [{ 'spec-id': 0, fields: [] }],
        'last-partition-id': 999,
        'default-sort-order-id': 0,
        'sort-orders': [{ 'order-id': 0, fields: [] }],
        'current-snapshot-id': -1,
        snapshots: [],
        refs: {},
      };
      assert.ok(validSchema(good), ajv.errorsText(validSchema.errors));
      assert.deepEqual(specViolations(good), []);
      assert.equal(validSchema({ ...good, 'current-snapshot-id': null }), false, 'null is not an int64');
      assert.equal(
        validSchema({ ...good, schemas: [{ type: 'struct', fields: [{ id: 1, name: 'id', type: 'long' }] }] }),
        false,
        'a field needs required',
      );
      assert.equal(
        validSchema({
          ...good,
          'sort-orders': [
            {
              'order-id': 0,
              fields: [{ 'source-id': 1, transform: 'identity', direction: 'up', 'null-order': 'nulls-first' }],
            },
          ],
        }),
        false,
      );
      const broken = specViolations({
        ...good,
        'last-column-id': 0,
        'last-sequence-number': undefined,
        'current-schema-id': 3,
        'current-snapshot-id': 5,
        refs: { main: { type: 'branch', 'snapshot-id': 6 } },
      });
      for (const rule of [
        'requires last-sequence-number',
        'current-schema-id 3',
        'last-column-id 0',
        'current-snapshot-id 5',
        'refs.main',
        'ref main',
      ]) {
        assert.ok(
          broken.some((b) => b.includes(rule)),
          `${rule} in ${broken.join('; ')}`,
        );
      }
    });

    test(
      'new tables: unpartitioned; partitioned by identity, bucket and ' + 'day with a sort order and nested types',
      async () => {
        await validate(await create('plain'), 'unpartitioned');
        const nested = await create('parted', {
          schema: {
            type: 'struct',
            'identifier-field-ids': [1],
            fields: [
              { id: 1, name: 'id', required: true, type: 'long' },
              { id: 2, name: 'ts', required: false, type: 'timestamptz' },
              { id: 3, name: 'region', required: false, type: 'string' },
              {
                id: 4,
                name: 'address',
                required: false,
                type: { type: 'struct', fields: [{ id: 5, name: 'city', required: false, type: 'string' }] },
              },
              {
                id: 6,
                name: 'tags',
                required: false,
                type: { type: 'list', 'element-id': 7, element: 'string', 'element-required': false },
              },
              {
                id: 8,
                name: 'attrs',
                required: false,
                type: {
                  type: 'map',
                  'key-id': 9,
                  key: 'string',
                  'value-id': 10,
                  value: { type: 'struct', fields: [{ id: 11, name: 'v', required: false, type: 'double' }] },
                  'value-required': false,
                },
              },
            ],
          },
          'partition-spec': {
            fields: [
              { name: 'region', transform: 'identity', 'source-id': 3 },
              { name: 'id_bucket', transform: 'bucket[16]', 'source-id': 1 },
              { name: 'ts_day', transform: 'day', 'source-id': 2 },
            ],
          },
          'write-order': {
            fields: [
              { transform: 'identity', 'source-id': 2, direction: 'desc', 'null-order': 'nulls-last' },
              { transform: 'bucket[4]', 'source-id': 5 },
            ],
          },
          properties: { 'write.format.default': 'parquet' },
        });
        const m = await validate(nested, 'partitioned, sorted, nested');
        assert.equal(m['last-partition-id'], 1002);
        assert.equal(m['last-column-id'], 11);
      },
    );

    test('format version 1 on request, then upgraded to 2', async () => {
      const created = await create('old', {
        properties: { 'format-version': '1', owner: 'lab' },
        'partition-spec': { fields: [{ name: 'id_b', transform: 'bucket[4]', 'source-id': 1 }] },
      });
      const m = await validate(created, 'v1');
      assert.equal(m['format-version'], 1);
      assert.deepEqual(m.properties, { owner: 'lab' }, 'format-version chooses the format, it is not a property');
      assert.equal(m['last-sequence-number'], undefined);
      assert.deepEqual(m['partition-spec'], m['partition-specs'][0].fields);
      const evolved = await validate(
        await commit('old', [
          {
            action: 'add-schema',
            schema: {
              type: 'struct',
              'schema-id': 1,
              fields: [...SCHEMA.fields, { id: 3, name: 'note', required: false, type: 'string' }],
            },
          },
          { action: 'set-current-schema', 'schema-id': -1 },
        ]),
        'v1 schema evolution',
      );
      assert.deepEqual(
        evolved.schema.fields.map((f: Json) => f.name),
        ['id', 'name', 'note'],
        'v1 schema follows the current schema',
      );
      const upgraded = await validate(
        await commit('old', [{ action: 'upgrade-format-version', 'format-version': 2 }]),
        'upgraded to v2',
      );
      assert.equal(upgraded['format-version'], 2);
      assert.equal(upgraded['last-sequence-number'], 0);
      const bad = await ice('POST', tablesPath(), {
        name: 'future',
        schema: SCHEMA,
        properties: { 'format-version': '9' },
      });
      assert.equal(bad.status, 400, bad.text);
    });

    test(
      'every kind of commit writes valid metadata, and icebird reads ' + 'the rows through a real manifest list',
      async () => {
        const created = await create('evolving', { properties: { 'format-version': '2' } });
        let m = await validate(created, 'created');
        const uuid = m['table-uuid'];
        const location: string = m.location;
        await assert.rejects(
          icebergRead({ tableUrl: location, metadata: m as never }),
          /No current snapshot/,
          'icebird sees an empty table',
        );

        // A data file, a manifest and a manifest list, written by other libraries than the server's.
        const schema0 = m.schemas[0];
        const dataLocation = `${location}/data/00000-0.parquet`;
        const parquet = Buffer.from(
          parquetWriteBuffer({
            columnData: [
              { name: 'id', data: [1n, 2n, 3n], type: 'INT64' },
              { name: 'name', data: ['a', 'b', 'c'], type: 'STRING' },
            ] as never,
            kvMetadata: [{ key: 'iceberg.schema', value: JSON.stringify(schema0) }],
          }),
        );
        fs.mkdirSync(path.dirname(fileOf(dataLocation)), { recursive: true });
        fs.writeFileSync(fileOf(dataLocation), parquet);
        const avroFile = async (location: string, schema: object, rows: object[]) => {
          // Encoded in memory and written whole: the file is complete before anything reads it.
          const encoder = new avro.streams.BlockEncoder(schema as never);
          const chunks: Buffer[] = [];
          encoder.on('data', (c: Buffer) => chunks.push(c));
          const ended = new Promise<void>((resolve) => encoder.on('end', () => resolve()));
          for (const r of rows) encoder.write(r);
          encoder.end();
          await ended;
          const bytes = Buffer.concat(chunks);
          fs.writeFileSync(fileOf(location), bytes);
          return bytes.length;
        };
        const manifest = `${location}/metadata/m0.avro`;
        const manifestLength = await avroFile(
          manifest,
          {
            type: 'record',
            name: 'manifest_entry',
            fields: [
              { name: 'status', type: 'int' },
              { name: 'snapshot_id', type: ['null', 'long'] },
              { name: 'sequence_number', type: ['null', 'long'] },
              { name: 'file_sequence_number', type: ['null', 'long'] },
              {
                name: 'data_file',
                type: {
                  type: 'record',
                  name: 'r2',
                  fields: [
                    { name: 'content', type: 'int' },
                    { name: 'file_path', type: 'string' },
                    { name: 'file_format', type: 'string' },
                    { name: 'partition', type: { type: 'record', name: 'r102', fields: [] } },
                    { name: 'record_count', type: 'long' },
                    { name: 'file_size_in_bytes', type: 'long' },
                  ],
                },
              },
            ],
          },
          [
            {
              status: 1,
              snapshot_id: 1001,
              sequence_number: 1,
              file_sequence_number: 1,
              data_file: {
                content: 0,
                file_path: dataLocation,
                file_format: 'PARQUET',
                partition: {},
                record_count: 3,
                file_size_in_bytes: parquet.length,
              },
            },
          ],
        );
        const manifestList = `${location}/metadata/snap-1001.avro`;
        await avroFile(
          manifestList,
          {
            type: 'record',
            name: 'manifest_file',
            fields: [
              { name: 'manifest_path', type: 'string' },
              { name: 'manifest_length', type: 'long' },
              { name: 'partition_spec_id', type: 'int' },
              { name: 'content', type: 'int' },
              { name: 'sequence_number', type: 'long' },
              { name: 'min_sequence_number', type: 'long' },
              { name: 'added_snapshot_id', type: 'long' },
              { name: 'added_files_count', type: 'int' },
              { name: 'existing_files_count', type: 'int' },
              { name: 'deleted_files_count', type: 'int' },
              { name: 'added_rows_count', type: 'long' },
              { name: 'existing_rows_count', type: 'long' },
              { name: 'deleted_rows_count', type: 'long' },
            ],
          },
          [
            {
              manifest_path: manifest,
              manifest_length: manifestLength,
              partition_spec_id: 0,
              content: 0,
              sequence_number: 1,
              min_sequence_number: 1,
              added_snapshot_id: 1001,
              added_files_count: 1,
              existing_files_count: 0,
              deleted_files_count: 0,
              added_rows_count: 3,
              existing_rows_count: 0,
              deleted_rows_count: 0,
            },
          ],
        );
        const snap = (id: number, seq: number, parent?: number) => ({
          'snapshot-id': id,
          ...(parent ? { 'parent-snapshot-id': parent } : {}),
          'sequence-number': seq,
          'timestamp-ms': Date.now(),
          'manifest-list': manifestList,
          summary: { operation: 'append', 'added-records': '3' },
          'schema-id': 0,
        });

        m = await validate(
          await commit(
            'evolving',
            [
              { action: 'add-snapshot', snapshot: snap(1001, 1) },
              { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 1001 },
            ],
            [
              { type: 'assert-table-uuid', uuid },
              { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null },
            ],
          ),
          'append',
        );
        assert.deepEqual(await icebergRead({ tableUrl: location, metadata: m as never }), [
          { id: 1n, name: 'a' },
          { id: 2n, name: 'b' },
          { id: 3n, name: 'c' },
        ]);

        m = await validate(
          await commit(
            'evolving',
            [
              {
                action: 'add-schema',
                schema: {
                  type: 'struct',
                  'schema-id': 1,
                  fields: [...schema0.fields, { id: 3, name: 'note', required: false, type: 'string' }],
                },
              },
              { action: 'set-current-schema', 'schema-id': -1 },
            ],
            [{ type: 'assert-current-schema-id', 'current-schema-id': 0 }],
          ),
          'schema evolution',
        );
        assert.equal(m['current-schema-id'], 1);
        // icebird reads through the current schema: the new column has no data yet.
        assert.deepEqual(await icebergRead({ tableUrl: location, metadata: m as never }), [
          { id: 1n, name: 'a', note: undefined },
          { id: 2n, name: 'b', note: undefined },
          { id: 3n, name: 'c', note: undefined },
        ]);

        m = await validate(
          await commit(
            'evolving',
            [
              {
                action: 'add-spec',
                spec: {
                  fields: [
                    { name: 'id_b', transform: 'bucket[8]', 'source-id': 1 },
                    { name: 'name', transform: 'identity', 'source-id': 2 },
                  ],
                },
              },
              { action: 'set-default-spec', 'spec-id': -1 },
              {
                action: 'add-sort-order',
                'sort-order': {
                  fields: [{ transform: 'identity', 'source-id': 3, direction: 'asc', 'null-order': 'nulls-first' }],
                },
              },
              { action: 'set-default-sort-order', 'sort-order-id': -1 },
            ],
            [{ type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': 999 }],
          ),
          'partition and sort evolution',
        );
        assert.equal(m['last-partition-id'], 1001);

        m = await validate(
          await commit('evolving', [
            { action: 'set-properties', updates: { 'commit.retry.num-retries': '4' } },
            { action: 'remove-properties', removals: ['nothing'] },
          ]),
          'properties',
        );

        m = await validate(
          await commit('evolving', [
            { action: 'add-snapshot', snapshot: { ...snap(1002, 2, 1001), 'schema-id': 1 } },
            { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 1002 },
            {
              action: 'set-snapshot-ref',
              'ref-name': 'first',
              type: 'tag',
              'snapshot-id': 1001,
              'max-ref-age-ms': 86_400_000,
            },
          ]),
          'second append and a tag',
        );
        m = await validate(
          await commit('evolving', [{ action: 'remove-snapshots', 'snapshot-ids': [1001] }]),
          'expire the first snapshot',
        );
        assert.deepEqual(Object.keys(m.refs), ['main'], 'the tag of an expired snapshot goes with it');
        assert.equal(
          (await icebergRead({ tableUrl: location, metadata: m as never })).length,
          3,
          'icebird still reads the current snapshot',
        );

        m = await validate(
          await commit('evolving', [{ action: 'remove-snapshot-ref', 'ref-name': 'main' }]),
          'main removed',
        );
        assert.equal(m['current-snapshot-id'], -1);
        m = await validate(
          await commit('evolving', [
            { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 1002 },
          ]),
          'main back',
        );
        m = await validate(
          await commit('evolving', [{ action: 'remove-snapshots', 'snapshot-ids': [1002] }]),
          'every snapshot expired',
        );
        assert.equal(m['current-snapshot-id'], -1);
        assert.deepEqual([m.snapshots, m.refs], [[], {}]);
        assert.equal(m['metadata-log'].length, 9, 'every earlier file is logged');
      },
    );

    // Reference clients draw snapshot ids from the whole positive long range; JSON.parse rounds
    // those above 2^53, so the file would name another snapshot than the client's manifests do.
    test('a 64-bit snapshot id is written digit for digit, and answered so', async () => {
      await create('wide');
      const id = '8744736658442914487';
      const raw =
        `{"requirements":[],"updates":[{"action":"add-snapshot","snapshot":{"snapshot-id":${id},` +
        `"sequence-number":1,"timestamp-ms":1,"manifest-list":"obs://x/l.avro","summary":{"operation":"append"}}}]}`;
      const r = await server.request('POST', `/iceberg/v1${tablesPath()}/wide`, {
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        rawBody: raw,
      });
      assert.equal(r.status, 200, r.text);
      assert.ok(
        fs.readFileSync(fileOf(r.json['metadata-location']), 'utf8').includes(`"snapshot-id":${id}`),
        'the id is kept exactly',
      );
      assert.ok(r.text.includes(`"snapshot-id":${id}`), 'the answer has it exactly');
      // A ref to it, asserted by the same id, and the load says it digit for digit.
      const ref =
        `{"requirements":[{"type":"assert-ref-snapshot-id","ref":"main","snapshot-id":null}],` +
        `"updates":[{"action":"set-snapshot-ref","ref-name":"main","type":"branch","snapshot-id":${id}}]}`;
      const set = await server.request('POST', `/iceberg/v1${tablesPath()}/wide`, {
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        rawBody: ref,
      });
      assert.equal(set.status, 200, set.text);
      const again =
        `{"requirements":[{"type":"assert-ref-snapshot-id","ref":"main","snapshot-id":${id}}],` +
        `"updates":[{"action":"set-properties","updates":{"k":"v"}}]}`;
      const asserted = await server.request('POST', `/iceberg/v1${tablesPath()}/wide`, {
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        rawBody: again,
      });
      assert.equal(asserted.status, 200, asserted.text);
      const loaded = await server.request('GET', `/iceberg/v1${tablesPath()}/wide`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      assert.ok(loaded.text.includes(`"current-snapshot-id":${id}`), loaded.text.slice(0, 400));
    });

    test(
      'a v2 snapshot without a sequence number or manifest list, or ' +
        'naming an unknown schema, is refused and nothing is written',
      async () => {
        const created = await create('strict');
        for (const snapshot of [
          { 'snapshot-id': 1, 'timestamp-ms': 1, 'manifest-list': 'obs://x/l.avro', summary: { operation: 'append' } },
          { 'snapshot-id': 1, 'sequence-number': 1, 'timestamp-ms': 1, summary: { operation: 'append' } },
          {
            'snapshot-id': 1,
            'sequence-number': 1,
            'timestamp-ms': 1,
            'manifest-list': 'obs://x/l.avro',
            summary: { operation: 'append' },
            'schema-id': 7,
          },
        ]) {
          const r = await ice('POST', `${tablesPath()}/strict`, {
            requirements: [],
            updates: [{ action: 'add-snapshot', snapshot }],
          });
          assert.equal(r.status, 400, r.text);
          assert.equal(r.json.error.type, 'BadRequestException');
        }
        const loaded = await ice('GET', `${tablesPath()}/strict`);
        assert.equal(loaded.json['metadata-location'], created['metadata-location']);
      },
    );
  });
}
