// Tenancy and authorization of every Iceberg route, generated from ICEBERG_ENDPOINTS (the list
// the config endpoint advertises) and the declarations of the actions their entries in the
// operation table name, as test/tenancy.test.ts and the authorization matrices do for the
// LakeFormation operations. For each endpoint: (a) a token of another project gets the same 404
// as for a warehouse that does not exist, and changes nothing; and for a user granted directly,
// through an IAM group and through a role: (b) with no grant, and with a grant on a neighbouring
// namespace only, the call is refused (403, or 404 as for what the caller cannot see) and changes
// nothing; (c) with the one privilege its declaration names, it succeeds; (d) after the revoke it
// is refused again on the next request. An endpoint without a request fails by name.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { allOperations } from '../src/http/app.js';
import { ICEBERG_ENDPOINTS } from '../src/http/routes/iceberg/index.js';
import type { AppServices } from '../src/services/app-services.js';
import { ACTIONS, type Requirement } from '../src/services/authz/actions.js';
import { openStore, type Store } from '../src/store/store.js';
import { catalogRows } from './helpers/catalog-rows.js';
import { createGrantees, type Grantees } from './helpers/grantees.js';
import { backends, createRunningInstance, type Response, startServer, type TestServer } from './helpers/server.js';

type Level = 'CATALOG' | 'DATABASE' | 'TABLE' | 'VIEW';
/** How to call an endpoint on the fixture: the request only; what it needs comes from its action's declaration. */
interface IcebergRequest {
  /** The status of success. */
  ok: number;
  body?: unknown;
  /** Or how to make the body from the fixture, given an administrator's calls and the catalog's Iceberg path. */
  makeBody?: (admin: (method: string, p: string) => Promise<Response>, prefix: string) => Promise<unknown>;
  /** It acts on the view `v` rather than the table `t`. */
  view?: boolean;
  /** The namespace holds no table (a namespace is dropped only when empty). */
  bare?: boolean;
  /** It removes or renames what it acts on: the fixture is laid again before the refusal after the revoke. */
  destroys?: boolean;
  /** A list: refused also means a 200 that shows nothing of the fixture. */
  lists?: string;
  /** The path's `{plan-id}` needs a plan of the fixture's table: an administrator makes one first. */
  plan?: boolean;
}
interface IcebergCase extends IcebergRequest {
  /** The action its operation names, and the one privilege that opens it on what. */
  action: string;
  privilege: string;
  on: Level;
}

/** The Iceberg entries of the operation table, keyed as ICEBERG_ENDPOINTS spells them. */
const icebergOps = new Map(
  allOperations({} as AppServices)
    .filter((op) => op.wire === 'iceberg')
    .map((op) => [`${op.method} ${op.path.replace(/^\/iceberg/, '')}`, op]),
);

const LEVEL = { catalog: 'CATALOG', database: 'DATABASE', table: 'TABLE' } as const;
/**
 * What the declaration says opens an endpoint: its privilege on its object; to see an object,
 * DESCRIBE on it; to list beneath a container, DESCRIBE on what it holds (a namespace of a
 * catalog, a table of a namespace).
 */
function needs(d: Requirement, view: boolean): Pick<IcebergCase, 'privilege' | 'on'> {
  const object = (o: keyof typeof LEVEL): Level => (o === 'table' && view ? 'VIEW' : LEVEL[o]);
  if (d.kind === 'privilege' && d.object in LEVEL)
    return { privilege: d.privileges[0], on: object(d.object as 'table') };
  if (d.kind === 'create' && d.object in LEVEL) return { privilege: d.privilege, on: object(d.object) };
  if (d.kind === 'see' && d.object in LEVEL) return { privilege: 'DESCRIBE', on: object(d.object as 'table') };
  if (d.kind === 'within') return { privilege: 'DESCRIBE', on: d.object === 'catalog' ? 'DATABASE' : object('table') };
  throw new Error(`a declaration no grant opens: ${JSON.stringify(d)}`);
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

/** How to call every Iceberg endpoint, keyed as ICEBERG_ENDPOINTS spells it; what opens it comes from its action. */
const REQUESTS: Record<string, IcebergRequest> = {
  'GET /v1/{prefix}/namespaces': {
    ok: 200,
    lists: '"d"',
  },
  'POST /v1/{prefix}/namespaces': {
    ok: 200,
    body: { namespace: ['made'] },
  },
  'GET /v1/{prefix}/namespaces/{namespace}': {
    ok: 200,
  },
  'HEAD /v1/{prefix}/namespaces/{namespace}': {
    ok: 204,
  },
  'DELETE /v1/{prefix}/namespaces/{namespace}': {
    ok: 204,
    bare: true,
    destroys: true,
  },
  'POST /v1/{prefix}/namespaces/{namespace}/properties': {
    ok: 200,
    body: { updates: { changed: 'yes' } },
  },
  'GET /v1/{prefix}/namespaces/{namespace}/tables': {
    ok: 200,
    lists: '"t"',
  },
  'POST /v1/{prefix}/namespaces/{namespace}/tables': {
    ok: 200,
    body: { name: 'made', schema: SCHEMA },
  },
  'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}': {
    ok: 200,
  },
  'HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}': {
    ok: 204,
  },
  'DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}': {
    ok: 204,
    destroys: true,
  },
  'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}': {
    ok: 200,
    body: { requirements: [], updates: [{ action: 'set-properties', updates: { changed: 'yes' } }] },
  },
  'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics': {
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
    ok: 204,
    body: { source: id('t'), destination: id('renamed') },
    destroys: true,
  },
  'POST /v1/{prefix}/namespaces/{namespace}/register': {
    ok: 200,
    makeBody: async (admin, prefix) => ({
      name: 'registered',
      'metadata-location': (await admin('GET', `${prefix}/namespaces/d/tables/t`)).json['metadata-location'],
    }),
  },
  'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}/credentials': {
    ok: 200,
  },
  // Scan planning reads the table's data: its privilege is SELECT, as for vended credentials.
  'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/plan': {
    ok: 200,
    body: { filter: { type: 'eq', term: 'id', value: 1 } },
  },
  'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}/plan/{plan-id}': {
    ok: 200,
    plan: true,
  },
  'DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}/plan/{plan-id}': {
    ok: 204,
    plan: true,
  },
  // The fixture's table has no snapshot, so no plan has tasks: allowed, the call reaches the lookup of
  // the task (404 NoSuchPlanTaskException, which the refusals below never are).
  'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/tasks': {
    ok: 404,
    body: { 'plan-task': '00000000-0000-4000-8000-000000000000~0' },
  },
  'POST /v1/{prefix}/transactions/commit': {
    ok: 204,
    body: {
      'table-changes': [
        { identifier: id('t'), requirements: [], updates: [{ action: 'set-properties', updates: { changed: 'yes' } }] },
      ],
    },
  },
  'GET /v1/{prefix}/namespaces/{namespace}/views': {
    view: true,
    ok: 200,
    lists: '"v"',
  },
  'POST /v1/{prefix}/namespaces/{namespace}/views': {
    ok: 200,
    body: VIEW_BODY('made_view'),
  },
  'GET /v1/{prefix}/namespaces/{namespace}/views/{view}': {
    view: true,
    ok: 200,
  },
  'HEAD /v1/{prefix}/namespaces/{namespace}/views/{view}': {
    view: true,
    ok: 204,
  },
  'POST /v1/{prefix}/namespaces/{namespace}/views/{view}': {
    view: true,
    ok: 200,
    body: { requirements: [], updates: [{ action: 'set-properties', updates: { changed: 'yes' } }] },
  },
  'DELETE /v1/{prefix}/namespaces/{namespace}/views/{view}': {
    view: true,
    ok: 204,
    destroys: true,
  },
  'POST /v1/{prefix}/views/rename': {
    view: true,
    ok: 204,
    body: { source: id('v'), destination: id('renamed_view') },
    destroys: true,
  },
};

/** The cases, from the declarations: an endpoint whose action is undeclared or has no request fails by name. */
const CASES: Record<string, IcebergCase> = Object.fromEntries(
  Object.entries(REQUESTS).flatMap(([endpoint, request]) => {
    const op = icebergOps.get(endpoint);
    if (!op) return [];
    return [[endpoint, { ...request, action: op.action, ...needs(ACTIONS[op.action], request.view === true) }]];
  }),
);

const HOWS = ['direct', 'group', 'role'] as const;
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

    /**
     * The stored state of catalog `c` (catalogRows): its namespaces, tables and views (their rows, which name their
     * current metadata files, written once and never changed), the tables' earlier versions and the metrics reported
     * for it. Through the Iceberg API it cost about ten requests a snapshot, two around each of the ~250 refused calls.
     */
    async function snapshot(c: string): Promise<string> {
      const { text, found } = await catalogRows(store, instance, c);
      // The fixture is there: a snapshot of nothing would compare equal to anything.
      assert.ok(found.databases >= 2, `catalog ${c} has its namespaces`);
      return text;
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

    /**
     * Refused: 403 naming the privilege, or a 404 as for what does not exist (or, for a list, nothing of the fixture);
     * and nothing changed.
     */
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
      for (const e of Object.keys(REQUESTS))
        assert.ok(
          (ICEBERG_ENDPOINTS as readonly string[]).includes(e) && icebergOps.has(e),
          `the request ${e} names no endpoint of ICEBERG_ENDPOINTS and the operation table`,
        );
      for (const e of ICEBERG_ENDPOINTS)
        assert.ok(icebergOps.has(e), `${e} is no Iceberg entry of the operation table`);
    });

    test(
      'a token of another project gets, on every endpoint, the 404 of ' +
        'a warehouse that does not exist, and changes nothing',
      async () => {
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
      },
    );

    for (const [index, endpoint] of ICEBERG_ENDPOINTS.entries()) {
      test(`${endpoint}: refused without a grant, allowed by just its privilege, refused after revoking`, async () => {
        const k = CASES[endpoint];
        assert.ok(k, `${endpoint} has no case: add its request to REQUESTS in test/iceberg-authorization.test.ts`);
        for (const how of HOWS) {
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
          // A grant on the neighbouring namespace shows the warehouse, so what refuses next is the object's own
          // check.
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
            `${endpoint} as ${how} with ${k.privilege} on the ${k.on.toLowerCase()} (${k.action}): ` +
              `${r.status} ${r.text}`,
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
