// The Iceberg routes as entries of the operation table: a wrong method is 405, a repeated query
// parameter is 400, every body is checked against its schema (never a 500), bodies nested too deep
// are refused before anything reads them, and 64-bit ids still pass exactly; all in Iceberg's
// error shape, on both metadata stores.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { allOperations } from '../src/http/app.js';
import { finalRefusal, icebergAnswerOf, icebergValidator } from '../src/http/iceberg-wire.js';
import { MAX_BODY_DEPTH, nestsDeeperThan } from '../src/http/json-depth.js';
import type { AppServices } from '../src/services/app-services.js';
import { ServiceError } from '../src/services/errors.js';
import {
  badRequest,
  commitFailed,
  exists,
  missing,
  named,
  refused,
  unprocessable,
  unsupported,
} from '../src/services/iceberg/errors.js';
import { backends, createRunningInstance, type Response, startServer, type TestServer } from './helpers/server.js';

const SCHEMA = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] };
const snapshot = (id: number | string, seq: number) => ({
  'snapshot-id': id,
  'sequence-number': seq,
  'timestamp-ms': 1_700_000_000_000 + seq,
  'manifest-list': `s3://x/snap-${seq}.avro`,
  summary: { operation: 'append' },
  'schema-id': 0,
});
const nested = (depth: number): string => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

const assertIcebergError = (r: Response, status: number, type: string, what: string): void => {
  assert.equal(r.status, status, `${what}: ${r.status} ${r.text}`);
  assert.deepEqual(Object.keys(r.json?.error ?? {}).sort(), ['code', 'message', 'type'], `${what}: ${r.text}`);
  assert.equal(r.json.error.type, type, `${what}: ${r.text}`);
  assert.equal(r.json.error.code, status, what);
};

describe('the Iceberg operations in the table', () => {
  const iceberg = allOperations({} as AppServices).filter((op) => op.wire === 'iceberg');
  test('all 30 are there, on the Iceberg wire, each naming its action and declaring its path and body schemas', () => {
    assert.equal(iceberg.length, 30);
    for (const op of iceberg) {
      assert.match(op.action ?? '', /^[a-z]+\.[a-z]+$/, `${op.name} names its action`);
      assert.ok(op.path.startsWith('/iceberg/v1/'), op.path);
      if (op.path.includes('{')) assert.ok(op.params, `${op.name} declares its path parameters`);
      if (op.method === 'POST') assert.ok(op.body, `${op.name} declares its body`);
      if (op.status === 200) assert.ok(op.response, `${op.name} declares its answer`);
    }
  });
});

describe('domain errors on the Iceberg wire', () => {
  test('each kind, subject and reason has its Iceberg type and status; the message is kept', () => {
    const cases: [ServiceError, number, string][] = [
      [badRequest('b'), 400, 'BadRequestException'],
      [unprocessable('u'), 422, 'UnprocessableEntityException'],
      [unsupported('s'), 501, 'UnsupportedOperationException'],
      [new ServiceError('forbidden', 'f'), 403, 'ForbiddenException'],
      [new ServiceError('unauthenticated', 'a'), 401, 'NotAuthorizedException'],
      [new ServiceError('rate_limited', 'r'), 429, 'TooManyRequestsException'],
      [new ServiceError('not_found', 'n'), 404, 'NotFoundException'],
      [missing('warehouse', 'w'), 404, 'NoSuchWarehouseException'],
      [missing('namespace', 'n'), 404, 'NoSuchNamespaceException'],
      [missing('table', 't'), 404, 'NoSuchTableException'],
      [missing('view', 'v'), 404, 'NoSuchViewException'],
      [missing('plan', 'p'), 404, 'NoSuchPlanIdException'],
      [missing('plan_task', 'pt'), 404, 'NoSuchPlanTaskException'],
      [new ServiceError('conflict', 'c'), 409, 'AlreadyExistsException'],
      [exists('e'), 409, 'AlreadyExistsException'],
      [refused('not_empty', 'ne'), 409, 'NamespaceNotEmptyException'],
      [commitFailed('cf'), 409, 'CommitFailedException'],
      [new ServiceError('unavailable', 'u'), 503, 'ServiceUnavailableException'],
    ];
    for (const [err, status, type] of cases) {
      assert.deepEqual(
        icebergAnswerOf(err),
        { status, body: { error: { message: err.message, type, code: status } } },
        type,
      );
    }
    assert.equal(icebergAnswerOf(new Error('boom')), undefined, 'a failure of the server itself is no answer (500)');
    // Only refusals a retry would get again are recorded for an Idempotency-Key.
    assert.equal(finalRefusal(commitFailed('x'))?.status, 409);
    assert.equal(finalRefusal(new ServiceError('forbidden', 'x')), undefined);
    assert.equal(finalRefusal(new ServiceError('unavailable', 'x')), undefined);
  });

  test('a LakeCat failure is named as the Iceberg operation means it', async () => {
    const lakecat = (kind: 'not_found' | 'conflict') => Promise.reject(new ServiceError(kind, `lakecat ${kind}`));
    await assert.rejects(
      named(lakecat('not_found'), { not_found: 'namespace' }),
      (e: ServiceError) => e.detail.subject === 'namespace' && e.message === 'lakecat not_found',
    );
    await assert.rejects(
      named(lakecat('conflict'), { conflict: 'commit_failed' }),
      (e: ServiceError) => e.detail.reason === 'commit_failed',
    );
    await assert.rejects(
      named(lakecat('conflict'), { not_found: 'table' }),
      (e: ServiceError) => e.detail.reason === undefined,
    );
  });

  test('the depth check counts objects and arrays, not brackets inside strings', () => {
    assert.equal(nestsDeeperThan(nested(MAX_BODY_DEPTH), MAX_BODY_DEPTH), false);
    assert.equal(nestsDeeperThan(nested(MAX_BODY_DEPTH + 1), MAX_BODY_DEPTH), true);
    assert.equal(nestsDeeperThan(`{"s":"${'['.repeat(500)}\\"${'{'.repeat(500)}"}`, 3), false);
    assert.equal(nestsDeeperThan('[[[[1]]]]', 3), true);
  });
});

for (const backend of await backends()) {
  describe(`iceberg wire (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let prefix: string;
    const ice = (
      method: string,
      path: string,
      o: {
        body?: unknown;
        rawBody?: string;
        query?: Record<string, string | string[]>;
        headers?: Record<string, string>;
      } = {},
    ) =>
      server.request(method, `/iceberg/v1${path}`, {
        headers: {
          Authorization: `Bearer ${token}`,
          ...(o.rawBody !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...o.headers,
        },
        body: o.body,
        rawBody: o.rawBody,
        query: o.query,
      });
    const table = (name: string) => `/${prefix}/namespaces/wire/tables/${name}`;

    before(async () => {
      server = await startServer(backend);
      const login = await server.login();
      token = login.token;
      const instance = await createRunningInstance(server, token, login.projectId, 'wire_inst');
      const c = await server.request('POST', `/v1/${login.projectId}/instances/${instance}/catalogs`, {
        token,
        body: { catalog_name: 'lake' },
      });
      assert.equal(c.status, 201, c.text);
      prefix = `${instance}~lake`;
      assert.equal((await ice('POST', `/${prefix}/namespaces`, { body: { namespace: ['wire'] } })).status, 200);
      const t = await ice('POST', `/${prefix}/namespaces/wire/tables`, { body: { name: 't', schema: SCHEMA } });
      assert.equal(t.status, 200, t.text);
    });
    after(async () => {
      await server?.stop();
    });

    test('a wrong method on an Iceberg path is 405 in the Iceberg shape, naming the allowed ones', async () => {
      for (const [method, path, allowed] of [
        ['PUT', `/${prefix}/namespaces`, 'GET, POST'],
        ['PATCH', table('t'), 'GET, POST, HEAD, DELETE'],
        ['GET', `/${prefix}/tables/rename`, 'POST'],
        ['DELETE', '/config', 'GET'],
      ] as const) {
        const r = await ice(method, path, method === 'PUT' || method === 'PATCH' ? { body: {} } : {});
        assertIcebergError(r, 405, 'MethodNotAllowedException', `${method} ${path}`);
        assert.deepEqual(r.headers.get('allow')?.split(', ').sort(), allowed.split(', ').sort());
      }
      assertIcebergError(await ice('GET', `/${prefix}/nothing/here`), 404, 'NotFoundException', 'an unknown path');
    });

    test('a repeated query parameter is 400, never a 500', async () => {
      const cases: [string, string, Record<string, string[]>][] = [
        ['GET', '/config', { warehouse: ['lake', 'lake'] }],
        ['GET', `/${prefix}/namespaces`, { pageToken: ['a', 'b'] }],
        ['GET', `/${prefix}/namespaces`, { parent: ['wire', 'wire'] }],
        ['GET', `/${prefix}/namespaces`, { pageSize: ['1', '2'] }],
        ['GET', `/${prefix}/namespaces/wire/tables`, { pageToken: ['a', 'b'] }],
        ['GET', `/${prefix}/namespaces/wire/views`, { pageSize: ['1', '2'] }],
        ['GET', table('t'), { snapshots: ['all', 'refs'] }],
        ['DELETE', table('t'), { purgeRequested: ['true', 'true'] }],
      ];
      for (const [method, path, query] of cases) {
        assertIcebergError(
          await ice(method, path, { query }),
          400,
          'BadRequestException',
          `${method} ${path} ${JSON.stringify(query)}`,
        );
      }
      assert.equal((await ice('HEAD', table('t'))).status, 204, 'the refused drop dropped nothing');
    });

    test('malformed commits, creates and renames are 400 BadRequestException and change nothing', async () => {
      const before = (await ice('GET', table('t'))).json['metadata-location'];
      const commits: [string, unknown][] = [
        ['add-snapshot without a snapshot', { updates: [{ action: 'add-snapshot' }] }],
        ['add-snapshot with a null snapshot', { updates: [{ action: 'add-snapshot', snapshot: null }] }],
        ['a snapshot id that is a string', { updates: [{ action: 'add-snapshot', snapshot: snapshot('7', 1) }] }],
        ['add-schema without a schema', { updates: [{ action: 'add-schema' }] }],
        ['add-schema with a null schema', { updates: [{ action: 'add-schema', schema: null }] }],
        ['add-schema with fields: 0', { updates: [{ action: 'add-schema', schema: { type: 'struct', fields: 0 } }] }],
        [
          'add-schema with a null field',
          { updates: [{ action: 'add-schema', schema: { type: 'struct', fields: [null] } }] },
        ],
        [
          'add-schema with a field id beyond 2^53',
          {
            updates: [
              {
                action: 'add-schema',
                schema: {
                  type: 'struct',
                  fields: [{ id: '9007199254740993', name: 'x', required: true, type: 'long' }],
                },
              },
            ],
          },
        ],
        ['an unknown action', { updates: [{ action: 'explode' }] }],
        ['an update that is not an object', { updates: [7] }],
        ['updates that are not an array', { updates: { action: 'set-properties', updates: {} } }],
        ['no updates', { requirements: [] }],
        ['a requirement without its field', { requirements: [{ type: 'assert-table-uuid' }], updates: [] }],
        ['set-properties with a number value', { updates: [{ action: 'set-properties', updates: { a: 1 } }] }],
      ];
      for (const [what, body] of commits) {
        const text = JSON.stringify(body).replace('"9007199254740993"', '9007199254740993');
        assertIcebergError(await ice('POST', table('t'), { rawBody: text }), 400, 'BadRequestException', what);
      }
      assert.equal(
        (await ice('GET', table('t'))).json['metadata-location'],
        before,
        'no refused commit moved the table',
      );

      const creates: [string, unknown][] = [
        ['no name', { schema: SCHEMA }],
        ['a null name', { name: null, schema: SCHEMA }],
        ['no schema', { name: 'x' }],
        ['fields: 0', { name: 'x', schema: { type: 'struct', fields: 0 } }],
        ['a null field', { name: 'x', schema: { type: 'struct', fields: [null] } }],
        ['stage-create as a string', { name: 'x', schema: SCHEMA, 'stage-create': 'yes' }],
      ];
      for (const [what, body] of creates) {
        assertIcebergError(
          await ice('POST', `/${prefix}/namespaces/wire/tables`, { body }),
          400,
          'BadRequestException',
          `create with ${what}`,
        );
      }
      const bigId =
        '{"name":"x","schema":{"type":"struct","fields":' +
        '[{"id":9007199254740993,"name":"x","required":true,"type":"long"}]}}';
      assertIcebergError(
        await ice('POST', `/${prefix}/namespaces/wire/tables`, { rawBody: bigId }),
        400,
        'BadRequestException',
        'a field id beyond 2^53',
      );
      assert.equal((await ice('HEAD', table('x'))).status, 404, 'no refused create made a table');

      for (const [what, body] of [
        ['a namespace that is a string', { namespace: 'flat' }],
        ['a null namespace', { namespace: null }],
        ['a property that is not a string', { namespace: ['n1'], properties: { a: 1 } }],
      ] as const) {
        assertIcebergError(
          await ice('POST', `/${prefix}/namespaces`, { body }),
          400,
          'BadRequestException',
          `create namespace with ${what}`,
        );
      }
      for (const body of [{}, { source: { namespace: ['wire'], name: 't' } }, { source: null, destination: null }]) {
        assertIcebergError(
          await ice('POST', `/${prefix}/tables/rename`, { body }),
          400,
          'BadRequestException',
          `rename ${JSON.stringify(body)}`,
        );
      }
      for (const body of [{ 'table-changes': [] }, { 'table-changes': [{ updates: [] }] }, { 'table-changes': null }]) {
        assertIcebergError(
          await ice('POST', `/${prefix}/transactions/commit`, { body }),
          400,
          'BadRequestException',
          `transaction ${JSON.stringify(body)}`,
        );
      }
      assert.equal((await ice('HEAD', table('t'))).status, 204, 'the table is still there');
    });

    test(`bodies nested over ${MAX_BODY_DEPTH} levels are 400 on every mutation, Idempotency-Key or not`, async () => {
      const deep = nested(5000);
      const targets: [string, string][] = [
        ['POST', table('t')],
        ['POST', `/${prefix}/namespaces`],
        ['POST', `${table('t')}/metrics`],
        ['POST', `/${prefix}/transactions/commit`],
        ['POST', `/${prefix}/namespaces/wire/views`],
        ['POST', '/oauth/tokens'],
      ];
      for (const [method, path] of targets) {
        for (const headers of [{}, { 'Idempotency-Key': '0190a6b4-7d7e-7c3a-9f00-6f6a1b2c3d4e' }] as Record<
          string,
          string
        >[]) {
          const r = await ice(method, path, { rawBody: deep, headers });
          assertIcebergError(r, 400, 'BadRequestException', `${method} ${path}`);
          assert.match(r.json.error.message, new RegExp(`deeper than ${MAX_BODY_DEPTH}`));
        }
      }
      // At the limit a body is read as usual (here refused for its shape, not its depth).
      const r = await ice('POST', table('t'), {
        rawBody: `{"updates":[],"identifier":${nested(MAX_BODY_DEPTH - 1)}}`,
      });
      assertIcebergError(r, 400, 'BadRequestException', 'a body at the limit');
      assert.doesNotMatch(r.json.error.message, /deeper than/);
      // The LakeFormation routes share the limit, in their own shape.
      const lf = await server.request('POST', '/v3/auth/tokens', {
        rawBody: deep,
        headers: { 'Content-Type': 'application/json' },
      });
      assert.equal(lf.status, 400, lf.text);
      assert.equal(typeof lf.json.error_code, 'string');
    });

    test('answers match the response schemas the table declares', async () => {
      const ops = allOperations({} as AppServices);
      const check = async (name: string, r: Response) => {
        const op = ops.find((o) => o.name === name);
        assert.ok(op?.response, name);
        assert.equal(r.status, op.status, `${name}: ${r.text}`);
        const validate = icebergValidator({ schema: op.response });
        assert.ok(validate(r.json), `${name}: ${JSON.stringify(validate.errors)} in ${r.text}`);
      };
      await check('IcebergGetConfig', await ice('GET', '/config', { query: { warehouse: prefix.replace('~', '/') } }));
      await check('IcebergListNamespaces', await ice('GET', `/${prefix}/namespaces`));
      await check('IcebergLoadNamespace', await ice('GET', `/${prefix}/namespaces/wire`));
      await check('IcebergListTables', await ice('GET', `/${prefix}/namespaces/wire/tables`));
      await check('IcebergLoadTable', await ice('GET', table('t')));
      const props = { updates: { checked: 'yes' }, removals: ['absent'] };
      await check(
        'IcebergUpdateNamespaceProperties',
        await ice('POST', `/${prefix}/namespaces/wire/properties`, { body: props }),
      );
      const commit = { updates: [{ action: 'set-properties', updates: { checked: 'yes' } }] };
      await check('IcebergCommitTable', await ice('POST', table('t'), { body: commit }));
      await check('IcebergListViews', await ice('GET', `/${prefix}/namespaces/wire/views`));
    });

    test('a 64-bit snapshot id passes the schemas and comes back digit for digit', async () => {
      const id = '9007199254740993';
      const body = JSON.stringify({
        updates: [
          { action: 'add-snapshot', snapshot: snapshot(id, 1) },
          { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
        ],
      }).replaceAll(`"${id}"`, id);
      const r = await ice('POST', table('t'), { rawBody: body });
      assert.equal(r.status, 200, r.text);
      assert.match(r.text, new RegExp(`"current-snapshot-id":${id}[,}]`));
      const loaded = await ice('GET', table('t'));
      assert.match(loaded.text, new RegExp(`"snapshot-id":${id}[,}]`));
    });
  });
}
