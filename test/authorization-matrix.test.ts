// Enforcement, generated from the operation table and the declarations of its actions: every
// read (GET) of the LakeCat object tree, each declared to need its object shown (or its
// container, for a listing), is called by users who reach a table and a function directly,
// through an IAM group and through a role. Before the grant each is denied (404, or a list of catalogs without them),
// with
// it each succeeds and sees them, after the revoke each is denied again; check-permission
// answers the same at every step.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { allOperations } from '../src/http/app.js';
import type { AppServices } from '../src/services/app-services.js';
import { ACTIONS } from '../src/services/authz/actions.js';
import { createGrantees, type Grantees, type How } from './helpers/grantees.js';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

const lakecatGets = allOperations({} as AppServices).filter(
  (op) => op.method === 'GET' && op.path.startsWith('/v1/{project_id}/instances/{instance_id}/catalogs'),
);
/**
 * Reads by declaration: the object must show (or its container, for a listing); the list of catalogs shows what the
 * grants reach.
 */
const isRead = (action: keyof typeof ACTIONS) =>
  ['see', 'within'].includes(ACTIONS[action].kind) || action === 'catalog.list';
const reads = lakecatGets.filter((op) => isRead(op.action));

const NAMES: Record<string, string> = {
  catalog_name: 'mx',
  database_name: 'dx',
  table_name: 'tx',
  function_name: 'fx',
  dataset_name: 'sx',
};
// A list shows the objects below its path; which of them depends on the operation.
const LISTED = ['tx', 'fx', 'dx', 'mx', 'dt=a', 'sx'];
// Reads that need a query parameter to be a valid request.
const QUERIES: Record<string, Record<string, string>> = { ListConstraints: { type: 'PRIMARY_KEY' } };

for (const backend of await backends()) {
  describe(`authorization matrix (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    let tokens: Grantees['tokens'];
    let principals: Grantees['principals'];
    let users: Grantees['users'];
    const base = () => `/v1/${project}/instances/${instance}`;
    const resource = {
      type: 'TABLE',
      catalogs: [{ name: 'mx', databases: [{ name: 'dx', tables: [{ name: 'tx' }] }] }],
    };
    const fnResource = {
      type: 'FUNC',
      catalogs: [{ name: 'mx', databases: [{ name: 'dx', functions: [{ name: 'fx' }] }] }],
    };

    before(async () => {
      server = await startServer(backend);
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'matrix_inst');
      const ok = async (method: string, path: string, body?: unknown) => {
        const r = await server.request(method, path, { token, body });
        assert.ok(r.status < 300, `${method} ${path}: ${r.text}`);
        return r;
      };
      await ok('POST', `${base()}/catalogs`, { catalog_name: 'mx' });
      await ok('POST', `${base()}/catalogs/mx/databases`, { database_name: 'dx' });
      await ok('POST', `${base()}/catalogs/mx/databases/dx/tables`, {
        table_name: 'tx',
        table_type: 'EXTERNAL_TABLE',
        owner_type: 'USER',
        storage_descriptor: { columns: [{ column_name: 'id', column_type: 'int' }] },
        partition_keys: [{ column_name: 'dt', column_type: 'string' }],
      });
      await ok('POST', `${base()}/catalogs/mx/databases/dx/tables/tx/constraints`, {
        primary_keys: [
          {
            column_name: 'id',
            primary_key_name: 'kx',
            enable_constraint: true,
            validate_constraint: false,
            rely_constraint: false,
          },
        ],
      });
      await ok('POST', `${base()}/catalogs/mx/databases/dx/tables/tx/partitions/batch-create`, {
        if_not_exist: false,
        partitions: [{ partition_values: ['a'], storage_descriptor: { columns: [] } }],
      });
      await ok('POST', `${base()}/catalogs/mx/databases/dx/functions`, {
        function_name: 'fx',
        class_name: 'x.F',
        function_type: 'JAVA',
        owner_type: 'USER',
        resource_uris: [],
      });
      // Datasets have no grants of their own: the table grant below shows their database, and so them.
      await ok('POST', `${base()}/catalogs/mx/databases/dx/datasets`, { dataset_name: 'sx', storage_type: 'MANAGED' });
      ({ tokens, principals, users } = await createGrantees(server, token, base(), 'm'));
    });
    after(async () => {
      await server?.stop();
    });

    test('the table has LakeCat reads to check, and every GET of the object tree is declared a read', () => {
      assert.ok(reads.length >= 12, `only ${reads.length} reads`);
      for (const op of lakecatGets)
        assert.ok(isRead(op.action), `${op.name} (${op.action}) is a GET not declared as a read`);
    });

    const pathOf = (template: string) =>
      template
        .replace('{project_id}', project)
        .replace('{instance_id}', instance)
        .replace(/\{(\w+)\}/g, (_, k: string) => NAMES[k] as string);

    /** Whether a user can read through every operation: all allowed (true), all denied (false), or a mix (an error). */
    async function readsAs(who: How): Promise<boolean> {
      const outcome: string[] = [];
      for (const op of reads) {
        const r = await server.request('GET', pathOf(op.path), { token: tokens[who], query: QUERIES[op.name] });
        const named = /\{(catalog|database|table|function|dataset)_name\}$/.test(op.path);
        let allowed: boolean;
        if (named) {
          assert.ok(r.status === 200 || r.status === 404, `${op.name} as ${who}: ${r.status} ${r.text}`);
          allowed = r.status === 200;
        } else {
          // A list below a catalog or database the user cannot see is a 404, as if it did not
          // exist; the list of catalogs leaves the invisible ones out.
          allowed = r.status === 200 && LISTED.some((n) => r.text.includes(`"${n}"`));
          const below = op.path.includes('{catalog_name}');
          assert.ok(
            allowed || (below ? r.status === 404 : r.status === 200),
            `${op.name} as ${who}: ${r.status} ${r.text}`,
          );
        }
        outcome.push(`${op.name}=${allowed}`);
      }
      const all = outcome.every((o) => o.endsWith('=true'));
      const none = outcome.every((o) => o.endsWith('=false'));
      assert.ok(all || none, `${who}: reads disagree: ${outcome.join(' ')}`);
      return all;
    }

    async function checkAs(who: keyof typeof principals): Promise<boolean> {
      const body = {
        access_request: [
          {
            action: 'DESCRIBE',
            principal: [{ principal_name: users[who], principal_source: 'IAM', principal_type: 'USER' }],
            resource: { resource_type: 'TABLE', catalog: 'mx', database: 'dx', table: 'tx' },
          },
        ],
      };
      const r = await server.request('POST', `${base()}/policies/check-permission`, { token, body });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json[0].deciding_policies, undefined, 'the reference answer, unless an explanation is asked for');
      // The lakeform extension: the same answer, with the policies that decided it (the grant to the user, its group or
      // its role).
      const explained = await server.request('POST', `${base()}/policies/check-permission`, {
        token,
        body,
        query: { explain: true },
      });
      assert.equal(explained.status, 200, explained.text);
      assert.equal(explained.json[0].check_result, r.json[0].check_result);
      const deciding = explained.json[0].deciding_policies as {
        principal_type: string;
        principal_name: string;
        permissions: string[];
        effect: boolean;
      }[];
      if (r.json[0].check_result) {
        assert.deepEqual(
          deciding.map((p) => [p.principal_type, p.principal_name, p.permissions, p.effect]),
          [[principals[who].principal_type, principals[who].principal_name, ['DESCRIBE'], true]],
        );
      } else {
        assert.deepEqual(deciding, []);
      }
      return r.json[0].check_result as boolean;
    }

    for (const how of ['direct', 'group', 'role'] as const) {
      test(
        `a grant ${how === 'direct' ? 'to the user' : `through ${how === 'group' ? 'an IAM group' : 'a role'}`}: ` +
          `denied, then allowed on every read, then denied after the revoke`,
        async () => {
          assert.equal(await readsAs(how), false, 'no grant yet');
          assert.equal(await checkAs(how), false);
          const grant = async (path: string, res: unknown, permissions: string[]) => {
            const r = await server.request('POST', `${base()}/policies/${path}`, {
              token,
              body: { effect: true, principal_list: [principals[how]], resource: res, permissions },
            });
            assert.equal(r.status, 200, r.text);
          };
          await grant('grant', resource, ['DESCRIBE']);
          await grant('grant', fnResource, ['EXEC']);
          assert.equal(await readsAs(how), true, 'granted');
          assert.equal(await checkAs(how), true);
          await grant('revoke', resource, ['DESCRIBE']);
          await grant('revoke', fnResource, ['EXEC']);
          assert.equal(await readsAs(how), false, 'revoked: denied on the next request');
          assert.equal(await checkAs(how), false);
        },
      );
    }
  });
}
