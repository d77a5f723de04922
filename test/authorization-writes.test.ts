// Enforcement of every LakeCat write, generated from the operation table and the declarations
// of the actions its entries name: each operation that is not a GET beneath /catalogs is called,
// on fresh objects, by users reached directly, through an IAM group and through a role. With no
// grant it is refused (404 or 403) and changes nothing; with exactly the one privilege its
// declaration names it succeeds; after the revoke it is refused again on the next request.
// check-permission answers the same at every step. Every instance's operation declared for
// administrators only refuses a user holding ALL on everything, reached each of the three ways.
// Foreign projects are the tenancy test's matrix, over the same table.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { allOperations } from '../src/http/app.js';
import type { AppServices } from '../src/services/app-services.js';
import { ACTIONS, type Requirement } from '../src/services/authz/actions.js';
import { openStore, type Store } from '../src/store/store.js';
import { catalogRows } from './helpers/catalog-rows.js';
import { createGrantees, type Grantees, type How } from './helpers/grantees.js';
import { backends, createRunningInstance, type Response, startServer, type TestServer } from './helpers/server.js';

const table = allOperations({} as AppServices);
const lakecatWrites = table.filter((op) => op.method !== 'GET' && op.path.includes('/catalogs'));

type Level = 'CATALOG' | 'DATABASE' | 'TABLE' | 'FUNC';
/** How to call an operation on the fixture: the request only; what it needs comes from its declaration. */
interface Request {
  body?: unknown;
  query?: Record<string, string | string[]>;
  /** It removes the object it acts on: the refusal after the revoke needs the fixture again. */
  destroys?: boolean;
  /** The fixture holds no database of its own (a catalog is dropped only when empty). */
  bare?: boolean;
  /** The fixture's table or database is dropped into the recycle bin first (and made again), for a restore. */
  binned?: 'table' | 'database';
}
interface WriteCase extends Request {
  /** The one privilege that opens the operation ('' when none does), and what it is granted on. */
  privilege: string;
  on: Level;
  /** A read over POST: refused means 404, or an answer without the objects. */
  reads?: boolean;
}

const LEVEL = {
  catalog: 'CATALOG',
  database: 'DATABASE',
  table: 'TABLE',
  function: 'FUNC',
  dataset: 'DATABASE',
} as const;

/**
 * What the declaration says opens an operation: its privilege on its object, or (a read) DESCRIBE on the table it
 * shows.
 */
function needs(d: Requirement): Pick<WriteCase, 'privilege' | 'on' | 'reads'> {
  if (d.kind === 'privilege') return { privilege: d.privileges[0], on: LEVEL[d.object] };
  if (d.kind === 'create') return { privilege: d.privilege, on: LEVEL[d.object] };
  if (d.kind === 'see' || d.kind === 'within') return { privilege: 'DESCRIBE', on: 'TABLE', reads: true };
  return { privilege: '', on: 'CATALOG' };
}

const stats = (name: string) => ({
  column_name: name,
  column_type: 'int',
  data_type: 'longStats',
  long_statistics_data: { minimum_value: 1, maximum_value: 9, number_of_distinct_value: 9, number_of_null: 0 },
});
const partition = (v: string, extra: Record<string, unknown> = {}) => ({
  partition_values: [v],
  storage_descriptor: { columns: [] },
  ...extra,
});

/** How to call every LakeCat write: a new one without a request here fails the test below. */
const REQUESTS: Record<string, Request> = {
  CreateCatalog: {}, // administrators only: see the last test
  UpdateCatalog: { body: { catalog_name: '{c}', description: 'changed' } },
  DeleteCatalog: { destroys: true, bare: true },
  CreateDatabase: { body: { database_name: 'made' } },
  UpdateDatabase: { body: { database_name: 'd', description: 'changed' } },
  DeleteDatabase: { destroys: true, query: { cascade: 'true' } },
  CreateTable: {
    body: { table_name: 'made', table_type: 'EXTERNAL_TABLE', owner_type: 'USER', storage_descriptor: { columns: [] } },
  },
  ListTablesByName: { body: { table_names: ['t'] } },
  UpdateTable: { body: { table: { comments: 'changed' } } },
  DeleteAllTables: {},
  DeleteTable: { destroys: true },
  AddPartitions: { body: { if_not_exist: false, partitions: [partition('new')] } },
  BatchListPartitionByValues: { body: { values: [['a']] } },
  BatchUpdatePartition: {
    body: {
      partition_inputs: [{ partition_values: ['a'], partition: partition('a', { parameters: { changed: 'yes' } }) }],
    },
  },
  BatchDeletePartition: { body: { partition_values: [['a']] }, destroys: true },
  BatchDeletePartitionedStatistics: { body: { partition_values: [['a']] } },
  SetTableColumnStatistics: {
    body: {
      merge: false,
      table_column_statistics: { column_statistics_desc: {}, column_statistics_objects: [stats('id')] },
    },
  },
  ListTableColumnStatistics: { body: { column_names: ['id'] } },
  DeleteTableColumnStatistics: { query: { column_name: 'id' }, destroys: true },
  SetPartitionColumnStatistics: {
    body: {
      need_merge: false,
      statistics: [{ column_statistics_desc: { partition_values: ['a'] }, column_statistics_objects: [stats('id')] }],
    },
  },
  BatchShowPartitionColumnStatistics: {
    body: { aggregate_statics: false, column_names: ['id'], partition_values_list: [['a']] },
  },
  DeletePartitionColumnStatistics: { query: { partition_values: ['a'], column_name: 'id' }, destroys: true },
  CreateFunction: {
    body: { function_name: 'made', class_name: 'x.Made', function_type: 'JAVA', owner_type: 'USER', resource_uris: [] },
  },
  UpdateFunction: {
    body: { function_name: 'f', class_name: 'x.Changed', function_type: 'JAVA', owner_type: 'USER', resource_uris: [] },
  },
  DeleteFunction: { destroys: true },
  BatchCreateConstraint: {
    body: {
      unique_constraints: [
        {
          column_name: 'id',
          constraint_name: 'made_uq',
          enable_constraint: true,
          validate_constraint: false,
          rely_constraint: false,
        },
      ],
    },
  },
  DeleteConstraint: { destroys: true },
  CreateDataset: { body: { dataset_name: 'made', storage_type: 'MANAGED' } },
  UpdateDataset: { body: { description: 'changed' } },
  DeleteDataset: { destroys: true },
  RestoreTable: { body: { new_table_name: 'restored' }, binned: 'table' },
  RestoreDatabase: { body: { new_database_name: 'restored' }, binned: 'database' },
};

/** The cases, from the declarations: an operation whose action is undeclared or has no request fails by name. */
const CASES: Record<string, WriteCase> = Object.fromEntries(
  lakecatWrites
    .filter((op) => REQUESTS[op.name])
    .map((op) => [op.name, { ...REQUESTS[op.name], ...needs(ACTIONS[op.action]) }]),
);

/**
 * The instance's operations declared for administrators only; a valid request each (so the refusal is authorization,
 * not validation).
 */
const adminOnly = table.filter(
  (op) => ACTIONS[op.action].kind === 'admin' && op.path.includes('/instances/{instance_id}'),
);
const ADMIN_REQUESTS: Record<string, { body?: unknown; query?: Record<string, string> }> = {
  CreateCatalog: { body: { catalog_name: 'by_user' } },
  UpdateRecycleBin: { body: { retention_days: 3 } },
  CreateRole: { body: { role_name: 'by_user' } },
  UpdateRole: { body: { role_name: 'a_role', description: 'x' } },
  DeleteRole: {},
  AssociatePrincipals: { body: [{ principal_name: 'a_user', principal_source: 'IAM', principal_type: 'USER' }] },
  RevokePrincipals: { body: [{ principal_name: 'a_user', principal_source: 'IAM', principal_type: 'USER' }] },
  UpdatePrincipals: { body: [] },
  AssociateRoles: { body: [{ role_name: 'a_role', principal_source: 'LOCAL' }] },
  RevokeRoles: { body: [{ role_name: 'a_role', principal_source: 'LOCAL' }] },
  UpdateRoles: { body: [] },
  BatchAuthorizeInterface: {
    body: {
      effect: true,
      principal_list: [{ principal_name: 'a_user', principal_source: 'IAM', principal_type: 'USER' }],
      resource: { type: 'CATALOG', catalogs: [{ name: '*' }] },
      permissions: ['ALL'],
    },
  },
  BatchCancelAuthorizationInterface: {
    body: {
      effect: true,
      principal_list: [{ principal_name: 'a_user', principal_source: 'IAM', principal_type: 'USER' }],
      resource: { type: 'CATALOG', catalogs: [{ name: '*' }] },
      permissions: ['ALL'],
    },
  },
  BatchCheckPermission: { body: { access_request: [] } },
  UpdateLakeFormationInstance: { body: { name: 'by_user' } },
  UpdateLakeFormationInstanceScale: { body: { specs: [{ spec_code: 'lakeformation.unit.basic.qps', stride_num: 8 }] } },
  BatchUpdateLakeFormationInstanceTags: { body: { tags: [{ key: 'by', value: 'user' }] } },
  CreateAccessClient: {
    body: {
      name: 'by_user',
      access_mode: 'SYSTEM',
      vpc_id: '11111111-2222-4333-8444-555555555555',
      subnet_id: '66666666-7777-4888-9999-000000000000',
    },
  },
  ApplyForAccess: { body: [{ domain: 'by.user.example', vpcep_id: 'x' }] },
  UpdateAccessClient: { body: { name: 'by_user' } },
  CreateJobByInstance: { body: { name: 'by_user', type: 'METADATA_DISCOVERY', parameter: {} } },
  UpdateJobByInstance: { body: { name: 'by_user', parameter: {} } },
  CreateAlarmRule: {
    body: {
      rule_name: 'by_user',
      metric: 'REQUEST_RATE_RATIO',
      comparison_operator: '>',
      threshold: 1,
      evaluation_period: 1,
    },
  },
  UpdateAlarmRule: { body: {} },
  AcknowledgeAlarmRecord: { body: {} },
  ListJobsByInstance: { query: { type: 'METADATA_DISCOVERY' } },
  ListUsers: { query: { user_source: 'IAM' } },
  ListGroupsForDomain: { query: { group_source: 'IAM' } },
};

for (const backend of await backends()) {
  describe(`authorization of writes (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    let tokens: Grantees['tokens'];
    let principals: Grantees['principals'];
    let users: Grantees['users'];
    let store: Store;
    const base = () => `/v1/${project}/instances/${instance}`;

    const ok = async (method: string, path: string, body?: unknown, query?: Record<string, string>) => {
      const r = await server.request(method, path, { token, body, query });
      assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
      return r;
    };

    before(async () => {
      // Thousands of requests in a few seconds: a QPS spec well above the default's 500/s.
      server = await startServer(backend, { env: { LAKEFORM_QPS_PER_STRIDE: '10000' } });
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'writes_inst');
      ({ tokens, principals, users } = await createGrantees(server, token, base(), 'w'));
      await ok('POST', '/v3/users', { user: { name: 'a_user', password: 'Pass-word-123' } });
      await ok('POST', `${base()}/roles`, { role_name: 'a_role' });
      store = openStore(server.databaseUrl);
    });
    after(async () => {
      await store?.close();
      await server?.stop();
    });

    test('every LakeCat write of the operation table has a case, and there are writes to check', () => {
      assert.ok(lakecatWrites.length >= 20, `only ${lakecatWrites.length} writes`);
      for (const op of lakecatWrites) assert.ok(CASES[op.name], `${op.name} has no request in this matrix`);
      // The cases no grant opens are those declared for administrators, and the last test calls each.
      for (const op of lakecatWrites) assert.equal(CASES[op.name]?.privilege === '', adminOnly.includes(op), op.name);
    });

    /**
     * Catalog `c`, database `d`, partitioned managed table `t` (partition a, statistics on id, primary key k), function
     * `f` and dataset `s`; what exists already stays.
     */
    /** Drops the fixture's table or database into the recycle bin, and makes the fixture again. */
    async function intoTheBin(kind: 'table' | 'database', c: string) {
      const d = `${base()}/catalogs/${c}/databases`;
      await ok('DELETE', kind === 'table' ? `${d}/d/tables/t` : `${d}/d?cascade=true`);
      await fixture(c, false);
    }

    async function fixture(c: string, bare: boolean) {
      const quietly = async (method: string, path: string, body?: unknown) => {
        const r = await server.request(method, path, { token, body });
        assert.ok(r.status < 300 || r.status === 409, `${method} ${path}: ${r.status} ${r.text}`);
      };
      await quietly('POST', `${base()}/catalogs`, { catalog_name: c });
      if (bare) return;
      const d = `${base()}/catalogs/${c}/databases`;
      await quietly('POST', d, { database_name: 'd' });
      await quietly('POST', `${d}/d/tables`, {
        table_name: 't',
        table_type: 'MANAGED_TABLE',
        owner_type: 'USER',
        storage_descriptor: { columns: [{ column_name: 'id', column_type: 'int' }] },
        partition_keys: [{ column_name: 'dt', column_type: 'string' }],
      });
      await quietly('POST', `${d}/d/tables/t/partitions/batch-create`, {
        if_not_exist: true,
        partitions: [partition('a')],
      });
      await ok('POST', `${d}/d/tables/t/column-statistics`, CASES.SetTableColumnStatistics?.body);
      await ok('POST', `${d}/d/tables/t/partitions/column-statistics`, CASES.SetPartitionColumnStatistics?.body);
      await quietly('POST', `${d}/d/tables/t/constraints`, {
        primary_keys: [
          {
            column_name: 'id',
            primary_key_name: 'k',
            enable_constraint: true,
            validate_constraint: false,
            rely_constraint: false,
          },
        ],
      });
      await quietly('POST', `${d}/d/functions`, {
        function_name: 'f',
        class_name: 'x.F',
        function_type: 'JAVA',
        owner_type: 'USER',
        resource_uris: [],
      });
      await quietly('POST', `${d}/d/datasets`, { dataset_name: 's', storage_type: 'MANAGED', description: 'fixture' });
    }

    /**
     * The stored state of catalog `c` (catalogRows): its row, the rows of everything in it and the events logged for
     * it. Through the API it took ten requests a snapshot, two around each of the ~150 refused calls, most of the
     * file's requests.
     */
    async function snapshot(c: string): Promise<string> {
      const { text, found } = await catalogRows(store, instance, c);
      // The fixture is there: a snapshot of nothing would compare equal to anything.
      assert.equal(found.catalogs, 1, `catalog ${c} exists`);
      return text;
    }

    function resourceOf(level: Level, c: string) {
      if (level === 'CATALOG') return { type: 'CATALOG', catalogs: [{ name: c }] };
      if (level === 'DATABASE') return { type: 'DATABASE', catalogs: [{ name: c, databases: [{ name: 'd' }] }] };
      if (level === 'TABLE')
        return { type: 'TABLE', catalogs: [{ name: c, databases: [{ name: 'd', tables: [{ name: 't' }] }] }] };
      return { type: 'FUNC', catalogs: [{ name: c, databases: [{ name: 'd', functions: [{ name: 'f' }] }] }] };
    }

    function checkedResource(level: Level, c: string) {
      if (level === 'CATALOG') return { resource_type: 'CATALOG', catalog: c };
      if (level === 'DATABASE') return { resource_type: 'DATABASE', catalog: c, database: 'd' };
      if (level === 'TABLE') return { resource_type: 'TABLE', catalog: c, database: 'd', table: 't' };
      return { resource_type: 'FUNC', catalog: c, database: 'd', function: 'f' };
    }

    const pathOf = (template: string, c: string) =>
      template
        .replace('{project_id}', project)
        .replace('{instance_id}', instance)
        .replace('{catalog_name}', c)
        .replace('{database_name}', 'd')
        .replace('{table_name}', 't')
        .replace('{function_name}', 'f')
        .replace('{dataset_name}', 's')
        .replace('{constraint_name}', 'k');

    const fill = (v: unknown, c: string): unknown =>
      JSON.parse(JSON.stringify(v ?? null).replaceAll('{c}', c)) ?? undefined;

    async function callAs(who: How, op: { method: string; path: string; name: string }, c: string): Promise<Response> {
      const k = CASES[op.name] as WriteCase;
      return server.request(op.method, pathOf(op.path, c), {
        token: tokens[who],
        body: fill(k.body, c),
        query: k.query,
      });
    }

    /** Refused: 403/404, or (a read) an answer without the fixture's objects; and nothing changed. */
    async function assertRefused(
      who: How,
      op: { method: string; path: string; name: string },
      c: string,
      when: string,
    ) {
      const k = CASES[op.name] as WriteCase;
      const before = await snapshot(c);
      const r = await callAs(who, op, c);
      const refused =
        r.status === 403 || r.status === 404 || (k.reads === true && r.status === 200 && !/"(t|id|a)"/.test(r.text));
      assert.ok(refused, `${op.name} as ${who} ${when}: ${r.status} ${r.text}`);
      if (r.status === 403)
        assert.match(
          r.json.error_msg,
          new RegExp(k.privilege || 'administrator'),
          `${op.name}: the refusal names what is missing`,
        );
      assert.equal(await snapshot(c), before, `${op.name} as ${who} ${when}: a refused call changed nothing`);
    }

    async function checkAs(who: keyof typeof users, k: WriteCase, c: string): Promise<boolean> {
      const r = await server.request('POST', `${base()}/policies/check-permission`, {
        token,
        body: {
          access_request: [
            {
              action: k.privilege,
              principal: [{ principal_name: users[who], principal_source: 'IAM', principal_type: 'USER' }],
              resource: checkedResource(k.on, c),
            },
          ],
        },
      });
      assert.equal(r.status, 200, r.text);
      return r.json[0].check_result as boolean;
    }

    const hows = ['direct', 'group', 'role'] as const;
    for (const [index, how] of hows.entries()) {
      test(
        `every write, granted ` +
          `${how === 'direct' ? 'to the user' : `through ${how === 'group' ? 'an IAM group' : 'a role'}`}: ` +
          `refused, then allowed by exactly its privilege, then refused ` +
          `after the revoke`,
        async () => {
          let n = 0;
          for (const op of lakecatWrites) {
            const k = CASES[op.name] as WriteCase;
            if (!k.privilege) continue;
            const c = `w${index}_${n++}`;
            await fixture(c, k.bare === true);
            if (k.binned) await intoTheBin(k.binned, c);
            await assertRefused(how, op, c, 'with no grant');
            assert.equal(await checkAs(how, k, c), false, `${op.name}: check-permission before the grant`);
            const policy = {
              effect: true,
              principal_list: [principals[how]],
              resource: resourceOf(k.on, c),
              permissions: [k.privilege],
            };
            await ok('POST', `${base()}/policies/grant`, policy);
            assert.equal(await checkAs(how, k, c), true, `${op.name}: check-permission with the grant`);
            const r = await callAs(how, op, c);
            assert.ok(
              r.status < 300,
              `${op.name} as ${how} with ${k.privilege} on the ${k.on.toLowerCase()}: ${r.status} ${r.text}`,
            );
            if (k.reads) assert.match(r.text, /"(t|id|a)"/, `${op.name}: the granted read shows the object`);
            await ok('POST', `${base()}/policies/revoke`, policy);
            assert.equal(await checkAs(how, k, c), false, `${op.name}: check-permission after the revoke`);
            if (k.destroys) await fixture(c, k.bare === true);
            await assertRefused(how, op, c, 'after the revoke');
          }
        },
      );
    }

    // Granting with a wildcard is for administrators too, though granting as such is open to owners and grant options.
    const refusedToAll = [
      ...adminOnly,
      ...table.filter((op) => op.name === 'BatchAuthorizeInterface' || op.name === 'BatchCancelAuthorizationInterface'),
    ];
    const adminPath = (op: { path: string }) =>
      op.path
        .replace('{project_id}', project)
        .replace('{instance_id}', instance)
        .replace('{role_name}', 'a_role')
        .replace('{user_name}', 'a_user')
        .replace(/\{(rule|record|recycle_bin)_id\}/g, '0'.repeat(32))
        .replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000');

    test('every operation declared for administrators has a valid request here', () => {
      assert.ok(adminOnly.length >= 30, `only ${adminOnly.length} administrator-only operations`);
      for (const op of adminOnly)
        assert.ok(!op.body || ADMIN_REQUESTS[op.name], `${op.name} has no request in this matrix`);
    });

    test(
      'operations no grant opens refuse a user holding ALL on every ' +
        'catalog (directly, through a group, through a role), and an ' +
        'administrator may call them',
      async () => {
        for (const how of hows) {
          const everything = {
            effect: true,
            principal_list: [principals[how]],
            resource: { type: 'CATALOG', catalogs: [{ name: '*' }] },
            permissions: ['ALL'],
          };
          await ok('POST', `${base()}/policies/grant`, everything);
          for (const op of refusedToAll) {
            const k = ADMIN_REQUESTS[op.name] ?? {};
            const r = await server.request(op.method, adminPath(op), {
              token: tokens[how],
              body: k.body,
              query: k.query,
            });
            assert.equal(r.status, 403, `${op.name} as a holder of ALL (${how}): ${r.status} ${r.text}`);
            assert.ok(r.json.error_code && r.json.error_msg, `${op.name}: a JSON error`);
          }
          await ok('POST', `${base()}/policies/revoke`, everything);
        }
        // The same requests from an administrator pass authorization (in an order where each finds what it needs).
        for (const name of [
          'CreateCatalog',
          'BatchCheckPermission',
          'UpdateRole',
          'AssociatePrincipals',
          'RevokePrincipals',
          'AssociateRoles',
          'RevokeRoles',
          'BatchCancelAuthorizationInterface',
        ]) {
          const op = refusedToAll.find((o) => o.name === name) as { method: string; path: string };
          const k = ADMIN_REQUESTS[name] as { body?: unknown };
          await ok(op.method, adminPath(op), k.body);
        }
      },
    );
  });
}
