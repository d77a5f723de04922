// The console services around instances: agreements, access services, agencies, authorized
// storage locations (and their enforcement on LakeCat locations), object-storage browsing
// limited to a project's own keys, and access management.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { signRequest } from '../src/services/iam/request-signature.js';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

for (const backend of await backends()) {
  describe(`console services (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    let userToken: string;

    before(async () => {
      server = await startServer(backend);
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'console_inst');
      assert.equal(
        (
          await server.request('POST', '/v3/users', {
            token,
            body: { user: { name: 'plain', password: 'Pass-word-123' } },
          })
        ).status,
        201,
      );
      userToken = (await server.login('plain', 'Pass-word-123')).token;
    });
    after(async () => {
      await server?.stop();
    });

    test(
      'agreements: the rules name what to sign; signing records it per ' +
        'project; unknown ones and non-administrators are refused',
      async () => {
        const rules = await server.request('GET', `/v1/${project}/agreement-rule`, { token });
        assert.equal(rules.status, 200, rules.text);
        const rule = rules.json.agreement_rules[0];
        assert.match(rule.agreement_url, /^https?:\/\//);
        assert.deepEqual((await server.request('GET', '/v2/agreement', { token })).json, {
          agreements: [],
          is_agency: false,
        });
        const unknown = await server.request('POST', '/v2/agreement', {
          token,
          body: { agreements: [{ agreement_name: 'no_such', agreement_version: 'v1' }] },
        });
        assert.equal(unknown.status, 400, unknown.text);
        const wrongVersion = await server.request('POST', '/v2/agreement', {
          token,
          body: { agreements: [{ agreement_name: rule.agreement_name, agreement_version: 'v99' }] },
        });
        assert.equal(wrongVersion.status, 400);
        const signed = { agreement_name: rule.agreement_name, agreement_version: rule.agreement_version };
        assert.equal(
          (await server.request('POST', '/v2/agreement', { token: userToken, body: { agreements: [signed] } })).status,
          403,
        );
        assert.equal(
          (await server.request('POST', '/v2/agreement', { token, body: { agreements: [signed] } })).status,
          200,
        );
        assert.deepEqual((await server.request('GET', '/v2/agreement', { token })).json.agreements, [signed]);
        assert.equal((await server.request('DELETE', '/v2/agreement', { token: userToken })).status, 403);
        assert.equal((await server.request('DELETE', '/v2/agreement', { token })).status, 204);
        assert.deepEqual((await server.request('GET', '/v2/agreement', { token })).json.agreements, []);
      },
    );

    test('access services: authorizing records each service and its grant; a second call updates them', async () => {
      const p = `/v1/${project}/access-service`;
      assert.equal(
        (
          await server.request('POST', p, {
            token,
            body: {
              access_services: [
                { name: 'DLI', grant: true, description: 'Spark' },
                { name: 'mrs', grant: true },
              ],
            },
          })
        ).status,
        200,
      );
      assert.equal(
        (await server.request('POST', p, { token, body: { access_services: [{ name: 'MRS', grant: false }] } })).status,
        200,
      );
      assert.deepEqual((await server.request('GET', p, { token })).json.access_services, [
        { name: 'DLI', grant: true, description: 'Spark' },
        { name: 'MRS', grant: false, description: '' },
      ]);
      assert.equal(
        (await server.request('POST', p, { token, body: { access_services: [{ name: 'bad name!' }] } })).status,
        400,
      );
      assert.equal((await server.request('POST', p, { token, body: {} })).status, 400);
      assert.equal(
        (await server.request('POST', p, { token: userToken, body: { access_services: [{ name: 'X' }] } })).status,
        403,
      );
    });

    test(
      'agencies: one per type, shown by type, deleted; the agreement ' +
        'reports one exists; the table-service credential is temporary ' +
        'and for administrators',
      async () => {
        assert.equal(
          (await server.request('GET', '/v2/agency', { token, query: { agency_type: 'JOB_TRUST' } })).status,
          404,
        );
        const created = await server.request('POST', '/v2/agency', { token, body: { agency_type: 'JOB_TRUST' } });
        assert.equal(created.status, 201, created.text);
        assert.deepEqual(created.json, { agency_type: 'JOB_TRUST' });
        assert.equal(
          (await server.request('POST', '/v2/agency', { token, body: { agency_type: 'JOB_TRUST' } })).status,
          409,
        );
        assert.equal(
          (await server.request('POST', '/v2/agency', { token, body: { agency_type: 'OTHER' } })).status,
          400,
        );
        assert.equal(
          (await server.request('POST', '/v2/agency', { token: userToken, body: { agency_type: 'ADMIN_TRUST' } }))
            .status,
          403,
        );
        assert.equal(
          (await server.request('GET', '/v2/agency', { token, query: { agency_type: 'JOB_TRUST' } })).json.agency_type,
          'JOB_TRUST',
        );
        assert.equal((await server.request('GET', '/v2/agreement', { token })).json.is_agency, true);
        const cred = await server.request('GET', '/v1/agency/credential', {
          token,
          query: { agency_type: 'TABLE_SERVICE_TRUST' },
        });
        assert.equal(cred.status, 200, cred.text);
        for (const k of ['access', 'secret', 'security_token', 'agency_name']) assert.ok(cred.json[k], k);
        const ttl = Date.parse(cred.json.expires_at) - Date.parse(cred.json.issued_at);
        assert.ok(ttl > 0 && ttl <= 15 * 60 * 1000 + 1000, `a short-lived credential (${ttl} ms)`);
        // A real temporary key of the identity service: it signs requests, with its security token only.
        const url = `${server.url}/v1/${project}/instances`;
        const headers = (securityToken?: string) =>
          signRequest({
            method: 'GET',
            url,
            accessKey: cred.json.access,
            secretKey: cred.json.secret,
            headers: { 'X-Project-Id': project, ...(securityToken ? { 'X-Security-Token': securityToken } : {}) },
          });
        assert.equal((await fetch(url, { headers: headers(cred.json.security_token) })).status, 200);
        assert.equal((await fetch(url, { headers: headers() })).status, 401);
        assert.equal((await server.request('GET', '/v1/agency/credential', { token: userToken })).status, 403);
        assert.equal(
          (await server.request('DELETE', '/v2/agency', { token, body: { agency_type: 'JOB_TRUST' } })).status,
          200,
        );
        assert.equal(
          (await server.request('DELETE', '/v2/agency', { token, body: { agency_type: 'JOB_TRUST' } })).status,
          404,
        );
        assert.equal((await server.request('GET', '/v2/agreement', { token })).json.is_agency, false);
      },
    );

    test(
      'locations: authorized paths are validated, listed and ' +
        'withdrawn; once any exists, LakeCat locations must lie inside ' +
        'one, by whole path segments',
      async () => {
        const base = `/v1/${project}/instances/${instance}`;
        const authorize = (locations: string[], t = token) =>
          server.request('POST', '/v1/authorize-location', { token: t, body: { locations } });
        const cancel = (locations: string[]) =>
          server.request('POST', '/v1/cancel-authorize-location', { token, body: { locations } });
        // Before any authorization, any location is accepted.
        assert.equal(
          (
            await server.request('POST', `${base}/catalogs`, {
              token,
              body: { catalog_name: 'free', location: 'obs://lakeform/anywhere/free' },
            })
          ).status,
          201,
        );
        assert.equal((await authorize(['obs://no-such-bucket/x'])).status, 404);
        assert.equal((await authorize(['obs://lakeform/zone*'])).status, 400, 'wildcards never widen an authorization');
        assert.equal((await authorize(['obs://lakeform/../etc'])).status, 400);
        assert.equal((await authorize(['obs://lakeform/zone1'], userToken)).status, 403);
        const ok = await authorize(['obs://lakeform/zone1/', 'obs://lakeform/zone2']);
        assert.equal(ok.status, 200, ok.text);
        assert.deepEqual(ok.json.locations, ['obs://lakeform/zone1', 'obs://lakeform/zone2']);
        const listed = await server.request('GET', '/v1/authorize-location', {
          token,
          query: { location: 'zone', limit: 1 },
        });
        assert.deepEqual(listed.json, { locations: ['obs://lakeform/zone1'], total: 2 });
        assert.deepEqual(
          (await server.request('GET', '/v1/authorize-location', { token, query: { location: 'zone2' } })).json
            .locations,
          ['obs://lakeform/zone2'],
        );
        // Enforcement: inside an authorized path, or the service's own folders; nothing else.
        const outside = await server.request('POST', `${base}/catalogs`, {
          token,
          body: { catalog_name: 'out', location: 'obs://lakeform/elsewhere/out' },
        });
        assert.equal(outside.status, 403, outside.text);
        assert.match(outside.json.error_msg, /authorized locations/);
        assert.equal(
          (
            await server.request('POST', `${base}/catalogs`, {
              token,
              body: { catalog_name: 'sib', location: 'obs://lakeform/zone10/sib' },
            })
          ).status,
          403,
          'zone10 is not inside zone1',
        );
        assert.equal(
          (
            await server.request('POST', `${base}/catalogs`, {
              token,
              body: { catalog_name: 'inside', location: 'obs://lakeform/zone1/inside' },
            })
          ).status,
          201,
        );
        assert.equal(
          (await server.request('POST', `${base}/catalogs`, { token, body: { catalog_name: 'owncat' } })).status,
          201,
          'the default warehouse folder is always allowed',
        );
        const db = await server.request('POST', `${base}/catalogs/inside/databases`, {
          token,
          body: { database_name: 'd', location: 's3://lakeform/elsewhere/d' },
        });
        assert.equal(db.status, 403, db.text);
        assert.equal(
          (await server.request('POST', `${base}/catalogs/inside/databases`, { token, body: { database_name: 'd' } }))
            .status,
          201,
        );
        const table = (location: string) => ({
          table_name: 't',
          table_type: 'EXTERNAL_TABLE',
          owner_type: 'USER',
          storage_descriptor: { columns: [], location },
        });
        assert.equal(
          (
            await server.request('POST', `${base}/catalogs/inside/databases/d/tables`, {
              token,
              body: table('obs://lakeform/elsewhere/t'),
            })
          ).status,
          403,
        );
        assert.equal(
          (
            await server.request('POST', `${base}/catalogs/inside/databases/d/tables`, {
              token,
              body: table('obs://lakeform/zone2/t'),
            })
          ).status,
          201,
        );
        const moved = await server.request('PUT', `${base}/catalogs/inside/databases/d/tables/t`, {
          token,
          body: { table: { storage_descriptor: { columns: [], location: 'obs://lakeform/elsewhere/t' } } },
        });
        assert.equal(moved.status, 403, 'moving a table outside is refused too');
        assert.equal(
          (
            await server.request('PUT', `${base}/catalogs/free`, {
              token,
              body: { catalog_name: 'free', description: 'x' },
            })
          ).status,
          200,
          'an unchanged location made before the authorization stays usable',
        );
        // Withdrawal: refused while something lives there.
        const used = await cancel(['obs://lakeform/zone2']);
        assert.equal(used.status, 409, used.text);
        assert.match(used.json.error_msg, /table inside\.d\.t/);
        assert.equal((await cancel(['obs://lakeform/zone3'])).status, 404);
        assert.equal(
          (await server.request('DELETE', `${base}/catalogs/inside/databases/d/tables/t`, { token })).status,
          200,
        );
        assert.equal((await cancel(['obs://lakeform/zone2'])).status, 200);
        assert.deepEqual((await server.request('GET', '/v1/authorize-location', { token })).json.locations, [
          'obs://lakeform/zone1',
        ]);
      },
    );

    test(
      'object storage: the default bucket is listed; a project sees ' +
        "only its own instances' keys and its authorized locations, " +
        'paged by marker',
      async () => {
        const buckets = await server.request('GET', `/v1/${project}/obs/buckets`, { token });
        assert.equal(buckets.status, 200, buckets.text);
        assert.ok(buckets.json.buckets.some((b: { name: string }) => b.name === 'lakeform'));
        assert.equal(buckets.json.total, buckets.json.buckets.length);
        const warehouse = path.join(server.dataDir, 'warehouse', 'lakeform');
        const put = (key: string) => {
          fs.mkdirSync(path.dirname(path.join(warehouse, key)), { recursive: true });
          fs.writeFileSync(path.join(warehouse, key), 'x');
        };
        const mine = ['a.parquet', 'b.parquet', 'c/d.parquet'].map((k) => `instances/${instance}/${k}`);
        for (const k of mine) put(k);
        put('instances/00000000-0000-0000-0000-someoneelse/secret.parquet');
        put('zone1/shared.csv');
        put('elsewhere/hidden.csv');
        const list = (q: Record<string, string | number>) =>
          server.request('GET', `/v1/${project}/obs/buckets/lakeform`, { token, query: q });
        const all = await list({ limit: 1000 });
        assert.equal(all.status, 200, all.text);
        assert.deepEqual(all.json.object_names, [...mine, 'zone1/shared.csv'].sort());
        assert.equal(all.json.next_marker, '');
        // Paging by two walks the same names, across the allowed prefixes.
        const walked: string[] = [];
        let marker = '';
        for (let i = 0; i < 10; i++) {
          const page = await list({ limit: 2, ...(marker ? { marker } : {}) });
          walked.push(...page.json.object_names);
          marker = page.json.next_marker;
          if (!marker) break;
        }
        assert.deepEqual(walked, all.json.object_names);
        assert.deepEqual((await list({ limit: 10, prefix: 'instances/' })).json.object_names, mine);
        assert.deepEqual((await list({ limit: 10, prefix: 'elsewhere/' })).json.object_names, []);
        assert.deepEqual((await list({ limit: 10, prefix: 'instances/00000000' })).json.object_names, []);
        assert.equal(
          (await server.request('GET', `/v1/${project}/obs/buckets/other-bucket`, { token, query: { limit: 10 } }))
            .status,
          404,
        );
        assert.equal((await server.request('GET', `/v1/${project}/obs/buckets`, { token: userToken })).status, 403);
      },
    );

    test(
      "access: domains applied for are listed with this server's " +
        'endpoint; access clients settle from CREATING to RUNNING, ' +
        'filter, rename and delete',
      async () => {
        const base = `/v1/${project}/instances/${instance}`;
        assert.equal(
          (
            await server.request('POST', `${base}/access`, {
              token,
              body: [{ domain: 'lake.example.com', vpcep_id: 'ep-1' }],
            })
          ).status,
          200,
        );
        assert.equal(
          (await server.request('POST', `${base}/access`, { token, body: [{ vpcep_id: 'ep-1' }] })).status,
          400,
        );
        assert.equal(
          (
            await server.request('POST', `${base}/access`, {
              token: userToken,
              body: [{ domain: 'x.example.com', vpcep_id: 'e' }],
            })
          ).status,
          403,
        );
        const infos = await server.request('GET', `${base}/access`, { token });
        assert.equal(infos.json.total, 1);
        assert.equal(infos.json.access_infos[0].domain, 'lake.example.com');
        assert.equal(
          infos.json.access_infos[0].vpcep_service_name,
          `${server.url}/v1/${project}/instances/${instance}`,
        );
        const vpc = {
          vpc_id: '11111111-2222-4333-8444-555555555555',
          subnet_id: '66666666-7777-4888-9999-000000000000',
        };
        const created = await server.request('POST', `${base}/access-clients`, {
          token,
          body: { name: 'spark_prod', access_mode: 'SYSTEM', ...vpc },
        });
        assert.equal(created.status, 202, created.text);
        assert.equal(created.json.status, 'CREATING');
        assert.equal(
          created.json.access_connections[0].domain,
          new URL(server.url).host,
          'the REST endpoint of this server',
        );
        assert.equal(
          (await server.request('POST', `${base}/access-clients`, { token, body: { name: 'spark_prod', ...vpc } }))
            .status,
          409,
        );
        assert.equal(
          (await server.request('POST', `${base}/access-clients`, { token, body: { name: 'x', ...vpc } })).status,
          400,
        );
        assert.equal(
          (await server.request('POST', `${base}/access-clients`, { token, body: { name: 'trino_adhoc', ...vpc } }))
            .status,
          202,
        );
        await server.passTime(1100);
        const shown = await server.request('GET', `${base}/access-clients/${created.json.id}`, { token });
        assert.equal(shown.json.status, 'RUNNING');
        const byName = await server.request('GET', `${base}/access-clients`, { token, query: { name: 'spark' } });
        assert.deepEqual(
          byName.json.access_client_infos.map((c: { name: string }) => c.name),
          ['spark_prod'],
        );
        assert.equal(byName.json.total, 1);
        assert.equal(
          (await server.request('GET', `${base}/access-clients`, { token, query: { limit: 1 } })).json.total,
          2,
        );
        assert.equal(
          (
            await server.request('PUT', `${base}/access-clients/${created.json.id}`, {
              token,
              body: { name: 'trino_adhoc' },
            })
          ).status,
          409,
        );
        const renamed = await server.request('PUT', `${base}/access-clients/${created.json.id}`, {
          token,
          body: { name: 'spark_main' },
        });
        assert.equal(renamed.json.name, 'spark_main');
        assert.equal(
          (await server.request('DELETE', `${base}/access-clients/${created.json.id}`, { token: userToken })).status,
          403,
        );
        assert.equal(
          (await server.request('DELETE', `${base}/access-clients/${created.json.id}`, { token })).status,
          200,
        );
        assert.equal((await server.request('GET', `${base}/access-clients/${created.json.id}`, { token })).status, 404);
      },
    );
  });

  describe(`agreements gate new instances when required (${backend.name})`, () => {
    test('an unsigned project cannot create an instance; after signing it can', async () => {
      const server = await startServer(backend, { env: { LAKEFORM_REQUIRE_AGREEMENT: 'true' } });
      try {
        const { token, projectId } = await server.login();
        const body = { name: 'gated', charge_mode: 'postPaid', shared: true };
        const refused = await server.request('POST', `/v1/${projectId}/instances`, { token, body });
        assert.equal(refused.status, 403, refused.text);
        assert.match(refused.json.error_msg, /CreateAgreement/);
        const rule = (await server.request('GET', `/v1/${projectId}/agreement-rule`, { token })).json
          .agreement_rules[0];
        assert.equal(
          (
            await server.request('POST', '/v2/agreement', {
              token,
              body: {
                agreements: [{ agreement_name: rule.agreement_name, agreement_version: rule.agreement_version }],
              },
            })
          ).status,
          200,
        );
        assert.equal((await server.request('POST', `/v1/${projectId}/instances`, { token, body })).status, 202);
      } finally {
        await server.stop();
      }
    });
  });
}
