// Instance management, specs, quotas and tags over HTTP against a real server process.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from './helpers/server.js';

const QPS = 'lakeformation.unit.basic.qps';

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() - t0 > ms) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const backend of await backends()) {
  describe(`instances (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    const base = () => `/v1/${project}/instances`;
    const create = (body: Record<string, unknown>) =>
      server.request('POST', base(), { token, body: { charge_mode: 'postPaid', shared: true, ...body } });
    const show = (id: string) => server.request('GET', `${base()}/${id}`, { token });
    const running = (id: string) =>
      until(
        () => show(id),
        (r) => r.json?.status === 'RUNNING',
      );

    before(async () => {
      server = await startServer(backend, { env: { LAKEFORM_INSTANCE_QUOTA: '4', LAKEFORM_QPS_PER_STRIDE: '2' } });
      ({ token, projectId: project } = await server.login());
    });
    after(async () => {
      await server?.stop();
    });

    let first: string;
    test('create answers 202 with the new instance, which becomes RUNNING and the default', async () => {
      const r = await create({ name: 'inst_one', description: 'first', tags: [{ key: 'env', value: 'dev' }] });
      assert.equal(r.status, 202, r.text);
      assert.match(r.json.instance_id, /^[0-9a-f-]{36}$/);
      assert.equal(r.json.name, 'inst_one');
      assert.equal(r.json.shared, true);
      assert.equal(r.json.charge_mode, 'postPaid');
      assert.equal(r.json.enterprise_project_id, '0');
      assert.ok(['RESOURCE_PREPARATION', 'RUNNING'].includes(r.json.status));
      assert.deepEqual(r.json.specs, [{ spec_code: QPS, stride_num: 5 }]);
      assert.deepEqual(r.json.tags, [{ key: 'env', value: 'dev' }]);
      assert.ok(r.headers.get('x-request-id'));
      first = r.json.instance_id;
      const s = await running(first);
      assert.equal(s.json.status, 'RUNNING');
      assert.equal(s.json.default_instance, true, 'the first instance of a project is its default');
      assert.equal(s.json.in_recycle_bin, false);
      assert.match(s.json.create_time, /^\d{4}-\d\d-\d\dT/);
    });

    test('names are unique per project: a duplicate gets 409, also under concurrency', async () => {
      const dup = await create({ name: 'inst_one' });
      assert.equal(dup.status, 409, dup.text);
      assert.equal(typeof dup.json.error_code, 'string');
      const racers = await Promise.all(Array.from({ length: 8 }, () => create({ name: 'inst_race' })));
      const statuses = racers.map((r) => r.status).sort();
      assert.equal(statuses.filter((s) => s === 202).length, 1, `exactly one create wins: ${statuses}`);
      assert.ok(
        statuses.every((s) => s === 202 || s === 409),
        `losers get 409: ${statuses}`,
      );
    });

    test('invalid bodies get 400 naming the problem', async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ name: 'x' }, /name/],
        [{ name: 'bad name!' }, /name/],
        [{ name: 'okname', charge_mode: 'weekly' }, /charge_mode/],
        [{ name: 'okname', shared: 'yes' }, /shared/],
        [{ name: 'okname', specs: [{ spec_code: 'no.such.spec', stride_num: 5 }] }, /spec_code/],
        [{ name: 'okname', specs: [{ spec_code: QPS, stride_num: 1 }] }, /stride_num/],
        [
          {
            name: 'okname',
            tags: [
              { key: 'a', value: '1' },
              { key: 'a', value: '2' },
            ],
          },
          /twice/,
        ],
        [{ name: 'okname', tags: [{ key: 'bad#key' }] }, /key/],
      ];
      for (const [body, why] of cases) {
        const r = await create(body);
        assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.text}`);
        assert.match(r.json.error_msg, why);
      }
      const missing = await server.request('POST', base(), { token, body: { charge_mode: 'postPaid', shared: true } });
      assert.equal(missing.status, 400);
      assert.match(missing.json.error_msg, /name/);
      const malformed = await server.request('POST', base(), {
        token,
        rawBody: '{"name": ',
        headers: { 'Content-Type': 'application/json' },
      });
      assert.equal(malformed.status, 400);
    });

    test('the quota is enforced with 429 and ListQuotas reports it', async () => {
      const q0 = await server.request('GET', `/v1/${project}/quotas`, { token });
      assert.equal(q0.status, 200);
      const before = q0.json.quotas.resources.find((x: { type: string }) => x.type === 'instance');
      assert.equal(before.quota, 4);
      assert.equal(before.used, 2);
      assert.equal((await create({ name: 'inst_three' })).status, 202);
      assert.equal((await create({ name: 'inst_four' })).status, 202);
      const over = await create({ name: 'inst_five' });
      assert.equal(over.status, 429, over.text);
      assert.match(over.json.error_msg, /quota/);
      const q1 = await server.request('GET', `/v1/${project}/quotas`, { token });
      assert.equal(q1.json.quotas.resources[0].used, 4);
    });

    test(
      'list filters by name, tags and enterprise project, pages with ' + 'offset/limit and counts the total',
      async () => {
        const all = await server.request('GET', base(), { token, query: { limit: 100 } });
        assert.equal(all.status, 200);
        assert.equal(all.json.total, 4);
        const names = all.json.instances.map((i: { name: string }) => i.name);
        assert.deepEqual([...names].sort(), ['inst_four', 'inst_one', 'inst_race', 'inst_three']);
        const page1 = await server.request('GET', base(), { token, query: { offset: 0, limit: 3 } });
        const page2 = await server.request('GET', base(), { token, query: { offset: 3, limit: 3 } });
        assert.equal(page1.json.instances.length, 3);
        assert.equal(page2.json.instances.length, 1);
        assert.equal(page2.json.total, 4);
        const seen = [...page1.json.instances, ...page2.json.instances].map(
          (i: { instance_id: string }) => i.instance_id,
        );
        assert.equal(new Set(seen).size, 4, 'pages do not overlap');
        const byName = await server.request('GET', base(), { token, query: { name: 'inst_on' } });
        assert.deepEqual(
          byName.json.instances.map((i: { name: string }) => i.name),
          ['inst_one'],
        );
        const byTag = await server.request('GET', base(), { token, query: { tags: '[{key:env,values:[dev]}]' } });
        assert.deepEqual(
          byTag.json.instances.map((i: { name: string }) => i.name),
          ['inst_one'],
        );
        const byTagNoMatch = await server.request('GET', base(), {
          token,
          query: { tags: '[{key:env,values:[prod]}]' },
        });
        assert.equal(byTagNoMatch.json.total, 0);
        const badTag = await server.request('GET', base(), { token, query: { tags: 'env=dev' } });
        assert.equal(badTag.status, 400);
        const eps = await server.request('GET', base(), { token, query: { enterprise_project_id: 'other' } });
        assert.equal(eps.json.total, 0);
        const badLimit = await server.request('GET', base(), { token, query: { limit: 0 } });
        assert.equal(badLimit.status, 400);
      },
    );

    test('update changes name and description; a taken name gets 409; an unknown instance 404', async () => {
      const r = await server.request('PUT', `${base()}/${first}`, {
        token,
        body: { name: 'inst_renamed', description: 'changed' },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.name, 'inst_renamed');
      assert.equal(r.json.description, 'changed');
      assert.equal((await show(first)).json.description, 'changed');
      const taken = await server.request('PUT', `${base()}/${first}`, { token, body: { name: 'inst_three' } });
      assert.equal(taken.status, 409, taken.text);
      const ghost = await server.request('PUT', `${base()}/00000000-0000-4000-8000-000000000000`, {
        token,
        body: { name: 'whatever' },
      });
      assert.equal(ghost.status, 404);
      assert.equal(ghost.json.error_code, 'lakeformation.01000404');
    });

    test('set default moves the single default flag; setting it again changes nothing', async () => {
      const list = await server.request('GET', base(), { token, query: { limit: 100 } });
      const other = list.json.instances.find((i: { name: string }) => i.name === 'inst_three').instance_id as string;
      await running(other);
      const r = await server.request('POST', `${base()}/${other}/default`, { token });
      assert.equal(r.status, 200, r.text);
      assert.equal((await show(other)).json.default_instance, true);
      assert.equal((await show(first)).json.default_instance, false);
      const again = await server.request('POST', `${base()}/${other}/default`, { token });
      assert.equal(again.status, 200, 'setting the default again is idempotent');
      const defaults = (await server.request('GET', base(), { token, query: { limit: 100 } })).json.instances.filter(
        (i: { default_instance: boolean }) => i.default_instance,
      );
      assert.equal(defaults.length, 1);
    });

    test('scale validates specs, passes through SCALING and stores the new spec', async () => {
      const bad = await server.request('POST', `${base()}/${first}/scale`, {
        token,
        body: { specs: [{ spec_code: QPS, stride_num: 100000 }] },
      });
      assert.equal(bad.status, 400);
      const r = await server.request('POST', `${base()}/${first}/scale`, {
        token,
        body: { specs: [{ spec_code: QPS, stride_num: 8 }] },
      });
      assert.equal(r.status, 200, r.text);
      const s = await running(first);
      assert.deepEqual(s.json.specs, [{ spec_code: QPS, stride_num: 8 }]);
    });

    test('the QPS spec limits requests to an instance with 429, and scaling raises the limit', async () => {
      // LAKEFORM_QPS_PER_STRIDE=2 and 5 strides: 10 requests/s, bursts of 10.
      const list = await server.request('GET', base(), { token, query: { limit: 100 } });
      const id = list.json.instances.find((i: { name: string }) => i.name === 'inst_four').instance_id as string;
      await running(id);
      const burst = await Promise.all(Array.from({ length: 30 }, () => show(id)));
      const limited = burst.filter((r) => r.status === 429);
      assert.ok(
        limited.length >= 15,
        `expected most of 30 requests over a 10/s limit to be refused, got ${limited.length}`,
      );
      assert.equal(limited[0]?.json.error_code, 'APIG.0308');
      assert.ok(burst.some((r) => r.status === 200));
      const scaled = await server.request('POST', `${base()}/${id}/scale`, {
        token,
        body: { specs: [{ spec_code: QPS, stride_num: 1000 }] },
      });
      assert.equal(scaled.status, 200, 'scale stays reachable while the instance is over its limit');
      await running(id);
      const after = await Promise.all(Array.from({ length: 30 }, () => show(id)));
      assert.equal(after.filter((r) => r.status === 429).length, 0);
    });

    test(
      'access clients: the mode checks of the reference, and at most ' + '20 per instance, also under concurrency',
      async () => {
        // inst_four was scaled above, so this burst is not rate limited.
        const list = await server.request('GET', base(), { token, query: { limit: 100 } });
        const id = list.json.instances.find((i: { name: string }) => i.name === 'inst_four').instance_id as string;
        const clients = `${base()}/${id}/access-clients`;
        const vpc = {
          vpc_id: '11111111-2222-4333-8444-555555555555',
          subnet_id: '66666666-7777-4888-9999-000000000000',
        };
        const post = (body: Record<string, unknown>) => server.request('POST', clients, { token, body });
        for (const [body, msg] of [
          [{ name: 'sys_bare' }, /SYSTEM needs vpc_id and subnet_id/],
          [{ name: 'sys_half', access_mode: 'SYSTEM', vpc_id: vpc.vpc_id }, /SYSTEM needs vpc_id and subnet_id/],
          [{ name: 'custom_bare', access_mode: 'CUSTOM', ...vpc }, /CUSTOM needs access_connections/],
          [{ name: 'custom_empty', access_mode: 'CUSTOM', access_connections: [] }, /CUSTOM needs access_connections/],
        ] as const) {
          const r = await post(body);
          assert.equal(r.status, 400, `${body.name}: ${r.text}`);
          assert.match(r.json.error_msg, msg);
        }
        const custom = await post({
          name: 'custom_ok',
          access_mode: 'CUSTOM',
          access_connections: [{ vpcep_id: 'ep' }],
        });
        assert.equal(custom.status, 202, custom.text);
        const burst = await Promise.all(Array.from({ length: 21 }, (_, i) => post({ name: `client_${i}`, ...vpc })));
        assert.deepEqual(
          burst.map((r) => r.status).sort(),
          [...Array(19).fill(202), 429, 429].sort(),
          'with custom_ok, 19 more fill the instance and the other two of the burst are refused',
        );
        const refused = burst.find((r) => r.status === 429);
        assert.match(refused?.json.error_msg, /at most 20 access clients/, 'the quota, not the rate limit');
        assert.equal((await server.request('GET', clients, { token, query: { limit: 100 } })).json.total, 20);
        const gone = burst.find((r) => r.status === 202)?.json.id as string;
        assert.equal((await server.request('DELETE', `${clients}/${gone}`, { token })).status, 200);
        assert.equal((await post({ name: 'client_again', ...vpc })).status, 202, 'a freed place can be taken again');
      },
    );

    test('tags: batch update replaces the set, the project tag list aggregates keys and values', async () => {
      const r = await server.request('PUT', `${base()}/${first}/tags`, {
        token,
        body: {
          tags: [
            { key: 'env', value: 'prod' },
            { key: 'team', value: 'data' },
          ],
        },
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual((await show(first)).json.tags, [
        { key: 'env', value: 'prod' },
        { key: 'team', value: 'data' },
      ]);
      const list = await server.request('GET', `/v1/${project}/lakeformation-instance/tags`, {
        token,
        query: { use_predefine_tags: false },
      });
      assert.equal(list.status, 200);
      assert.deepEqual(list.json.tags, [
        { key: 'env', values: ['prod'] },
        { key: 'team', values: ['data'] },
      ]);
      const tooMany = await server.request('PUT', `${base()}/${first}/tags`, {
        token,
        body: { tags: Array.from({ length: 21 }, (_, i) => ({ key: `k${i}` })) },
      });
      assert.equal(tooMany.status, 400);
      assert.deepEqual((await show(first)).json.tags.length, 2, 'a refused update changes nothing');
    });

    test('specs list the QPS product with paging and a spec_code filter', async () => {
      const r = await server.request('GET', `/v1/${project}/specs`, { token, query: { offset: 0, limit: 10 } });
      assert.equal(r.status, 200);
      assert.equal(r.json.total, 1);
      assert.equal(r.json.spec_codes[0].spec_code, QPS);
      assert.equal(r.json.spec_codes[0].min_stride_num, 5);
      const none = await server.request('GET', `/v1/${project}/specs`, {
        token,
        query: { spec_code: 'lakeformation.none' },
      });
      assert.equal(none.json.total, 0);
      assert.deepEqual(none.json.spec_codes, []);
    });

    test('recycle bin: delete moves it there, recover brings it back, a final delete removes it', async () => {
      const del = await server.request('DELETE', `${base()}/${first}`, { token, query: { to_recycle_bin: true } });
      assert.equal(del.status, 202, del.text);
      const binned = await show(first);
      assert.equal(binned.json.in_recycle_bin, true);
      assert.equal(binned.json.status, 'FROZEN_RELEASABLE');
      const inBin = await server.request('GET', base(), { token, query: { in_recycle_bin: true } });
      assert.deepEqual(
        inBin.json.instances.map((i: { instance_id: string }) => i.instance_id),
        [first],
      );
      const notInMain = await server.request('GET', base(), { token, query: { in_recycle_bin: false, limit: 100 } });
      assert.ok(!notInMain.json.instances.some((i: { instance_id: string }) => i.instance_id === first));
      const update = await server.request('PUT', `${base()}/${first}`, { token, body: { name: 'inst_binned' } });
      assert.equal(update.status, 409, 'an instance in the recycle bin cannot be changed');
      const twice = await server.request('DELETE', `${base()}/${first}`, { token, query: { to_recycle_bin: true } });
      assert.equal(twice.status, 409, twice.text);
      const rec = await server.request('POST', `${base()}/${first}/recover`, { token });
      assert.equal(rec.status, 200, rec.text);
      const back = await running(first);
      assert.equal(back.json.in_recycle_bin, false);
      const recAgain = await server.request('POST', `${base()}/${first}/recover`, { token });
      assert.equal(recAgain.status, 409, recAgain.text);
      const gone = await server.request('DELETE', `${base()}/${first}`, { token, query: { to_recycle_bin: false } });
      assert.equal(
        gone.status,
        202,
        `${gone.text}\n${server
          .output()
          .split('\n')
          .filter((l) => l.includes(first))
          .slice(-12)
          .join('\n')}`,
      );
      const after = await until(
        () => show(first),
        (r) => r.status === 404,
      );
      assert.equal(after.status, 404);
      const q = await server.request('GET', `/v1/${project}/quotas`, { token });
      assert.equal(q.json.quotas.resources[0].used, 3, 'a deleted instance frees its quota');
    });

    test('a user outside the admin group may read instances but not change them', async () => {
      const u = await server.request('POST', '/v3/users', {
        token,
        body: { user: { name: 'reader', password: 'Reader-pass-1' } },
      });
      assert.equal(u.status, 201, u.text);
      const reader = await server.login('reader', 'Reader-pass-1');
      const list = await server.request('GET', base(), { token: reader.token });
      assert.equal(list.status, 200);
      const c = await server.request('POST', base(), {
        token: reader.token,
        body: { name: 'by_reader', charge_mode: 'postPaid', shared: true },
      });
      assert.equal(c.status, 403, c.text);
    });

    test('data survives a restart', async () => {
      const beforeList = await server.request('GET', base(), { token, query: { limit: 100 } });
      server = await server.restart();
      const again = await server.login();
      token = again.token;
      const afterList = await server.request('GET', base(), { token, query: { limit: 100 } });
      assert.deepEqual(
        afterList.json.instances.map((i: { instance_id: string }) => i.instance_id).sort(),
        beforeList.json.instances.map((i: { instance_id: string }) => i.instance_id).sort(),
      );
    });
  });
}
