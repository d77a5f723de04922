// The IAM-compatible identity service: tokens, users, groups, projects, access keys and signed requests.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signRequest } from '../src/services/iam/request-signature.js';
import { backends, startServer, type TestServer } from './helpers/server.js';

const passwordAuth = (
  name: string,
  password: string,
  scope: Record<string, unknown> = { project: { name: 'default' } },
) => ({
  auth: {
    identity: { methods: ['password'], password: { user: { name, password, domain: { name: 'default' } } } },
    scope,
  },
});

for (const backend of await backends()) {
  describe(`iam (${backend.name})`, () => {
    let server: TestServer;
    let admin: { token: string; projectId: string; userId: string };
    before(async () => {
      server = await startServer(backend, { env: { LAKEFORM_TOKEN_CACHE_SECONDS: '0' } });
      admin = await server.login();
    });
    after(async () => {
      await server?.stop();
    });

    test('password login answers 201 with X-Subject-Token and the Keystone token body', async () => {
      const r = await server.request('POST', '/v3/auth/tokens', { body: passwordAuth('admin', server.adminPassword) });
      assert.equal(r.status, 201, r.text);
      assert.ok(r.headers.get('x-subject-token'));
      const t = r.json.token;
      assert.deepEqual(t.methods, ['password']);
      assert.equal(t.user.name, 'admin');
      assert.match(t.user.id, /^[0-9a-f]{32}$/);
      assert.equal(t.user.domain.name, 'default');
      assert.equal(t.project.name, 'default');
      assert.match(t.project.id, /^[0-9a-f]{32}$/);
      assert.equal(t.project.domain.id, t.user.domain.id);
      const ttl = Date.parse(t.expires_at) - Date.parse(t.issued_at);
      assert.ok(Math.abs(ttl - 86_400_000) < 5000, `24 h by default, got ${ttl} ms`);
      assert.ok(Array.isArray(t.roles) && t.roles.length > 0);
      assert.ok(Array.isArray(t.catalog) && t.catalog[0].endpoints[0].url.startsWith('http://127.0.0.1'));
      const noCatalog = await server.request('POST', '/v3/auth/tokens', {
        body: passwordAuth('admin', server.adminPassword),
        query: { nocatalog: 'true' },
      });
      assert.equal(noCatalog.json.token.catalog, undefined);
    });

    test('scope by project id works; an unknown project and a missing scope are refused', async () => {
      const byId = await server.request('POST', '/v3/auth/tokens', {
        body: passwordAuth('admin', server.adminPassword, { project: { id: admin.projectId } }),
      });
      assert.equal(byId.status, 201);
      assert.equal(byId.json.token.project.id, admin.projectId);
      const unknown = await server.request('POST', '/v3/auth/tokens', {
        body: passwordAuth('admin', server.adminPassword, { project: { name: 'nowhere' } }),
      });
      assert.equal(unknown.status, 401);
      const noScope = await server.request('POST', '/v3/auth/tokens', {
        body: { auth: { identity: passwordAuth('admin', server.adminPassword).auth.identity } },
      });
      assert.equal(noScope.status, 400);
    });

    test('wrong password and unknown user get the same 401; five failures lock the account', async () => {
      const u = await server.request('POST', '/v3/users', {
        token: admin.token,
        body: { user: { name: 'lockme', password: 'Lock-me-123' } },
      });
      assert.equal(u.status, 201, u.text);
      const wrong = await server.request('POST', '/v3/auth/tokens', { body: passwordAuth('lockme', 'nope-nope-1') });
      const ghost = await server.request('POST', '/v3/auth/tokens', { body: passwordAuth('nobody', 'nope-nope-1') });
      assert.equal(wrong.status, 401);
      assert.equal(ghost.status, 401);
      assert.equal(wrong.json.error_msg, ghost.json.error_msg, 'no user enumeration');
      for (let i = 0; i < 4; i++)
        await server.request('POST', '/v3/auth/tokens', { body: passwordAuth('lockme', 'nope-nope-1') });
      const locked = await server.request('POST', '/v3/auth/tokens', { body: passwordAuth('lockme', 'Lock-me-123') });
      assert.equal(locked.status, 401);
      assert.match(locked.json.error_msg, /locked/);
    });

    test('validate and revoke: GET shows the subject token, DELETE ends it', async () => {
      const other = await server.login();
      const v = await server.request('GET', '/v3/auth/tokens', {
        token: admin.token,
        headers: { 'X-Subject-Token': other.token },
      });
      assert.equal(v.status, 200, v.text);
      assert.equal(v.headers.get('x-subject-token'), other.token);
      assert.equal(v.json.token.user.name, 'admin');
      const del = await server.request('DELETE', '/v3/auth/tokens', {
        token: admin.token,
        headers: { 'X-Subject-Token': other.token },
      });
      assert.equal(del.status, 204);
      const use = await server.request('GET', `/v1/${admin.projectId}/instances`, { token: other.token });
      assert.equal(use.status, 401);
      const gone = await server.request('GET', '/v3/auth/tokens', {
        token: admin.token,
        headers: { 'X-Subject-Token': other.token },
      });
      assert.equal(gone.status, 404);
    });

    test('tokens expire', async () => {
      const short = await startServer(backend, {
        env: { LAKEFORM_TOKEN_TTL_SECONDS: '1', LAKEFORM_TOKEN_CACHE_SECONDS: '0' },
      });
      try {
        const { token, projectId } = await short.login();
        assert.equal((await short.request('GET', `/v1/${projectId}/instances`, { token })).status, 200);
        await short.passTime(1300);
        assert.equal((await short.request('GET', `/v1/${projectId}/instances`, { token })).status, 401);
      } finally {
        await short.stop();
      }
    });

    test('users, groups and membership: admin rights come from the admin group', async () => {
      const created = await server.request('POST', '/v3/users', {
        token: admin.token,
        body: { user: { name: 'carol', password: 'Carol-pass-1', description: 'analyst' } },
      });
      assert.equal(created.status, 201, created.text);
      const carolId = created.json.user.id as string;
      assert.equal(created.json.user.password, undefined, 'never echo a password');
      const dup = await server.request('POST', '/v3/users', {
        token: admin.token,
        body: { user: { name: 'carol', password: 'Carol-pass-1' } },
      });
      assert.equal(dup.status, 409);
      const weak = await server.request('POST', '/v3/users', {
        token: admin.token,
        body: { user: { name: 'weak', password: 'short' } },
      });
      assert.equal(weak.status, 400);
      const carol = await server.login('carol', 'Carol-pass-1');
      assert.equal(
        (await server.request('GET', '/v3/users', { token: carol.token })).status,
        403,
        'listing users is for admins',
      );
      assert.equal(
        (await server.request('GET', `/v3/users/${carolId}`, { token: carol.token })).status,
        200,
        'a user may read itself',
      );
      assert.equal(
        (await server.request('POST', '/v3/groups', { token: carol.token, body: { group: { name: 'x' } } })).status,
        403,
      );

      const groups = await server.request('GET', '/v3/groups', { token: admin.token, query: { name: 'admin' } });
      const adminGroup = groups.json.groups[0].id as string;
      assert.equal(
        (await server.request('PUT', `/v3/groups/${adminGroup}/users/${carolId}`, { token: admin.token })).status,
        204,
      );
      assert.equal(
        (await server.request('HEAD', `/v3/groups/${adminGroup}/users/${carolId}`, { token: admin.token })).status,
        204,
      );
      const asAdmin = await server.request('POST', '/v3/groups', {
        token: carol.token,
        body: { group: { name: 'analysts', description: 'people' } },
      });
      assert.equal(asAdmin.status, 201, 'membership in admin takes effect on the next request');
      const members = await server.request('GET', `/v3/groups/${adminGroup}/users`, { token: admin.token });
      assert.deepEqual(members.json.users.map((u: { name: string }) => u.name).sort(), ['admin', 'carol']);
      const carolsGroups = await server.request('GET', `/v3/users/${carolId}/groups`, { token: admin.token });
      assert.deepEqual(
        carolsGroups.json.groups.map((g: { name: string }) => g.name),
        ['admin'],
      );
      assert.equal(
        (await server.request('DELETE', `/v3/groups/${adminGroup}/users/${carolId}`, { token: admin.token })).status,
        204,
      );
      assert.equal(
        (await server.request('HEAD', `/v3/groups/${adminGroup}/users/${carolId}`, { token: admin.token })).status,
        404,
      );
      assert.equal(
        (await server.request('POST', '/v3/groups', { token: carol.token, body: { group: { name: 'again' } } })).status,
        403,
      );
      assert.equal(
        (await server.request('DELETE', `/v3/groups/${adminGroup}`, { token: admin.token })).status,
        400,
        'the admin group stays',
      );

      const disabled = await server.request('PATCH', `/v3/users/${carolId}`, {
        token: admin.token,
        body: { user: { enabled: false } },
      });
      assert.equal(disabled.status, 200);
      assert.equal(disabled.json.user.enabled, false);
      assert.equal(
        (await server.request('GET', `/v3/users/${carolId}`, { token: carol.token })).status,
        401,
        'disabling ends sessions',
      );
      assert.equal((await server.request('DELETE', `/v3/users/${carolId}`, { token: admin.token })).status, 204);
      assert.equal((await server.request('GET', `/v3/users/${carolId}`, { token: admin.token })).status, 404);
    });

    test(
      'projects: create, list by name (SDK discovery), update, refuse ' + 'deleting a project with instances',
      async () => {
        const p = await server.request('POST', '/v3/projects', {
          token: admin.token,
          body: { project: { name: 'analytics', description: 'team' } },
        });
        assert.equal(p.status, 201, p.text);
        assert.match(p.json.project.id, /^[0-9a-f]{32}$/);
        const found = await server.request('GET', '/v3/projects', { token: admin.token, query: { name: 'analytics' } });
        assert.deepEqual(
          found.json.projects.map((x: { id: string }) => x.id),
          [p.json.project.id],
        );
        const patched = await server.request('PATCH', `/v3/projects/${p.json.project.id}`, {
          token: admin.token,
          body: { project: { description: 'renamed team' } },
        });
        assert.equal(patched.json.project.description, 'renamed team');
        const scoped = await server.login('admin', server.adminPassword, 'analytics');
        const inst = await server.request('POST', `/v1/${scoped.projectId}/instances`, {
          token: scoped.token,
          body: { name: 'in_analytics', charge_mode: 'postPaid', shared: true },
        });
        assert.equal(inst.status, 202, inst.text);
        const del = await server.request('DELETE', `/v3/projects/${p.json.project.id}`, { token: admin.token });
        assert.equal(del.status, 409);
      },
    );

    test('access keys: created once with the secret, listed without it, at most two per user', async () => {
      const c1 = await server.request('POST', '/v3.0/OS-CREDENTIAL/credentials', {
        token: admin.token,
        body: { credential: { user_id: admin.userId, description: 'ci' } },
      });
      assert.equal(c1.status, 201, c1.text);
      assert.match(c1.json.credential.access, /^[A-Z0-9]{20}$/);
      assert.match(c1.json.credential.secret, /^[A-Za-z0-9]{40}$/);
      assert.equal(c1.json.credential.status, 'active');
      const list = await server.request('GET', '/v3.0/OS-CREDENTIAL/credentials', {
        token: admin.token,
        query: { user_id: admin.userId },
      });
      assert.equal(list.status, 200);
      assert.ok(list.json.credentials.some((k: { access: string }) => k.access === c1.json.credential.access));
      assert.ok(!list.text.includes(c1.json.credential.secret), 'the secret is never shown again');
      const c2 = await server.request('POST', '/v3.0/OS-CREDENTIAL/credentials', {
        token: admin.token,
        body: { credential: { user_id: admin.userId } },
      });
      assert.equal(c2.status, 201);
      const c3 = await server.request('POST', '/v3.0/OS-CREDENTIAL/credentials', {
        token: admin.token,
        body: { credential: { user_id: admin.userId } },
      });
      assert.equal(c3.status, 429);
      assert.equal(
        (
          await server.request('DELETE', `/v3.0/OS-CREDENTIAL/credentials/${c2.json.credential.access}`, {
            token: admin.token,
          })
        ).status,
        204,
      );
      assert.equal(
        (
          await server.request('GET', `/v3.0/OS-CREDENTIAL/credentials/${c2.json.credential.access}`, {
            token: admin.token,
          })
        ).status,
        404,
      );
    });

    test('the two-key limit holds under concurrent creates', async () => {
      const u = await server.request('POST', '/v3/users', {
        token: admin.token,
        body: { user: { name: 'keyrace', password: 'Key-race-123' } },
      });
      assert.equal(u.status, 201, u.text);
      const all = await Promise.all(
        Array.from({ length: 8 }, () =>
          server.request('POST', '/v3.0/OS-CREDENTIAL/credentials', {
            token: admin.token,
            body: { credential: { user_id: u.json.user.id } },
          }),
        ),
      );
      const codes = all.map((r) => r.status).sort();
      assert.equal(codes.filter((c) => c === 201).length, 2, String(codes));
      assert.equal(codes.filter((c) => c === 429).length, 6, String(codes));
    });

    test('signed requests: a valid SDK-HMAC-SHA256 signature authenticates; bad ones get 401', async () => {
      const c = await server.request('POST', '/v3.0/OS-CREDENTIAL/credentials', {
        token: admin.token,
        body: { credential: { user_id: admin.userId } },
      });
      assert.equal(c.status, 201, c.text);
      const { access, secret } = c.json.credential as { access: string; secret: string };
      const signed = (
        method: string,
        p: string,
        body?: string,
        opts: { secretKey?: string; date?: Date; headers?: Record<string, string> } = {},
      ) => {
        const url = `${server.url}${p}`;
        const headers = signRequest({
          method,
          url,
          body,
          accessKey: access,
          secretKey: opts.secretKey ?? secret,
          date: opts.date,
          headers: { 'Content-Type': 'application/json', 'X-Project-Id': admin.projectId, ...(opts.headers ?? {}) },
        });
        return fetch(url, { method, headers, body });
      };
      const list = await signed('GET', `/v1/${admin.projectId}/instances?limit=5&offset=0`);
      assert.equal(list.status, 200, await list.clone().text());
      const body = JSON.stringify({ name: 'signed_inst', charge_mode: 'postPaid', shared: true });
      const create = await signed('POST', `/v1/${admin.projectId}/instances`, body);
      assert.equal(create.status, 202, await create.clone().text());
      assert.equal(
        (await signed('GET', `/v1/${admin.projectId}/instances`, undefined, { secretKey: 'x'.repeat(40) })).status,
        401,
      );
      assert.equal(
        (
          await signed('GET', `/v1/${admin.projectId}/instances`, undefined, {
            date: new Date(Date.now() - 16 * 60_000),
          })
        ).status,
        401,
      );
      // Tampering after signing: the signature covered the original body.
      const url = `${server.url}/v1/${admin.projectId}/instances`;
      const headers = signRequest({
        method: 'POST',
        url,
        body,
        accessKey: access,
        secretKey: secret,
        headers: { 'Content-Type': 'application/json', 'X-Project-Id': admin.projectId },
      });
      const tampered = await fetch(url, { method: 'POST', headers, body: body.replace('signed_inst', 'evil_inst') });
      assert.equal(tampered.status, 401);
      // An inactive key stops working.
      assert.equal(
        (
          await server.request('PUT', `/v3.0/OS-CREDENTIAL/credentials/${access}`, {
            token: admin.token,
            body: { credential: { status: 'inactive' } },
          })
        ).status,
        200,
      );
      assert.equal((await signed('GET', `/v1/${admin.projectId}/instances`)).status, 401);
    });

    test("temporary access keys need their security token and keep the token's project", async () => {
      const r = await server.request('POST', '/v3.0/OS-CREDENTIAL/securitytokens', {
        token: admin.token,
        body: { auth: { identity: { methods: ['token'], token: { duration_seconds: 900 } } } },
      });
      assert.equal(r.status, 201, r.text);
      const { access, secret, securitytoken, expires_at: expiresAt } = r.json.credential;
      assert.ok(Date.parse(expiresAt) > Date.now() + 800_000);
      const url = `${server.url}/v1/${admin.projectId}/instances`;
      const withToken = signRequest({
        method: 'GET',
        url,
        accessKey: access,
        secretKey: secret,
        headers: { 'X-Project-Id': admin.projectId, 'X-Security-Token': securitytoken },
      });
      assert.equal((await fetch(url, { headers: withToken })).status, 200);
      const without = signRequest({
        method: 'GET',
        url,
        accessKey: access,
        secretKey: secret,
        headers: { 'X-Project-Id': admin.projectId },
      });
      assert.equal((await fetch(url, { headers: without })).status, 401);
      const tooShort = await server.request('POST', '/v3.0/OS-CREDENTIAL/securitytokens', {
        token: admin.token,
        body: { auth: { identity: { methods: ['token'], token: { duration_seconds: 60 } } } },
      });
      assert.equal(tooShort.status, 400);
    });
  });
}
