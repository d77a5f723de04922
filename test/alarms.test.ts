// Alarms: rules (CRUD, validation), the evaluator opening and resolving records for each metric,
// webhook notifications, acknowledgement, administrators only, and one unresolved record per
// rule even with two replicas racing. Servers run in the test's process and their evaluator every
// second; the tests run passes themselves and move the servers' clock instead of sleeping.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createLogger, type RunningServer } from '../src/server.js';
import { AlarmEvaluator } from '../src/services/alarms/evaluator.js';
import { RequestCounter } from '../src/services/alarms/request-counter.js';
import { WebhookNotifier } from '../src/services/alarms/webhook.js';
import { openRecord, resolveOfRule } from '../src/store/alarms/record-repository.js';
import { findRule } from '../src/store/alarms/rule-repository.js';
import { openStore, type Store } from '../src/store/store.js';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

// A QPS spec of 5 strides × 2 = 10 requests/s per instance, so a small burst goes over it.
// Webhooks get 2 s: a loaded machine may take more than 1 s to answer a local request.
const ENV = {
  LAKEFORM_ALARM_INTERVAL_SECONDS: '1',
  LAKEFORM_QPS_PER_STRIDE: '2',
  LAKEFORM_ALARM_WEBHOOK_TIMEOUT_SECONDS: '2',
};
const MISSING_ID = '0123456789abcdef0123456789abcdef';

interface Call {
  headers: http.IncomingHttpHeaders;
  body: any;
}
interface Hook {
  url: string;
  calls: Call[];
  close(): Promise<void>;
}

/** A webhook receiver; `respond` decides what it answers (or never answers). */
async function hookServer(respond: (res: http.ServerResponse) => void): Promise<Hook> {
  const calls: Call[] = [];
  const srv = http.createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => {
      text += d.toString();
    });
    req.on('end', () => {
      calls.push({ headers: req.headers, body: JSON.parse(text) });
      respond(res);
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook?token=t0k3n`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const omit = (o: Record<string, unknown>, ...keys: string[]) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));

/** The evaluator of an in-process server. */
function evaluatorOf(s: TestServer): AlarmEvaluator {
  assert.ok(s.running, 'the server runs in the test process');
  return s.running.alarms;
}

const rule = (over: Record<string, unknown> = {}) => ({
  rule_name: 'quota_any',
  metric: 'QUOTA_USAGE_RATIO',
  comparison_operator: '>=',
  threshold: 0.01,
  evaluation_period: 1,
  ...over,
});

// Both stores at once, each on a server (and a clock) of its own.
describe('alarms', { concurrency: true }, async () => {
  for (const backend of await backends()) {
    describe(`alarms (${backend.name})`, () => {
      let server: TestServer;
      let token: string;
      let project: string;
      let userToken: string;
      const inst: Record<'crud' | 'valid' | 'cap' | 'burst' | 'denied' | 'race' | 'notify' | 'life', string> = {
        crud: '',
        valid: '',
        cap: '',
        burst: '',
        denied: '',
        race: '',
        notify: '',
        life: '',
      };
      let ok: Hook;
      let failing: Hook;
      let hanging: Hook;
      let refusedUrl: string;

      const base = (i: string) => `/v1/${project}/instances/${i}/alarms`;
      const createRule = async (i: string, body: Record<string, unknown>) => {
        const r = await server.request('POST', `${base(i)}/rules`, { token, body });
        assert.equal(r.status, 201, r.text);
        return r.json as { rule_id: string } & Record<string, unknown>;
      };
      const recordsOf = async (i: string, ruleId: string) => {
        const r = await server.request('GET', `${base(i)}/records`, { token, query: { rule_id: ruleId } });
        assert.equal(r.status, 200, r.text);
        return r.json.records as Record<string, any>[];
      };
      /** One evaluator pass now; `ms` first moves the server's clock on (the windows slide). */
      const pass = async (ms = 0) => {
        await server.passTime(ms);
        return evaluatorOf(server).pass();
      };
      /** The rule's newest record after one pass. */
      const firstRecord = async (i: string, ruleId: string) => {
        await pass();
        const r = (await recordsOf(i, ruleId))[0];
        assert.ok(r, `a record of rule ${ruleId}`);
        return r;
      };

      before(async () => {
        server = await startServer(backend, { env: ENV, inProcess: true });
        ({ token, projectId: project } = await server.login());
        // Created one after the other: the first is the project's default instance.
        for (const k of Object.keys(inst) as (keyof typeof inst)[])
          inst[k] = await createRunningInstance(server, token, project, `alarm_${k}`);
        assert.equal(
          (
            await server.request('POST', '/v3/users', {
              token,
              body: { user: { name: 'olga', password: 'Olga-pass-123' } },
            })
          ).status,
          201,
        );
        userToken = (await server.login('olga', 'Olga-pass-123')).token;
        ok = await hookServer((res) => res.writeHead(204).end());
        failing = await hookServer((res) => res.writeHead(500).end('boom'));
        hanging = await hookServer(() => undefined);
        const gone = await hookServer(() => undefined);
        refusedUrl = gone.url;
        await gone.close();
      });
      after(async () => {
        await server?.stop();
        await Promise.all([ok, failing, hanging].map((h) => h?.close()));
      });

      // Each on its own instance (the replicas on their own store), one after the other: they move one clock.
      describe('rules and records', { concurrency: false }, () => {
        test(
          'rules: create, show, list in pages, update, delete; names ' +
            'unique per instance; `default` names the default instance',
          async () => {
            const i = inst.crud;
            const created = await createRule(i, {
              rule_name: 'Rate_Hot',
              description: 'too busy',
              metric: 'REQUEST_RATE_RATIO',
              comparison_operator: '>',
              threshold: 0.8,
              evaluation_period: 60,
              webhook_url: 'https://hooks.example.com/a?k=1',
            });
            assert.match(created.rule_id, /^[0-9a-f]{32}$/);
            assert.deepEqual(
              { ...created, rule_id: undefined, create_time: undefined, update_time: undefined },
              {
                rule_id: undefined,
                rule_name: 'rate_hot',
                description: 'too busy',
                metric: 'REQUEST_RATE_RATIO',
                comparison_operator: '>',
                threshold: 0.8,
                evaluation_period: 60,
                enabled: true,
                webhook_url: 'https://hooks.example.com/a?k=1',
                created_by: 'admin',
                create_time: undefined,
                update_time: undefined,
              },
            );
            const dup = await server.request('POST', `${base(i)}/rules`, {
              token,
              body: { ...rule({ rule_name: 'RATE_HOT' }) },
            });
            assert.equal(dup.status, 409, dup.text);
            assert.match(dup.json.error_msg, /rate_hot already exists/);
            // The same name in another instance is another rule.
            await createRule(inst.life, rule({ rule_name: 'rate_hot', enabled: false }));

            const shown = await server.request('GET', `${base(i)}/rules/${created.rule_id}`, { token });
            assert.equal(shown.status, 200, shown.text);
            assert.deepEqual(shown.json, created);
            const viaDefault = await server.request(
              'GET',
              `/v1/${project}/instances/default/alarms/rules/${created.rule_id}`,
              { token },
            );
            assert.deepEqual(viaDefault.json, created);
            assert.equal(
              (await server.request('GET', `${base(inst.burst)}/rules/${created.rule_id}`, { token })).status,
              404,
              'a rule is found through its own instance only',
            );
            assert.equal((await server.request('GET', `${base(i)}/rules/${MISSING_ID}`, { token })).status, 404);

            for (const n of ['b_denied', 'c_jobs', 'd_quota']) {
              await createRule(
                i,
                rule({
                  rule_name: n,
                  metric:
                    n === 'b_denied' ? 'DENIED_REQUEST_RATE' : n === 'c_jobs' ? 'JOB_FAILURES' : 'QUOTA_USAGE_RATIO',
                  enabled: n !== 'c_jobs',
                  threshold: 1000,
                }),
              );
            }
            const page1 = await server.request('GET', `${base(i)}/rules`, { token, query: { limit: 2 } });
            assert.equal(page1.status, 200, page1.text);
            assert.equal(page1.json.total, 4);
            assert.deepEqual(
              page1.json.rules.map((r: { rule_name: string }) => r.rule_name),
              ['b_denied', 'c_jobs'],
            );
            const page2 = await server.request('GET', `${base(i)}/rules`, { token, query: { limit: 2, offset: 2 } });
            assert.deepEqual(
              page2.json.rules.map((r: { rule_name: string }) => r.rule_name),
              ['d_quota', 'rate_hot'],
            );
            const disabled = await server.request('GET', `${base(i)}/rules`, { token, query: { enabled: false } });
            assert.deepEqual([disabled.json.total, disabled.json.rules[0].rule_name], [1, 'c_jobs']);
            const byMetric = await server.request('GET', `${base(i)}/rules`, {
              token,
              query: { metric: 'REQUEST_RATE_RATIO' },
            });
            assert.deepEqual(
              byMetric.json.rules.map((r: { rule_id: string }) => r.rule_id),
              [created.rule_id],
            );

            const renamedAway = await server.request('PUT', `${base(i)}/rules/${created.rule_id}`, {
              token,
              body: { rule_name: 'D_QUOTA' },
            });
            assert.equal(renamedAway.status, 409, renamedAway.text);
            const updated = await server.request('PUT', `${base(i)}/rules/${created.rule_id}`, {
              token,
              body: { threshold: 0.9, webhook_url: null, rule_name: 'rate_warm' },
            });
            assert.equal(updated.status, 200, updated.text);
            assert.equal(updated.json.threshold, 0.9);
            assert.equal(updated.json.rule_name, 'rate_warm');
            assert.equal(updated.json.webhook_url, undefined, 'null removes the webhook');
            assert.equal(updated.json.description, 'too busy', 'fields not given keep their value');
            assert.equal(updated.json.evaluation_period, 60);
            assert.deepEqual(
              (await server.request('GET', `${base(i)}/rules/${created.rule_id}`, { token })).json,
              updated.json,
            );
            const empty = await server.request('PUT', `${base(i)}/rules/${created.rule_id}`, { token, body: {} });
            assert.equal(empty.status, 400, empty.text);
            assert.match(empty.json.error_msg, /at least one field/);

            assert.equal(
              (await server.request('DELETE', `${base(i)}/rules/${created.rule_id}`, { token })).status,
              204,
            );
            assert.equal(
              (await server.request('DELETE', `${base(i)}/rules/${created.rule_id}`, { token })).status,
              404,
            );
            assert.equal((await server.request('GET', `${base(i)}/rules/${created.rule_id}`, { token })).status, 404);
            assert.equal((await server.request('GET', `${base(i)}/rules`, { token })).json.total, 3);
            // Changes that took effect are in the audit trail (the refused rename and the empty update are not).
            const audit = await server.request('GET', `/v1/${project}/instances/${i}/audit-events`, {
              token,
              query: { result: 'success' },
            });
            const actions = audit.json.audit_events
              .filter((e: { resource: string }) => e.resource.includes(created.rule_id))
              .map((e: { action: string; principal: string }) => `${e.action} by ${e.principal}`);
            assert.deepEqual(actions, [
              'DELETE_ALARM_RULE by admin',
              'UPDATE_ALARM_RULE by admin',
              'CREATE_ALARM_RULE by admin',
            ]);
          },
        );

        test('bad input gets 400 naming what is wrong, and creates nothing', async () => {
          const i = inst.valid;
          const cases: [Record<string, unknown> | undefined, RegExp][] = [
            [{ ...rule(), metric: undefined }, /metric is required/],
            [
              rule({ metric: 'CPU' }),
              /metric must be one of REQUEST_RATE_RATIO, QUOTA_USAGE_RATIO, DENIED_REQUEST_RATE, JOB_FAILURES/,
            ],
            [rule({ comparison_operator: '>>' }), /comparison_operator must be one of/],
            [rule({ threshold: -1 }), /threshold/],
            [rule({ threshold: 'high' }), /threshold/],
            [rule({ evaluation_period: 0 }), /evaluation_period/],
            [rule({ evaluation_period: 86_401 }), /evaluation_period/],
            [rule({ evaluation_period: 1.5 }), /evaluation_period/],
            [rule({ rule_name: 'has space' }), /rule_name may contain only/],
            [rule({ rule_name: 'x'.repeat(65) }), /rule_name/],
            [rule({ treshold: 2 }), /treshold is not a field of this request/],
            [rule({ webhook_url: 'ftp://files.example.com/x' }), /webhook_url must use http or https, not ftp/],
            [rule({ webhook_url: 'not a url' }), /webhook_url 'not a url' is not an absolute URL/],
            [
              rule({ webhook_url: 'https://user:secret@hooks.example.com/x' }),
              /webhook_url must not carry credentials/,
            ],
            [rule({ webhook_url: 'https://hooks.example.com/x#part' }), /webhook_url must not have a #fragment/],
            [rule({ webhook_url: `https://h.example.com/${'x'.repeat(2048)}` }), /webhook_url/],
            [undefined, /needs a JSON request body/],
          ];
          for (const [body, message] of cases) {
            const r = await server.request('POST', `${base(i)}/rules`, { token, body });
            assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
            assert.match(r.json.error_msg, message, JSON.stringify(body));
          }
          const notJson = await server.request('POST', `${base(i)}/rules`, {
            token,
            rawBody: '{"rule_name":',
            headers: { 'Content-Type': 'application/json' },
          });
          assert.equal(notJson.status, 400, notJson.text);
          assert.equal(
            (await server.request('GET', `${base(i)}/rules`, { token })).json.total,
            0,
            'nothing was created',
          );

          const id = (await createRule(i, rule({ rule_name: 'to_update', enabled: false }))).rule_id;
          const badUpdate = await server.request('PUT', `${base(i)}/rules/${id}`, {
            token,
            body: { webhook_url: 'gopher://x' },
          });
          assert.equal(badUpdate.status, 400, badUpdate.text);
          assert.equal((await server.request('GET', `${base(i)}/rules/${id}`, { token })).json.webhook_url, undefined);

          assert.equal((await server.request('GET', `${base(i)}/rules/not-an-id`, { token })).status, 400);
          assert.equal((await server.request('GET', `${base(i)}/rules`, { token, query: { limit: 0 } })).status, 400);
          assert.equal(
            (await server.request('GET', `${base(i)}/records`, { token, query: { status: 'BOGUS' } })).status,
            400,
          );
          const marker = await server.request('GET', `${base(i)}/records`, { token, query: { marker: MISSING_ID } });
          assert.equal(marker.status, 400, marker.text);
          assert.match(marker.json.error_msg, /marker/);
          assert.equal((await server.request('GET', `${base(i)}/records/${MISSING_ID}`, { token })).status, 404);
          assert.equal(
            (await server.request('POST', `${base(i)}/records/${MISSING_ID}/acknowledge`, { token })).status,
            404,
          );
          const noInstance = await server.request(
            'GET',
            `/v1/${project}/instances/00000000-0000-4000-8000-000000000000/alarms/rules`,
            { token },
          );
          assert.equal(noInstance.status, 404, noInstance.text);
        });

        test('an instance holds at most 100 rules (429 beyond)', async () => {
          const i = inst.cap;
          // Disabled and never true: the evaluator has nothing to do with them.
          const names = Array.from({ length: 100 }, (_, n) => `z_cap_${n}`);
          for (let n = 0; n < names.length; n += 20) {
            const spec = { metric: 'JOB_FAILURES', comparison_operator: '>', threshold: 0, enabled: false };
            await Promise.all(names.slice(n, n + 20).map((name) => createRule(i, rule({ rule_name: name, ...spec }))));
          }
          const over = await server.request('POST', `${base(i)}/rules`, {
            token,
            body: rule({ rule_name: 'one_too_many' }),
          });
          assert.equal(over.status, 429, over.text);
          assert.match(over.json.error_msg, /at most 100 alarm rules/);
          assert.equal(
            (await server.request('GET', `${base(i)}/rules`, { token, query: { limit: 1 } })).json.total,
            100,
          );
          // Deleting one makes room for one.
          const first = (await server.request('GET', `${base(i)}/rules`, { token, query: { limit: 1 } })).json.rules[0];
          assert.equal((await server.request('DELETE', `${base(i)}/rules/${first.rule_id}`, { token })).status, 204);
          await createRule(i, rule({ rule_name: 'one_more', enabled: false }));
        });

        test(
          'REQUEST_RATE_RATIO: a burst over the QPS limit opens a record, ' +
            'the webhook hears of it, and it resolves when traffic stops',
          async () => {
            const i = inst.burst;
            const hot = await createRule(i, {
              rule_name: 'hot',
              metric: 'REQUEST_RATE_RATIO',
              comparison_operator: '>=',
              threshold: 0.5,
              evaluation_period: 3,
              webhook_url: ok.url,
            });
            const never = await createRule(i, {
              rule_name: 'never',
              metric: 'REQUEST_RATE_RATIO',
              comparison_operator: '>',
              threshold: 50,
              evaluation_period: 3,
            });
            await pass();
            assert.deepEqual(await recordsOf(i, hot.rule_id), [], 'no traffic, no alarm');

            // 60 requests at once to a rate-limited LakeCat route: the limit is 10/s, so most are refused, and all
            // count.
            const burst = await Promise.all(
              Array.from({ length: 60 }, () =>
                server.request('GET', `/v1/${project}/instances/${i}/catalogs`, { token }),
              ),
            );
            const statuses = burst.map((r) => r.status);
            assert.ok(
              statuses.includes(429) && statuses.includes(200),
              `expected both 200 and 429: ${statuses.join(',')}`,
            );

            const opened = await firstRecord(i, hot.rule_id);
            assert.equal(opened.status, 'OPEN');
            assert.equal(opened.metric, 'REQUEST_RATE_RATIO');
            // 60 requests over a 3 s window at 10 req/s = 2.0 (less if the interval's own pass opened it in the
            // middle of the burst).
            assert.ok(opened.value >= 0.5 && opened.value <= 2.2, `value ${opened.value}`);
            const call = await waitFor('the webhook call', async () =>
              ok.calls.find((c) => c.body.record.rule_id === hot.rule_id),
            );
            assert.equal(call.headers['content-type'], 'application/json');
            assert.equal(call.headers['x-lakeform-event'], 'ALARM_OPENED');
            assert.equal(call.headers['x-lakeform-delivery'], opened.record_id);
            assert.equal(call.body.event, 'ALARM_OPENED');
            assert.equal(call.body.project_id, project);
            assert.equal(call.body.instance_id, i);
            assert.equal(call.body.record.notification_status, 'PENDING');
            assert.deepEqual(
              omit(call.body.record, 'notification_status'),
              omit(opened, 'notification_status', 'notification_time'),
            );
            const sent = await waitFor('notification SENT', async () => {
              const r = (await recordsOf(i, hot.rule_id))[0];
              return r?.notification_status === 'SENT' && r;
            });
            assert.equal(sent.notification_error, undefined);
            assert.deepEqual(await recordsOf(i, never.rule_id), [], 'a ratio of 50 was never reached');

            // Reading alarms is not counted against the instance: this polling did not add to the rate.
            await pass(1000);
            assert.equal((await recordsOf(i, hot.rule_id))[0]?.status, 'OPEN', 'the burst is still in the window');
            // 3 s on, the burst's samples are out of the window.
            await pass(2100);
            const done = (await recordsOf(i, hot.rule_id))[0];
            assert.equal(done?.status, 'RESOLVED', JSON.stringify(done));
            assert.equal(done.resolve_reason, 'CONDITION_CLEARED');
            assert.ok(done.resolve_time > done.open_time);
            await pass(1000);
            assert.equal((await recordsOf(i, hot.rule_id)).length, 1, 'resolved, and not opened again');
            assert.equal(
              ok.calls.filter((c) => c.body.record.rule_id === hot.rule_id).length,
              1,
              'one notification per record',
            );
          },
        );

        test(
          'DENIED_REQUEST_RATE: refusals of a non-administrator open a ' +
            'record; acknowledged, it stays the one record until the ' +
            'condition clears',
          async () => {
            const i = inst.denied;
            const denied = await createRule(i, {
              rule_name: 'denials',
              metric: 'DENIED_REQUEST_RATE',
              comparison_operator: '>=',
              threshold: 20,
              evaluation_period: 8,
            });
            const flood = await createRule(i, {
              rule_name: 'denial_flood',
              metric: 'DENIED_REQUEST_RATE',
              comparison_operator: '>=',
              threshold: 1000,
              evaluation_period: 8,
            });
            await pass();
            assert.deepEqual(await recordsOf(i, denied.rule_id), [], 'nothing refused yet');

            // Every alarm operation refuses a user who is not an administrator, and changes nothing.
            const calls: [string, string, unknown?][] = [
              ['GET', '/rules'],
              ['POST', '/rules', rule({ rule_name: 'sneaky' })],
              ['GET', `/rules/${denied.rule_id}`],
              ['PUT', `/rules/${denied.rule_id}`, { enabled: false }],
              ['DELETE', `/rules/${denied.rule_id}`],
              ['GET', '/records'],
              ['GET', `/records/${MISSING_ID}`],
              ['POST', `/records/${MISSING_ID}/acknowledge`, {}],
            ];
            for (const [method, path, body] of calls) {
              const r = await server.request(method, `${base(i)}${path}`, { token: userToken, body });
              assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
              assert.match(r.json.error_msg, /administrators of the project/);
            }
            const still = await server.request('GET', `${base(i)}/rules/${denied.rule_id}`, { token });
            assert.equal(still.json.enabled, true);
            assert.equal((await server.request('GET', `${base(i)}/rules`, { token })).json.total, 2);

            // 8 refusals in an 8 s window = 60 per minute (2, the fewest that reach 20, = 15; less than 60 if the
            // interval's own pass opened it before the last refusals).
            const opened = await firstRecord(i, denied.rule_id);
            assert.equal(opened.status, 'OPEN');
            assert.ok(opened.value >= 20 && opened.value <= 60, `value ${opened.value}`);
            assert.equal(opened.notification_status, 'NONE');
            assert.deepEqual(await recordsOf(i, flood.rule_id), []);

            const ack = await server.request('POST', `${base(i)}/records/${opened.record_id}/acknowledge`, {
              token,
              body: { comment: 'looking into it' },
            });
            assert.equal(ack.status, 200, ack.text);
            assert.equal(ack.json.status, 'ACKNOWLEDGED');
            assert.equal(ack.json.acknowledged_by, 'admin');
            assert.equal(ack.json.comment, 'looking into it');
            const again = await server.request('POST', `${base(i)}/records/${opened.record_id}/acknowledge`, { token });
            assert.equal(again.status, 200, again.text);
            assert.deepEqual(again.json, ack.json, 'acknowledging again changes nothing');
            const shown = await server.request('GET', `${base(i)}/records/${opened.record_id}`, { token });
            assert.deepEqual(shown.json, ack.json);

            const byStatus = await server.request('GET', `${base(i)}/records`, {
              token,
              query: { status: 'ACKNOWLEDGED' },
            });
            assert.deepEqual(
              byStatus.json.records.map((r: { record_id: string }) => r.record_id),
              [opened.record_id],
            );

            // Passes go on while the refusals are in the window, a second apart: the acknowledged record stays the only
            // one until it resolves.
            for (let n = 0; n < 5; n++) {
              await pass(1000);
              const rs = await recordsOf(i, denied.rule_id);
              assert.equal(rs.length, 1, `one record while the condition holds: ${JSON.stringify(rs)}`);
              assert.equal(rs[0]?.status, 'ACKNOWLEDGED', `pass ${n}`);
            }
            // 8 s after the refusals, none is in the window.
            await pass(3100);
            const resolved = (await recordsOf(i, denied.rule_id))[0];
            assert.equal(resolved?.status, 'RESOLVED', JSON.stringify(resolved));
            assert.equal(resolved.acknowledged_by, 'admin', 'who acknowledged it is kept');
            assert.equal(resolved.resolve_reason, 'CONDITION_CLEARED');
            const late = await server.request('POST', `${base(i)}/records/${opened.record_id}/acknowledge`, { token });
            assert.equal(late.status, 409, late.text);
            assert.match(late.json.error_msg, /already resolved/);
            // The refusals are in the audit trail the metric reads; the acknowledgement too, once.
            const audit = await server.request('GET', `/v1/${project}/instances/${i}/audit-events`, {
              token,
              query: { result: 'denied' },
            });
            assert.equal(
              audit.json.audit_events.filter((e: { principal: string }) => e.principal === 'olga').length,
              8,
            );
            const acks = (
              await server.request('GET', `/v1/${project}/instances/${i}/audit-events`, {
                token,
                query: { result: 'success' },
              })
            ).json.audit_events.filter((e: { action: string }) => e.action === 'ACKNOWLEDGE_ALARM');
            assert.equal(acks.length, 1);
            assert.deepEqual(JSON.parse(acks[0].detail), { record_id: opened.record_id, comment: 'looking into it' });
          },
        );

        test(
          'opening is one conditional insert: concurrent opens for one ' +
            'rule open one record; a changed rule opens none',
          async () => {
            // Never true (no evaluator opens it), on an instance in the recycle bin (no evaluator resolves it): only
            // this test opens and resolves. Through the server's own store: a second SQLite connection in this thread
            // would wait on the server's transactions while holding up the thread they run in.
            const i = inst.race;
            const r = await createRule(
              i,
              rule({ rule_name: 'race', metric: 'JOB_FAILURES', comparison_operator: '>', threshold: 0 }),
            );
            assert.equal(
              (
                await server.request('DELETE', `/v1/${project}/instances/${i}`, {
                  token,
                  query: { to_recycle_bin: true },
                })
              ).status,
              202,
            );
            const store = (server.running as RunningServer).services.store;
            {
              // every pooled connection open: the attempts run at once
              await Promise.all(Array.from({ length: 10 }, () => sql`SELECT 1`.execute(store.db)));
              const row = await findRule(store.db, project, i, r.rule_id);
              assert.ok(row);
              const attempt = (n: number, version = row.version) =>
                openRecord(store.db, {
                  id: `${'f'.repeat(30)}${String(n).padStart(2, '0')}`,
                  ruleId: r.rule_id,
                  ruleVersion: version,
                  value: 1,
                  openedAt: new Date().toISOString(),
                  notificationStatus: 'NONE',
                });
              const unresolved = async () =>
                (
                  await store.db
                    .selectFrom('alarm_records')
                    .select('id')
                    .where('rule_id', '=', r.rule_id)
                    .where('status', '<>', 'RESOLVED')
                    .execute()
                ).length;
              const wins = await Promise.all(Array.from({ length: 10 }, (_, n) => attempt(n)));
              assert.equal(wins.filter(Boolean).length, 1, `opened: ${wins.join(',')}`);
              assert.equal(await unresolved(), 1);
              assert.equal(await attempt(20), false, 'one is open already');
              assert.equal(
                await resolveOfRule(store.db, r.rule_id, new Date().toISOString(), 'CONDITION_CLEARED'),
                true,
              );
              assert.equal(await attempt(21, row.version + 1), false, 'a stale rule version opens nothing');
              assert.equal(await unresolved(), 0);
              assert.equal(await attempt(22), true, 'once resolved, the next may open');
              assert.equal(await unresolved(), 1);
            }
          },
        );

        test('webhook failures are stored on the record, and a slow webhook never holds up the evaluator', async () => {
          const i = inst.notify;
          // False until a second catalog exists (1 of 100 < 0.02); then all four hold at the same instant.
          const at2 = (name: string, webhook?: string) =>
            rule({ rule_name: name, threshold: 0.02, ...(webhook ? { webhook_url: webhook } : {}) });
          const ids = {
            hang: (await createRule(i, at2('a_hang', hanging.url))).rule_id,
            error: (await createRule(i, at2('b_error', failing.url))).rule_id,
            refused: (await createRule(i, at2('c_refused', refusedUrl))).rule_id,
            none: (await createRule(i, at2('d_none'))).rule_id,
          };
          await pass();
          assert.deepEqual(await recordsOf(i, ids.hang), [], 'the condition does not hold yet');
          assert.equal(
            (
              await server.request('POST', `/v1/${project}/instances/${i}/catalogs`, {
                token,
                body: { catalog_name: 'second' },
              })
            ).status,
            201,
          );
          await pass();
          const settled = async (id: string) =>
            waitFor(
              `notification outcome of ${id}`,
              async () => {
                const r = (await recordsOf(i, id))[0];
                return r && r.notification_status !== 'PENDING' && r;
              },
              6000,
            );
          const [hang, error, refused, none] = await Promise.all([
            settled(ids.hang),
            settled(ids.error),
            settled(ids.refused),
            settled(ids.none),
          ]);
          assert.deepEqual([hang.notification_status, hang.notification_error], ['FAILED', 'no answer within 2 s']);
          assert.deepEqual(
            [error.notification_status, error.notification_error],
            ['FAILED', 'the webhook answered HTTP 500'],
          );
          assert.equal(refused.notification_status, 'FAILED');
          assert.match(refused.notification_error, /ECONNREFUSED/);
          assert.deepEqual(
            [none.notification_status, none.notification_error, none.notification_time],
            ['NONE', undefined, undefined],
          );
          assert.equal(new Set([hang, error, refused, none].map((r) => r.open_time)).size, 1, 'opened in one pass');
          const took = (r: Record<string, any>) => Date.parse(r.notification_time) - Date.parse(r.open_time);
          assert.ok(
            took(hang) >= 1990 && took(hang) < 4000,
            `the timeout ended the hanging call after ${took(hang)} ms`,
          );
          // Rules are evaluated in name order: had the pass waited on a_hang's webhook, the others would have been sent
          // after its timeout ended. An order, not a number of milliseconds, so a loaded machine cannot fail it.
          assert.ok(
            took(error) < took(hang) && took(refused) < took(hang),
            `the others were sent after ${took(error)} and ${took(refused)} ` +
              `ms, the hanging one ended after ${took(hang)} ms`,
          );
          assert.equal(hanging.calls.length, 1, 'one attempt, no retries');
          assert.equal(failing.calls.length, 1, 'one attempt, no retries');
          await waitFor(
            'the failures in the log',
            async () => /alarm webhook notification failed/.test(server.output()),
            2000,
          );
        });

        test(
          'changing the condition, disabling or deleting a rule resolves ' +
            'its open record; records stay, newest first, paged',
          async () => {
            const i = inst.life;
            const a = await createRule(i, rule({ rule_name: 'life_a' }));
            const b = await createRule(i, rule({ rule_name: 'life_b' }));
            const c = await createRule(i, rule({ rule_name: 'life_c' }));
            const [ra, rb, rc] = await Promise.all([
              firstRecord(i, a.rule_id),
              firstRecord(i, b.rule_id),
              firstRecord(i, c.rule_id),
            ]);

            assert.equal(
              (
                await server.request('PUT', `${base(i)}/rules/${a.rule_id}`, {
                  token,
                  body: { description: 'only words' },
                })
              ).status,
              200,
            );
            assert.equal(
              (await recordsOf(i, a.rule_id))[0]?.status,
              'OPEN',
              'a description does not change the condition',
            );
            assert.equal(
              (await server.request('PUT', `${base(i)}/rules/${a.rule_id}`, { token, body: { threshold: 0.02 } }))
                .status,
              200,
            );
            assert.equal(
              (await server.request('PUT', `${base(i)}/rules/${b.rule_id}`, { token, body: { enabled: false } }))
                .status,
              200,
            );
            assert.equal((await server.request('DELETE', `${base(i)}/rules/${c.rule_id}`, { token })).status, 204);
            const after = async (id: string) =>
              (await server.request('GET', `${base(i)}/records/${id}`, { token })).json;
            assert.deepEqual(
              [(await after(ra.record_id)).status, (await after(ra.record_id)).resolve_reason],
              ['RESOLVED', 'RULE_CHANGED'],
            );
            assert.deepEqual(
              [(await after(rb.record_id)).status, (await after(rb.record_id)).resolve_reason],
              ['RESOLVED', 'RULE_DISABLED'],
            );
            const gone = await after(rc.record_id);
            assert.deepEqual(
              [gone.status, gone.resolve_reason, gone.rule_name],
              ['RESOLVED', 'RULE_DELETED', 'life_c'],
            );
            await pass(1000);
            assert.equal((await recordsOf(i, a.rule_id)).length, 1, '0.01 >= 0.02 does not hold: nothing new opened');
            assert.equal((await recordsOf(i, b.rule_id)).length, 1, 'a disabled rule is not evaluated');

            // Back to a condition that holds: a second record opens; the first keeps its snapshot of the rule.
            assert.equal(
              (await server.request('PUT', `${base(i)}/rules/${a.rule_id}`, { token, body: { threshold: 0.005 } }))
                .status,
              200,
            );
            await pass(1000);
            const second = await recordsOf(i, a.rule_id);
            assert.equal(second.length, 2, 'a second record');
            assert.deepEqual(
              second.map((r) => [r.status, r.threshold]),
              [
                ['OPEN', 0.005],
                ['RESOLVED', 0.01],
              ],
            );
            const open = await server.request('GET', `${base(i)}/records`, { token, query: { status: 'OPEN' } });
            assert.deepEqual(
              open.json.records.map((r: { record_id: string }) => r.record_id),
              [second[0]?.record_id],
            );

            const all = (await server.request('GET', `${base(i)}/records`, { token })).json.records as {
              record_id: string;
              open_time: string;
            }[];
            assert.equal(all.length, 4);
            const times = all.map((r) => r.open_time);
            assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
            const seen: string[] = [];
            let marker: string | undefined;
            do {
              const page = await server.request('GET', `${base(i)}/records`, { token, query: { limit: 3, marker } });
              assert.equal(page.status, 200, page.text);
              assert.equal(page.json.page_info.current_count, page.json.records.length);
              seen.push(...page.json.records.map((r: { record_id: string }) => r.record_id));
              marker = page.json.page_info.next_marker;
            } while (marker);
            assert.deepEqual(
              seen,
              all.map((r) => r.record_id),
            );
          },
        );
        test('two replicas on one store open one record per rule between them, and notify once', async () => {
          // A store of their own, whose server runs no pass of its own in the test's time: the passes are the two
          // replicas', run at the same moment, each reading the condition true and no record open.
          const a = await startServer(backend, {
            env: { ...ENV, LAKEFORM_ALARM_INTERVAL_SECONDS: '3600' },
            inProcess: true,
          });
          const services = (a.running as RunningServer).services;
          // On PostgreSQL each replica has a pool of its own; on SQLite they share the server's connection (a second
          // one in this thread would hold the thread up while it waits on the first's lock).
          const stores =
            backend.name === 'postgres' ? [openStore(a.databaseUrl), openStore(a.databaseUrl)] : [services.store];
          const log = createLogger('warn', { write: () => undefined });
          const replicas = [0, 1].map(
            (n) =>
              new AlarmEvaluator(
                stores[n % stores.length] as Store,
                services.instances,
                new RequestCounter(),
                new WebhookNotifier(stores[n % stores.length] as Store, log, 2000, 'lakeform/test'),
                log,
                { intervalMs: 1000, qpsPerStride: 2, replicaId: `replica-${n}` },
              ),
          );
          let ruleId = '';
          try {
            const { token: t, projectId: p } = await a.login();
            const i = await createRunningInstance(a, t, p, 'replicated');
            const path = `/v1/${p}/instances/${i}/alarms`;
            // False until a second catalog exists; then both replicas find it true on their next pass.
            const created = await a.request('POST', `${path}/rules`, {
              token: t,
              body: rule({ rule_name: 'catalogs_used', threshold: 0.02, webhook_url: ok.url }),
            });
            assert.equal(created.status, 201, created.text);
            ruleId = created.json.rule_id;
            const both = async () => (await Promise.all(replicas.map((r) => r.pass()))).map((x) => x.opened);
            assert.deepEqual(await both(), [0, 0]);
            assert.equal(
              (await a.request('POST', `/v1/${p}/instances/${i}/catalogs`, { token: t, body: { catalog_name: 'two' } }))
                .status,
              201,
            );
            // Several passes of both replicas while the condition holds.
            const opened: number[] = [];
            for (let n = 0; n < 4; n++) opened.push(...(await both()));
            assert.equal(
              opened.reduce((x, y) => x + y),
              1,
              `opened by the passes: ${opened.join(',')}`,
            );
            const list = async () =>
              (await a.request('GET', `${path}/records`, { token: t, query: { rule_id: ruleId } })).json
                .records as Record<string, any>[];
            const records = await list();
            assert.equal(records.length, 1, JSON.stringify(records));
            assert.equal(records[0]?.value, 0.02, 'two catalogs of 100');
            await waitFor('the notification sent', async () => (await list())[0]?.notification_status === 'SENT');
          } finally {
            // Stopping waits for deliveries under way: every call either replica made is in by now.
            for (const r of replicas) await r.stop();
            if (backend.name === 'postgres') for (const s of stores) await s.close();
            await a.stop();
          }
          assert.equal(ok.calls.filter((c) => c.body.record.rule_id === ruleId).length, 1, 'one notification');
        });
      });
    });
  }
});
