// Tenancy and authorization of every Iceberg route, generated from ICEBERG_ENDPOINTS (the list
// the config endpoint advertises), as test/tenancy.test.ts and the authorization matrices do for
// the LakeFormation operation table. For each endpoint: (a) a token of another project gets the
// same 404 as for a warehouse that does not exist, and changes nothing; and for a user granted
// directly (and, for a few endpoints, through an IAM group and a role): (b) with no grant, and with a grant on a
// neighbouring namespace only, the call is refused (403, or 404 as for what the caller cannot
// see) and changes nothing; (c) with the one LakeCat privilege the equivalent LakeFormation
// operation needs, it succeeds; (d) after the revoke it is refused again on the next request.
// An endpoint without a case fails with a message naming it; the other endpoints still run.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ICEBERG_ENDPOINTS } from '../src/http/routes/iceberg/index.js';
import { openStore, type Store } from '../src/store/store.js';
import { createGrantees, type Grantees } from './helpers/grantees.js';
import { backends, createRunningInstance, type Response, startServer, type TestServer } from './helpers/server.js';

type Level = 'CATALOG' | 'DATABASE' | 'TABLE' | 'VIEW';
interface IcebergCase {
  /** The privilege of the equivalent LakeFormation operation, and what it is granted on. */
  privilege: string;
  on: Level;
  lakeFormation: string;
  /** The status of success. */
  ok: number;
  body?: unknown;
  /** Or how to make the body from the fixture, given an administrator's calls and the catalog's Iceberg path. */
  makeBody?: (admin: (method: string, p: string) => Promise<Response>, prefix: string) => Promise<unknown>;
  /** The namespace holds no table (a namespace is dropped only when empty). */
  bare?: boolean;
  /** It removes or renames what it acts on: the fixture is laid again before the refusal after the revoke. */
  destroys?: boolean;
  /** A list: refused also means a 200 that shows nothing of the fixture. */
  lists?: string;
  /** The path's `{plan-id}` needs a plan of the fixture's table: an administrator makes one first. */
  plan?: boolean;
}

const SCHEMA = { type: 'struct', fields: [{ id: 1, name: 'id', required: true, type: 'long' }] };
const id = (name: string) => ({ namespace: ['d'], name });
const VIEW_VERSION = {
  'version-id': 1,
  'timestamp-ms': 1_700_000_000_000,
  'schema-id': 0,
  summary: { 'engine-name': 'spark' },
  representations: [{ type: 'sql', sql: 'select 1 as id', dialect: 'spark' }],
  'default-namespace': ['d'],
};
const VIEW_BODY = (name: string) => ({
  name,
  schema: { ...SCHEMA, 'schema-id': 0 },
  'view-version': VIEW_VERSION,
  properties: {},
});

/** Every Iceberg endpoint, keyed as ICEBERG_ENDPOINTS spells it. */
const CASES: Record<string, IcebergCase> = {
  'GET /v1/{prefix}/namespaces': {
    privilege: 'DESCRIBE',
    on: 'DATABASE',
    lakeFormation: 'ListDatabases',
    ok: 200,
    lists: '"d"',
  },
  'POST /v1/{prefix}/namespaces': {
    privilege: 'CREATE_DATABASE',
    on: 'CATALOG',
    lakeFormation: 'CreateDatabase',
    ok: 200,
    body: { namespace: ['made'] },
  },
  'GET /v1/{prefix}/namespaces/{namespace}': {
    privilege: 'DESCRIBE',
    on: 'DATABASE',
    lakeFormation: 'ShowDatabase',
    ok: 200,
  },
  'HEAD /v1/{prefix}/namespaces/{namespace}': {
    privilege: 'DESCRIBE',
    on: 'DATABASE',
    lakeFormation: 'ShowDatabase',
    ok: 204,
  },
  'DELETE /v1/{prefix}/namespaces/{namespace}': {
    privilege: 'DROP',
    on: 'DATABASE',
    lakeFormation: 'DeleteDatabase',
    ok: 204,
    bare: true,
    destroys: true,
  },
  'POST /v1/{prefix}/namespaces/{namespace}/properties': {
    privilege: 'ALTER',
    on: 'DATABASE',
    lakeFormation: 'UpdateDatabase',
    ok: 200,
    body: { updates: { changed: 'yes' } },
  },
  'GET /v1/{prefix}/namespaces/{namespace}/tables': {
    privilege: 'DESCRIBE',
    on: 'TABLE',
    lakeFormation: 'ListTables',
    ok: 200,
    lists: '"t"',
  },
  'POST /v1/{prefix}/namespaces/{namespace}/tables': {
    privilege: 'CREATE_TABLE',
    on: 'DATABASE',
    lakeFormation: 'CreateTable',
    ok: 200,
    body: { name: 'made', schema: SCHEMA },
  },
  'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}': {
    privilege: 'DESCRIBE',
    on: 'TABLE',
    lakeFormation: 'ShowTable',
    ok: 200,
  },
  'HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}': {
    privilege: 'DESCRIBE',
    on: 'TABLE',
    lakeFormation: 'ShowTable',
    ok: 204,
  },
  'DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}': {
    privilege: 'DROP',
    on: 'TABLE',
    lakeFormation: 'DeleteTable',
    ok: 204,
    destroys: true,
  },
  'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}': {
    privilege: 'ALTER',
    on: 'TABLE',
    lakeFormation: 'UpdateTable',
    ok: 200,
    body: { requirements: [], updates: [{ action: 'set-properties', updates: { changed: 'yes' } }] },
  },
  'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics': {
    privilege: 'DESCRIBE',
    on: 'TABLE',
    lakeFormation: 'ShowTable',
    ok: 204,
    body: {
      'report-type': 'commit-report',
      'table-name': 'd.t',
      'snapshot-id': 1,
      'sequence-number': 1,
      operation: 'append',
      metrics: { attempts: { unit: 'count', value: 1 } },
    },
  },
  'POST /v1/{prefix}/tables/rename': {
    privilege: 'ALTER',
    on: 'TABLE',
    lakeFormation: 'UpdateTable',
    ok: 204,
    body: { source: id('t'), destination: id('renamed') },
    destroys: true,
  },
  'POST /v1/{prefix}/namespaces/{namespace}/register': {
    privilege: 'CREATE_TABLE',
    on: 'DATABASE',
    lakeFormation: 'CreateTable',
    ok: 200,
    makeBody: async (admin, prefix) => ({
      name: 'registered',
      'metadata-location': (await admin('GET', `${prefix}/namespaces/d/tables/t`)).json['metadata-location'],
    }),
  },
  'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}/credentials': {
    privilege: 'SELECT',
    on: 'TABLE',
    lakeFormation: 'ShowCredential',
    ok: 200,
  },
  // Scan planning reads the table's data: its privilege is SELECT, as for vended credentials.
  'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/plan': {
    privilege: 'SELECT',
    on: 'TABLE',
    lakeFormation: 'ShowCredential',
    ok: 200,
    body: { filter: { type: 'eq', term: 'id', value: 1 } },
  },
  'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}/plan/{plan-id}': {
    privilege: 'SELECT',
    on: 'TABLE',
    lakeFormation: 'ShowCredential',
    ok: 200,
    plan: true,
  },
  'DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}/plan/{plan-id}': {
    privilege: 'SELECT',
    on: 'TABLE',
    lakeFormation: 'ShowCredential',
    ok: 204,
    plan: true,
  },
  // The fixture's table has no snapshot, so no plan has tasks: allowed, the call reaches the lookup of
  // the task (404 NoSuchPlanTaskException, which the refusals below never are).
  'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/tasks': {
    privilege: 'SELECT',
    on: 'TABLE',
    lakeFormation: 'ShowCredential',
    ok: 404,
    body: { 'plan-task': '00000000-0000-4000-8000-000000000000~0' },
  },
  'POST /v1/{prefix}/transactions/commit': {
    privilege: 'ALTER',
    on: 'TABLE',
    lakeFormation: 'UpdateTable',
    ok: 204,
    body: {
      'table-changes': [
        { identifier: id('t'), requirements: [], updates: [{ action: 'set-properties', updates: { changed: 'yes' } }] },
      ],
    },
  },
  'GET /v1/{prefix}/namespaces/{namespace}/views': {
    privilege: 'DESCRIBE',
    on: 'VIEW',
    lakeFormation: 'ListTables',
    ok: 200,
    lists: '"v"',
  },
  'POST /v1/{prefix}/namespaces/{namespace}/views': {
    privilege: 'CREATE_TABLE',
    on: 'DATABASE',
    lakeFormation: 'CreateTable',
    ok: 200,
    body: VIEW_BODY('made_view'),
  },
  'GET /v1/{prefix}/namespaces/{namespace}/views/{view}': {
    privilege: 'DESCRIBE',
    on: 'VIEW',
    lakeFormation: 'ShowTable',
    ok: 200,
  },
  'HEAD /v1/{prefix}/namespaces/{namespace}/views/{view}': {
    privilege: 'DESCRIBE',
    on: 'VIEW',
    lakeFormation: 'ShowTable',
    ok: 204,
  },
  'POST /v1/{prefix}/namespaces/{namespace}/views/{view}': {
    privilege: 'ALTER',
    on: 'VIEW',
    lakeFormation: 'UpdateTable',
    ok: 200,
    body: { requirements: [], updates: [{ action: 'set-properties', updates: { changed: 'yes' } }] },
  },
  'DELETE /v1/{prefix}/namespaces/{namespace}/views/{view}': {
    privilege: 'DROP',
    on: 'VIEW',
    lakeFormation: 'DeleteTable',
    ok: 204,
    destroys: true,
  },
  'POST /v1/{prefix}/views/rename': {
    privilege: 'ALTER',
    on: 'VIEW',
    lakeFormation: 'UpdateTable',
    ok: 204,
    body: { source: id('v'), destination: id('renamed_view') },
    destroys: true,
  },
};

const HOWS = ['direct', 'group', 'role'] as const;
/**
 * Grants reach users through groups and roles by one mechanism, which the LakeFormation matrices
 * test for every operation; here every endpoint runs for a user granted directly, and these for
 * all three (a read, a write and a create), to keep the suite's time in bounds.
 */
const ALL_HOWS = new Set([
  'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'POST /v1/{prefix}/namespaces/{namespace}/views',
]);
const MISSING_INSTANCE = '00000000-0000-4000-8000-000000000000';

for (const backend of await backends()) {
  describe(`iceberg tenancy and authorization (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    let foreign: string;
    let store: Store;
    let tokens: Grantees['tokens'];
    let principals: Grantees['principals'];
    const base = () => `/v1/${project}/instances/${instance}`;
    const ice = (method: string, p: string, t: string, body?: unknown) =>
      server.request(method, `/iceberg${p}`, { headers: { Authorization: `Bearer ${t}` }, body });
    const asAdmin = async (method: string, p: string, body?: unknown, accept: number[] = []) => {
      const r = await ice(method, p, token, body);
      assert.ok(r.status < 300 || accept.includes(r.status), `${method} ${p}: ${r.status} ${r.text}`);
      return r;
    };
    const pathOf = (endpoint: string, prefix: string) =>
      (endpoint.split(' ')[1] as string)
        .replace('{prefix}', prefix)
        .replace('{namespace}', 'd')
        .replace('{table}', 't')
        .replace('{view}', 'v');
    const methodOf = (endpoint: string) => endpoint.split(' ')[0] as string;

    before(async () => {
      // Hundreds of requests in a few seconds: a QPS spec well above the default.
      server = await startServer(backend, { env: { LAKEFORM_QPS_PER_STRIDE: '10000' } });
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'ice_authz');
      ({ tokens, principals } = await createGrantees(server, token, base(), 'i'));
      assert.equal(
        (await server.request('POST', '/v3/projects', { token, body: { project: { name: 'intruders' } } })).status,
        201,
      );
      foreign = (await server.login('admin', server.adminPassword, 'intruders')).token;
      store = openStore(server.databaseUrl);
    });
    after(async () => {
      await store?.close();
      await server?.stop();
    });

    /**
     * Catalog `c` with namespace `d`, holding Iceberg table `t` unless bare, and a neighbouring
     * namespace `e` with table `n`; what exists already stays.
     */
    async function fixture(c: string, bare: boolean) {
      await server.request('POST', `${base()}/catalogs`, { token, body: { catalog_name: c } });
      const prefix = `/v1/${instance}~${c}`;
      for (const ns of ['d', 'e']) await asAdmin('POST', `${prefix}/namespaces`, { namespace: [ns] }, [409]);
      if (!bare) await asAdmin('POST', `${prefix}/namespaces/d/tables`, { name: 't', schema: SCHEMA }, [409]);
      if (!bare) await asAdmin('POST', `${prefix}/namespaces/d/views`, VIEW_BODY('v'), [409]);
      await asAdmin('POST', `${prefix}/namespaces/e/tables`, { name: 'n', schema: SCHEMA }, [409]);
    }

    /** What an administrator sees of catalog `c` through Iceberg, and the metrics stored for it. */
    async function snapshot(c: string): Promise<string> {
      const prefix = `/v1/${instance}~${c}`;
      const out: unknown[] = [];
      const namespaces = (await asAdmin('GET', `${prefix}/namespaces`)).json.namespaces as string[][];
      for (const [ns] of namespaces) {
        out.push((await asAdmin('GET', `${prefix}/namespaces/${ns}`)).json);
        const identifiers = (await asAdmin('GET', `${prefix}/namespaces/${ns}/tables`)).json.identifiers as {
          name: string;
        }[];
        for (const t of identifiers)
          out.push((await asAdmin('GET', `${prefix}/namespaces/${ns}/tables/${t.name}`)).json);
        const views = (await asAdmin('GET', `${prefix}/namespaces/${ns}/views`)).json.identifiers as { name: string }[];
        for (const v of views) out.push((await asAdmin('GET', `${prefix}/namespaces/${ns}/views/${v.name}`)).json);
      }
      const reports = await store.db
        .selectFrom('lf_iceberg_metrics_reports')
        .select('id')
        .where('instance_id', '=', instance)
        .where('catalog_name', '=', c)
        .execute();
      out.push(reports.length);
      return JSON.stringify(out);
    }

    function resourceOf(level: Level, c: string) {
      if (level === 'CATALOG') return { type: 'CATALOG', catalogs: [{ name: c }] };
      if (level === 'DATABASE') return { type: 'DATABASE', catalogs: [{ name: c, databases: [{ name: 'd' }] }] };
      if (level === 'VIEW')
        return { type: 'TABLE', catalogs: [{ name: c, databases: [{ name: 'd', tables: [{ name: 'v' }] }] }] };
      return { type: 'TABLE', catalogs: [{ name: c, databases: [{ name: 'd', tables: [{ name: 't' }] }] }] };
    }

    const bodyOf = async (endpoint: string, c: string): Promise<unknown> => {
      const k = CASES[endpoint];
      return k?.makeBody ? k.makeBody((method, p) => asAdmin(method, p), `/v1/${instance}~${c}`) : k?.body;
    };
    const call = async (endpoint: string, c: string, t: string): Promise<Response> => {
      let p = pathOf(endpoint, `${instance}~${c}`);
      if (CASES[endpoint]?.plan) {
        const made = await asAdmin('POST', `/v1/${instance}~${c}/namespaces/d/tables/t/plan`, {});
        p = p.replace('{plan-id}', made.json['plan-id']);
      }
      return ice(methodOf(endpoint), p, t, await bodyOf(endpoint, c));
    };

    /** Refused: 403 naming the privilege, or a 404 as for what does not exist (or, for a list, nothing of the fixture); and nothing changed. */
    async function assertRefused(endpoint: string, c: string, t: string, when: string) {
      const k = CASES[endpoint] as IcebergCase;
      const before = await snapshot(c);
      const r = await call(endpoint, c, t);
      const hidden =
        r.status === 404 &&
        (methodOf(endpoint) === 'HEAD' ||
          /^NoSuch(Warehouse|Namespace|Table|View)Exception$/.test(r.json?.error?.type));
      const forbidden = r.status === 403 && r.json?.error?.type === 'ForbiddenException';
      const emptyList = k.lists !== undefined && r.status === 200 && !r.text.includes(k.lists);
      assert.ok(hidden || forbidden || emptyList, `${endpoint} ${when}: ${r.status} ${r.text}`);
      assert.equal(await snapshot(c), before, `${endpoint} ${when}: a refused call changed nothing`);
    }

    test('every Iceberg endpoint has a case, and every case an endpoint', () => {
      assert.ok(ICEBERG_ENDPOINTS.length >= 14, `only ${ICEBERG_ENDPOINTS.length} endpoints`);
      for (const e of Object.keys(CASES))
        assert.ok(
          (ICEBERG_ENDPOINTS as readonly string[]).includes(e),
          `the case ${e} names no endpoint of ICEBERG_ENDPOINTS`,
        );
    });

    test('a token of another project gets, on every endpoint, the 404 of a warehouse that does not exist, and changes nothing', async () => {
      await fixture('tenant', false);
      const before = await snapshot('tenant');
      for (const endpoint of ICEBERG_ENDPOINTS) {
        if (!CASES[endpoint]) continue; // reported by its own test below
        const answers: string[] = [];
        for (const target of [instance, MISSING_INSTANCE]) {
          const r = await ice(
            methodOf(endpoint),
            pathOf(endpoint, `${target}~tenant`),
            foreign,
            await bodyOf(endpoint, 'tenant'),
          );
          assert.equal(r.status, 404, `${endpoint} for ${target}: ${r.status} ${r.text}`);
          if (methodOf(endpoint) !== 'HEAD') {
            assert.equal(r.json.error.type, 'NoSuchWarehouseException', `${endpoint}: ${r.text}`);
            assert.ok(!r.text.includes(project), `${endpoint}: the answer names the owner's project: ${r.text}`);
          }
          answers.push(`${r.status} ${r.text.replaceAll(target, '<instance>')}`);
        }
        assert.equal(
          answers[0],
          answers[1],
          `${endpoint}: an existing and a missing warehouse must get the same answer`,
        );
      }
      assert.equal(await snapshot('tenant'), before, 'the owner sees the catalog unchanged');
    });

    for (const [index, endpoint] of ICEBERG_ENDPOINTS.entries()) {
      test(`${endpoint}: refused without a grant, allowed by exactly its privilege, refused after the revoke`, async () => {
        const k = CASES[endpoint];
        assert.ok(
          k,
          `${endpoint} has no case: add one to CASES in test/iceberg-authorization.test.ts (the LakeCat privilege of the equivalent LakeFormation operation, and a valid request)`,
        );
        for (const how of ALL_HOWS.has(endpoint) ? HOWS : (['direct'] as const)) {
          const c = `ia${index}_${how}`;
          await fixture(c, k.bare === true);
          await assertRefused(endpoint, c, tokens[how], `as ${how} with no grant`);
          const policy = (resource: unknown, privilege: string) => ({
            effect: true,
            principal_list: [principals[how]],
            resource,
            permissions: [privilege],
          });
          const grant = async (verb: 'grant' | 'revoke', body: unknown) => {
            const r = await server.request('POST', `${base()}/policies/${verb}`, { token, body });
            assert.equal(r.status, 200, r.text);
          };
          // A grant on the neighbouring namespace shows the warehouse, so what refuses next is the object's own check.
          const neighbour = policy(
            { type: 'TABLE', catalogs: [{ name: c, databases: [{ name: 'e', tables: [{ name: 'n' }] }] }] },
            'DESCRIBE',
          );
          await grant('grant', neighbour);
          await assertRefused(endpoint, c, tokens[how], `as ${how} with a grant on the neighbouring namespace only`);
          const own = policy(resourceOf(k.on, c), k.privilege);
          await grant('grant', own);
          const r = await call(endpoint, c, tokens[how]);
          assert.equal(
            r.status,
            k.ok,
            `${endpoint} as ${how} with ${k.privilege} on the ${k.on.toLowerCase()} (as ${k.lakeFormation}): ${r.status} ${r.text}`,
          );
          if (k.lists)
            assert.ok(r.text.includes(k.lists), `${endpoint}: the granted list shows the fixture: ${r.text}`);
          await grant('revoke', own);
          if (k.destroys) await fixture(c, k.bare === true);
          await assertRefused(endpoint, c, tokens[how], `as ${how} after the revoke`);
          await grant('revoke', neighbour);
        }
      });
    }
  });
}
