// Multi-tenancy is a security boundary: generated from the operation table, every operation
// whose path names a project (each declared an action that needs a caller) is called with a
// token of another project, for an instance that exists and one that does not. Each call must
// be refused with the same 403, change nothing, and reveal nothing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { allOperations } from '../src/http/app.js';
import type { AppServices } from '../src/services/app-services.js';
import { ACTIONS } from '../src/services/authz/actions.js';
import { backends, startServer, type TestServer } from './helpers/server.js';

const table = allOperations({} as AppServices);
const projectScoped = table.filter((op) => op.path.includes('{project_id}'));

for (const backend of await backends()) {
  describe(`tenancy (${backend.name})`, () => {
    let server: TestServer;
    let a: { token: string; projectId: string };
    let b: { token: string; projectId: string };
    let instanceId: string;
    const instanceName = `tenant_a_${Date.now().toString(36)}`;

    before(async () => {
      server = await startServer(backend);
      a = await server.login();
      const created = await server.request('POST', '/v3/projects', {
        token: a.token,
        body: { project: { name: 'project-b' } },
      });
      assert.equal(created.status, 201, created.text);
      b = await server.login('admin', server.adminPassword, 'project-b');
      const inst = await server.request('POST', `/v1/${a.projectId}/instances`, {
        token: a.token,
        body: {
          name: instanceName,
          charge_mode: 'postPaid',
          shared: true,
          tags: [{ key: 'owner', value: 'tenant-a' }],
        },
      });
      assert.equal(inst.status, 202, inst.text);
      instanceId = inst.json.instance_id;
    });
    after(async () => {
      await server?.stop();
    });

    test('the table has project-scoped operations to check, each declared an action that needs a caller', () => {
      assert.ok(projectScoped.length >= 12, `only ${projectScoped.length} project-scoped operations`);
      for (const op of projectScoped)
        assert.notEqual(ACTIONS[op.action].kind, 'public', `${op.name} is project-scoped but declared public`);
    });

    for (const op of projectScoped) {
      test(`${op.name}: a token of another project gets 403 and learns nothing`, async () => {
        const answers = [];
        for (const target of [instanceId, '00000000-0000-4000-8000-000000000000']) {
          const path = op.path
            .replace('{project_id}', a.projectId)
            .replace('{instance_id}', target)
            .replace(/\{\w+\}/g, 'x');
          const body = op.body
            ? {
                name: 'intruder_x',
                charge_mode: 'postPaid',
                shared: true,
                specs: [{ spec_code: 'lakeformation.unit.basic.qps', stride_num: 5 }],
                tags: [],
              }
            : undefined;
          const r = await server.request(op.method, path, {
            token: b.token,
            body,
            query: { to_recycle_bin: false, in_recycle_bin: false, use_predefine_tags: false },
          });
          assert.equal(r.status, 403, `${op.method} ${path}: ${r.text}`);
          assert.equal(typeof r.json.error_code, 'string');
          assert.ok(
            !r.text.includes(instanceName) && !r.text.includes(a.projectId) && !r.text.includes('tenant-a'),
            `the answer leaks data: ${r.text}`,
          );
          answers.push(`${r.json.error_code} ${r.json.error_msg}`);
        }
        assert.equal(answers[0], answers[1], 'an existing and a missing instance must get the same answer');
      });
    }

    test('after all of that, project A is unchanged and project B sees nothing of it', async () => {
      const show = await server.request('GET', `/v1/${a.projectId}/instances/${instanceId}`, { token: a.token });
      assert.equal(show.status, 200, show.text);
      assert.equal(show.json.name, instanceName);
      assert.deepEqual(show.json.tags, [{ key: 'owner', value: 'tenant-a' }]);
      assert.equal(show.json.in_recycle_bin, false);
      const listA = await server.request('GET', `/v1/${a.projectId}/instances`, {
        token: a.token,
        query: { limit: 100 },
      });
      assert.equal(listA.json.total, 1);
      const listB = await server.request('GET', `/v1/${b.projectId}/instances`, {
        token: b.token,
        query: { limit: 100 },
      });
      assert.equal(listB.status, 200);
      assert.equal(listB.json.total, 0);
      assert.deepEqual(listB.json.instances, []);
      const tagsB = await server.request('GET', `/v1/${b.projectId}/lakeformation-instance/tags`, { token: b.token });
      assert.deepEqual(tagsB.json.tags, []);
      const viaB = await server.request('GET', `/v1/${b.projectId}/instances/${instanceId}`, { token: b.token });
      assert.equal(viaB.status, 404, 'an instance of project A is not found through project B');
    });

    test('a domain-scoped token is refused on project routes', async () => {
      const r = await server.request('POST', '/v3/auth/tokens', {
        body: {
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: 'admin', password: server.adminPassword, domain: { name: 'default' } } },
            },
            scope: { domain: { name: 'default' } },
          },
        },
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.token.project, undefined);
      const token = r.headers.get('x-subject-token') as string;
      const list = await server.request('GET', `/v1/${a.projectId}/instances`, { token });
      assert.equal(list.status, 403, list.text);
    });
  });
}
