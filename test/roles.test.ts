// LakeCat roles, their principals, users' roles, and the domain's users and groups, on both stores.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

const user = (name: string, source = 'IAM') => ({
  principal_name: name,
  principal_source: source,
  principal_type: 'USER',
});
const group = (name: string, source = 'IAM') => ({
  principal_name: name,
  principal_source: source,
  principal_type: 'GROUP',
});
const role = (name: string) => ({ principal_name: name, principal_source: 'LOCAL', principal_type: 'ROLE' });
const roleRef = (name: string) => ({ role_name: name, principal_source: 'LOCAL' });

for (const backend of await backends()) {
  describe(`roles (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    let analyst: string;
    const base = () => `/v1/${project}/instances/${instance}`;

    before(async () => {
      server = await startServer(backend);
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'roles_inst');
      for (const name of ['ana', 'bob', 'carl']) {
        assert.equal(
          (await server.request('POST', '/v3/users', { token, body: { user: { name, password: 'Pass-word-123' } } }))
            .status,
          201,
        );
      }
      for (const name of ['analysts', 'engineers'])
        assert.equal((await server.request('POST', '/v3/groups', { token, body: { group: { name } } })).status, 201);
      analyst = (await server.login('ana', 'Pass-word-123')).token;
    });
    after(async () => {
      await server?.stop();
    });

    test('create, show, update (rename) and delete a role; names are case-insensitive and unique', async () => {
      const r = await server.request('POST', `${base()}/roles`, {
        token,
        body: { role_name: 'Data_Readers', description: 'read everything' },
      });
      assert.equal(r.status, 201, r.text);
      assert.deepEqual(r.json, {
        role_name: 'data_readers',
        description: 'read everything',
        principal_source: 'LOCAL',
      });
      assert.equal(
        (await server.request('POST', `${base()}/roles`, { token, body: { role_name: 'DATA_READERS' } })).status,
        409,
      );
      assert.deepEqual((await server.request('GET', `${base()}/roles/Data_Readers`, { token })).json, r.json);
      const bad = await server.request('POST', `${base()}/roles`, { token, body: { role_name: 'no-dashes' } });
      assert.equal(bad.status, 400);
      for (const name of ['writers', 'owners', 'temp'])
        assert.equal(
          (await server.request('POST', `${base()}/roles`, { token, body: { role_name: name } })).status,
          201,
        );
      const up = await server.request('PUT', `${base()}/roles/temp`, {
        token,
        body: { role_name: 'auditors', description: 'audit' },
      });
      assert.equal(up.status, 200, up.text);
      assert.deepEqual(up.json, { role_name: 'auditors', description: 'audit', principal_source: 'LOCAL' });
      assert.equal((await server.request('GET', `${base()}/roles/temp`, { token })).status, 404);
      assert.equal(
        (await server.request('PUT', `${base()}/roles/auditors`, { token, body: { role_name: 'writers' } })).status,
        409,
      );
      assert.deepEqual((await server.request('GET', `${base()}/roles/names`, { token })).json, [
        'auditors',
        'data_readers',
        'owners',
        'writers',
      ]);
      assert.equal((await server.request('DELETE', `${base()}/roles/auditors`, { token })).status, 204);
      assert.equal((await server.request('DELETE', `${base()}/roles/auditors`, { token })).status, 404);
    });

    test('roles list by pattern and page by marker both ways', async () => {
      const pat = await server.request('GET', `${base()}/roles`, { token, query: { role_pattern: 'data*|own*' } });
      assert.deepEqual(
        pat.json.roles.map((r: { role_name: string }) => r.role_name),
        ['data_readers', 'owners'],
      );
      const first = await server.request('GET', `${base()}/roles`, { token, query: { limit: 2 } });
      assert.deepEqual(
        first.json.roles.map((r: { role_name: string }) => r.role_name),
        ['data_readers', 'owners'],
      );
      assert.equal(first.json.page_info.previous_marker, undefined);
      const second = await server.request('GET', `${base()}/roles`, {
        token,
        query: { limit: 2, marker: first.json.page_info.next_marker },
      });
      assert.deepEqual(
        second.json.roles.map((r: { role_name: string }) => r.role_name),
        ['writers'],
      );
      assert.equal(second.json.page_info.next_marker, undefined);
      const back = await server.request('GET', `${base()}/roles`, {
        token,
        query: { limit: 2, marker: second.json.page_info.previous_marker, reverse_page: true },
      });
      assert.deepEqual(
        back.json.roles.map((r: { role_name: string }) => r.role_name),
        ['data_readers', 'owners'],
      );
      assert.equal(back.json.page_info.previous_marker, undefined);
      assert.equal(back.json.page_info.next_marker !== undefined, true);
      assert.equal(
        (await server.request('GET', `${base()}/roles`, { token, query: { marker: 'nowhere' } })).status,
        400,
      );
    });

    test(
      'principals: IAM users and groups must exist, roles nest without ' + 'cycles, lists page, replace and revoke',
      async () => {
        const p = `${base()}/roles/data_readers`;
        const add = await server.request('POST', `${p}/grant-principals`, {
          token,
          body: [user('ana'), user('bob'), group('analysts'), user('ext_user', 'LDAP'), role('writers')],
        });
        assert.equal(add.status, 200, add.text);
        const missing = await server.request('POST', `${p}/grant-principals`, {
          token,
          body: [user('carl'), user('ghost'), group('nogroup'), role('norole')],
        });
        assert.equal(missing.status, 404, missing.text);
        for (const why of ['ghost', 'nogroup', 'norole']) assert.match(missing.json.error_msg, new RegExp(why));
        const list = async (query: Record<string, string | number> = {}) =>
          server.request('GET', `${p}/principals`, { token, query });
        const all = await list();
        assert.deepEqual(
          all.json.principals.map((x: { principal_name: string }) => x.principal_name),
          ['ana', 'analysts', 'bob', 'ext_user', 'writers'],
          'carl was not added: the batch failed',
        );
        const page1 = await list({ limit: 3 });
        const page2 = await list({ limit: 3, marker: page1.json.page_info.next_marker });
        assert.deepEqual([...page1.json.principals, ...page2.json.principals], all.json.principals);
        assert.deepEqual(
          (await list({ principal_pattern: 'an*' })).json.principals.map(
            (x: { principal_name: string }) => x.principal_name,
          ),
          ['ana', 'analysts'],
        );
        const cycle = await server.request('POST', `${base()}/roles/writers/grant-principals`, {
          token,
          body: [role('data_readers')],
        });
        assert.equal(cycle.status, 404, cycle.text);
        assert.match(cycle.json.error_msg, /cycle/);
        const self = await server.request('POST', `${p}/grant-principals`, { token, body: [role('data_readers')] });
        assert.match(self.json.error_msg, /cycle/);
        assert.equal(
          (await server.request('POST', `${p}/revoke-principals`, { token, body: [user('bob')] })).status,
          200,
        );
        const replaced = await server.request('PUT', `${p}/update-principals`, {
          token,
          body: [user('ana'), group('engineers')],
        });
        assert.equal(replaced.status, 200, replaced.text);
        assert.deepEqual(replaced.json, [user('ana'), group('engineers')]);
        assert.deepEqual((await list()).json.principals, [user('ana'), group('engineers')]);
        assert.equal((await server.request('GET', `${base()}/roles/nope/principals`, { token })).status, 404);
      },
    );

    test(
      "a user's roles: grant, list, replace, revoke; renaming or " + 'deleting a role carries its memberships',
      async () => {
        const u = `${base()}/users/bob`;
        assert.equal(
          (await server.request('POST', `${u}/grant-roles`, { token, body: [roleRef('owners'), roleRef('writers')] }))
            .status,
          200,
        );
        const listed = await server.request('GET', `${u}/roles`, { token });
        assert.deepEqual(
          listed.json.roles.map((r: { role_name: string }) => r.role_name),
          ['owners', 'writers'],
        );
        assert.equal(
          (await server.request('POST', `${u}/grant-roles`, { token, body: [roleRef('owners'), roleRef('ghost')] }))
            .status,
          404,
        );
        const replaced = await server.request('PUT', `${u}/update-roles`, {
          token,
          body: [roleRef('writers'), roleRef('data_readers')],
        });
        assert.equal(replaced.status, 200, replaced.text);
        assert.deepEqual(
          replaced.json.map((r: { role_name: string }) => r.role_name),
          ['data_readers', 'writers'],
        );
        assert.deepEqual(
          (await server.request('GET', `${u}/roles`, { token })).json.roles.map(
            (r: { role_name: string }) => r.role_name,
          ),
          ['data_readers', 'writers'],
        );
        const renamed = await server.request('PUT', `${base()}/roles/writers`, {
          token,
          body: { role_name: 'editors' },
        });
        assert.equal(renamed.status, 200, renamed.text);
        assert.deepEqual(
          (await server.request('GET', `${u}/roles`, { token })).json.roles.map(
            (r: { role_name: string }) => r.role_name,
          ),
          ['data_readers', 'editors'],
        );
        assert.equal(
          (await server.request('POST', `${u}/revoke-roles`, { token, body: [roleRef('editors')] })).status,
          200,
        );
        assert.equal((await server.request('DELETE', `${base()}/roles/data_readers`, { token })).status, 204);
        assert.deepEqual((await server.request('GET', `${u}/roles`, { token })).json.roles, []);
        assert.equal((await server.request('GET', `${base()}/users/nobody/roles`, { token })).status, 404);
      },
    );

    test('only administrators manage roles; a user may read their own roles', async () => {
      assert.equal(
        (await server.request('POST', `${base()}/roles`, { token: analyst, body: { role_name: 'mine' } })).status,
        403,
      );
      assert.equal((await server.request('GET', `${base()}/roles`, { token: analyst })).status, 403);
      assert.equal(
        (await server.request('POST', `${base()}/users/ana/grant-roles`, { token: analyst, body: [roleRef('owners')] }))
          .status,
        403,
      );
      assert.equal(
        (await server.request('POST', `${base()}/users/ana/grant-roles`, { token, body: [roleRef('owners')] })).status,
        200,
      );
      const own = await server.request('GET', `${base()}/users/ana/roles`, { token: analyst });
      assert.equal(own.status, 200, own.text);
      assert.deepEqual(
        own.json.roles.map((r: { role_name: string }) => r.role_name),
        ['owners'],
      );
      assert.equal((await server.request('GET', `${base()}/users/bob/roles`, { token: analyst })).status, 403);
    });

    test("ListUsers and ListGroupsForDomain page through the domain's IAM directory", async () => {
      const users = await server.request('GET', `${base()}/users`, { token, query: { limit: 2 } });
      assert.equal(users.status, 200, users.text);
      assert.deepEqual(
        users.json.users.map((x: { user_name: string }) => x.user_name),
        ['admin', 'ana'],
      );
      assert.ok(
        users.json.users.every((x: { user_source: string; user_id: string }) => x.user_source === 'IAM' && x.user_id),
      );
      const rest = await server.request('GET', `${base()}/users`, {
        token,
        query: { limit: 2, marker: users.json.page_info.next_marker },
      });
      assert.deepEqual(
        rest.json.users.map((x: { user_name: string }) => x.user_name),
        ['bob', 'carl'],
      );
      assert.deepEqual(
        (
          await server.request('GET', `${base()}/users`, { token, query: { user_name_pattern: 'b*|c*' } })
        ).json.users.map((x: { user_name: string }) => x.user_name),
        ['bob', 'carl'],
      );
      assert.deepEqual(
        (await server.request('GET', `${base()}/users`, { token, query: { user_source: 'LDAP' } })).json.users,
        [],
      );
      const groups = await server.request('GET', `${base()}/groups`, { token });
      assert.equal(groups.status, 200, groups.text);
      assert.deepEqual(
        groups.json.user_group.map((g: { group_name: string }) => g.group_name),
        ['admin', 'analysts', 'engineers'],
      );
      assert.equal((await server.request('GET', `${base()}/users`, { token: analyst })).status, 403);
    });
  });
}
