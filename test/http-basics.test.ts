// The server as a process: start-up, errors at the HTTP level, request ids, limits, restart and shutdown.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { backends, CLI, request, startServer, type TestServer } from './helpers/server.js';

// The suites side by side: each waits mostly on server processes starting and stopping. The stores are known before
// the suite is declared (subtests declared after an await in its body would run outside it).
const stores = await backends();
describe('http basics and the first start', { concurrency: true }, () => {
  for (const backend of stores) {
    describe(`http basics (${backend.name})`, { concurrency: false }, () => {
      let server: TestServer;
      let token: string;
      let project: string;
      before(async () => {
        // On an empty database: the restart test checks the first start migrated and the second did not.
        server = await startServer(backend, {
          env: { LAKEFORM_BODY_LIMIT_BYTES: '4096' },
          process: true,
          migrated: false,
        });
        ({ token, projectId: project } = await server.login());
      });
      after(async () => {
        await server?.stop();
      });

      test('port 0 picks a free port and the log names it', () => {
        assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        assert.ok(!server.url.endsWith(':0'));
      });

      test('every response carries a fresh X-Request-Id, errors included', async () => {
        const ids = new Set<string>();
        for (const [method, p] of [
          ['GET', '/'],
          ['GET', '/nope'],
          ['GET', `/v1/${project}/instances`],
        ] as const) {
          const r = await server.request(method, p, { token });
          const id = r.headers.get('x-request-id');
          assert.match(id ?? '', /^[0-9a-f]{32}$/);
          ids.add(id as string);
        }
        assert.equal(ids.size, 3);
      });

      test('unknown routes get a JSON 404; a known path with another method gets 405 and Allow', async () => {
        const nf = await server.request('GET', '/v1/nothing/here', { token });
        assert.equal(nf.status, 404);
        assert.equal(typeof nf.json.error_code, 'string');
        assert.equal(typeof nf.json.error_msg, 'string');
        const na = await server.request('PATCH', `/v1/${project}/instances`, { token, body: {} });
        assert.equal(na.status, 405);
        assert.match(na.headers.get('allow') ?? '', /GET/);
        assert.match(na.headers.get('allow') ?? '', /POST/);
      });

      test('credentials: none → 401 APIG.1002, a bad token → 401, both as JSON', async () => {
        const none = await server.request('GET', `/v1/${project}/instances`);
        assert.equal(none.status, 401);
        assert.equal(none.json.error_code, 'APIG.1002');
        const bad = await server.request('GET', `/v1/${project}/instances`, { token: 'not-a-token' });
        assert.equal(bad.status, 401);
        assert.equal(bad.json.error_code, 'APIG.0301');
      });

      test('authentication comes before validation: an invalid body without credentials is 401', async () => {
        const r = await server.request('POST', `/v1/${project}/instances`, { body: { name: 1 } });
        assert.equal(r.status, 401);
      });

      test('malformed JSON, a wrong content type and an oversized body get 400, 415 and 413', async () => {
        const malformed = await server.request('POST', `/v1/${project}/instances`, {
          token,
          rawBody: '{not json',
          headers: { 'Content-Type': 'application/json' },
        });
        assert.equal(malformed.status, 400);
        assert.match(malformed.json.error_msg, /JSON/);
        const xml = await server.request('POST', `/v1/${project}/instances`, {
          token,
          rawBody: '<a/>',
          headers: { 'Content-Type': 'application/xml' },
        });
        assert.equal(xml.status, 415);
        const big = await server.request('POST', `/v1/${project}/instances`, {
          token,
          body: { name: 'big_one', charge_mode: 'postPaid', shared: true, description: 'x'.repeat(5000) },
        });
        assert.equal(big.status, 413);
        assert.equal(typeof big.json.error_code, 'string');
        const empty = await server.request('POST', `/v1/${project}/instances`, { token });
        assert.equal(empty.status, 400);
      });

      test('wrong types in query and path parameters get 400 naming the field', async () => {
        const r = await server.request('GET', `/v1/${project}/instances`, { token, query: { limit: 'ten' } });
        assert.equal(r.status, 400);
        assert.match(r.json.error_msg, /limit/);
        const p = await server.request('GET', `/v1/${project}/instances/short-id`, { token });
        assert.equal(p.status, 400);
        assert.match(p.json.error_msg, /instance_id/);
      });

      test('IAM errors also carry the Keystone error object', async () => {
        const r = await server.request('POST', '/v3/auth/tokens', {
          body: {
            auth: {
              identity: {
                methods: ['password'],
                password: { user: { name: 'admin', password: 'wrong-password', domain: { name: 'default' } } },
              },
              scope: { project: { name: 'default' } },
            },
          },
        });
        assert.equal(r.status, 401);
        assert.equal(typeof r.json.error_code, 'string');
        assert.equal(r.json.error.code, 401);
      });

      test('a restart keeps data and tokens; migrations do not run twice', async () => {
        assert.match(server.output(), /applied schema migrations/, 'the first start migrated the empty database');
        server = await server.restart();
        const r = await server.request('GET', `/v1/${project}/instances`, { token });
        assert.equal(r.status, 200, 'a token issued before the restart still works');
        assert.ok(!/applied schema migrations/.test(server.output()), 'no migration on the second start');
      });

      test('SIGTERM lets an in-flight request finish, then the process exits 0', async () => {
        const pending = server.request('POST', `/v1/${project}/instances`, {
          token,
          body: { name: 'during_shutdown', charge_mode: 'postPaid', shared: true },
        });
        await new Promise((r) => setTimeout(r, 5));
        const code = server.stop('SIGTERM');
        const r = await pending.catch((e: Error) => ({ status: 0, text: e.message }));
        assert.ok(r.status === 202 || r.status === 503 || r.status === 0, `in-flight request: ${r.status}`);
        assert.equal(await code, 0);
      });
    });
  }

  describe('first start without LAKEFORM_ADMIN_PASSWORD', { concurrency: false }, () => {
    test('generates a strong password, prints it once, and it logs in; the second start prints none', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-gen-'));
      const run = () =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
            env: {
              ...process.env,
              LAKEFORM_DATA_DIR: dataDir,
              LAKEFORM_ADMIN_PASSWORD: '',
              LAKEFORM_DATABASE_URL: '',
              LAKEFORM_LOG_LEVEL: 'info',
              LAKEFORM_HMS_PORT: '0',
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let out = '';
          const onData = async (d: Buffer) => {
            out += d.toString();
            const m = out.match(/lakeform listening on (http:\/\/[^\s"]+)/);
            if (m && !out.includes('__done__')) {
              out += '__done__';
              const pw = out.match(/generated password for user 'admin' \(domain 'default'\): (\S+)/)?.[1];
              if (pw) {
                const r = await request(m[1] as string, 'POST', '/v3/auth/tokens', {
                  body: {
                    auth: {
                      identity: {
                        methods: ['password'],
                        password: { user: { name: 'admin', password: pw, domain: { name: 'default' } } },
                      },
                      scope: { project: { name: 'default' } },
                    },
                  },
                });
                out += `\nlogin:${r.status}\n`;
                assert.ok(pw.length >= 20);
              }
              child.kill('SIGTERM');
            }
          };
          child.stdout.on('data', onData);
          child.stderr.on('data', onData);
          child.on('exit', () => resolve(out));
          child.on('error', reject);
        });
      try {
        const first = await run();
        assert.match(first, /generated password for user 'admin'/);
        assert.match(first, /login:201/);
        const second = await run();
        assert.doesNotMatch(second, /generated password/);
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
});
