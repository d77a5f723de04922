// The lakeform command's admin tasks, run on a data directory that a server then serves.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { signRequest } from '../src/services/iam/request-signature.js';
import { CLI, ROOT, startServer } from './helpers/server.js';

const run = promisify(execFile);

describe('lakeform CLI', () => {
  test('users, groups, projects and access keys created by the CLI work against the server', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-cli-'));
    const env = {
      ...process.env,
      LAKEFORM_DATA_DIR: dataDir,
      LAKEFORM_ADMIN_PASSWORD: 'Cli-admin-pass-1',
      LAKEFORM_DATABASE_URL: '',
    };
    const cli = async (...args: string[]) => JSON.parse((await run(process.execPath, [CLI, ...args], { env })).stdout);
    // Only `serve` creates a store: the admin commands then work on the server's, beside it.
    const server = await startServer(
      { name: 'sqlite' },
      { dataDir, adminPassword: 'Cli-admin-pass-1', ownsData: true },
    );
    try {
      const user = await cli('user', 'create', 'erin', '--admin');
      assert.equal(user.name, 'erin');
      assert.ok(user.password.length >= 20, 'a generated password is printed once');
      const dup = await run(process.execPath, [CLI, 'user', 'create', 'erin'], { env }).then(
        () => null,
        (e: { code: number; stderr: string }) => e,
      );
      assert.equal(dup?.code, 2);
      assert.match(dup?.stderr ?? '', /already exists/);
      const project = await cli('project', 'create', 'etl');
      assert.match(project.id, /^[0-9a-f]{32}$/);
      const key = await cli('accesskey', 'create', 'erin');
      assert.match(key.secret, /^[A-Za-z0-9]{40}$/);
      const listed = await cli('accesskey', 'list', 'erin');
      assert.deepEqual(
        listed.map((k: { access: string }) => k.access),
        [key.access],
      );
      assert.equal(JSON.stringify(listed).includes(key.secret), false);
      assert.ok((await cli('user', 'list')).some((u: { name: string }) => u.name === 'erin'));
      {
        const login = await server.login('erin', user.password, 'etl');
        assert.equal(login.projectId, project.id);
        const created = await server.request('POST', `/v1/${project.id}/instances`, {
          token: login.token,
          body: { name: 'cli_made', charge_mode: 'postPaid', shared: true },
        });
        assert.equal(created.status, 202, 'a CLI-made admin may manage instances');
        const url = `${server.url}/v1/${project.id}/instances`;
        const headers = signRequest({
          method: 'GET',
          url,
          accessKey: key.access,
          secretKey: key.secret,
          headers: { 'X-Project-Id': project.id },
        });
        const signed = await fetch(url, { headers });
        assert.equal(signed.status, 200);
        const unknown = signRequest({
          method: 'GET',
          url,
          accessKey: 'UNKNOWNKEY0000000000',
          secretKey: key.secret,
          headers: { 'X-Project-Id': project.id },
        });
        assert.equal((await fetch(url, { headers: unknown })).status, 401);
      }
      const status = await cli('status');
      assert.equal(status.data_dir, dataDir);
      assert.equal(status.store.dialect, 'sqlite');
      assert.deepEqual(status.store.migrations_pending, []);
      assert.equal(status.storage.kind, 'local');
      assert.equal(status.storage.default_bucket_exists, true);
      assert.ok(status.counts.users >= 2);
      assert.equal(status.counts.instances, 1);
    } finally {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('admin commands refuse a data dir without a store, name the dir, and create nothing', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-cli-empty-'));
    const env = { ...process.env, LAKEFORM_DATA_DIR: dataDir, LAKEFORM_DATABASE_URL: '' };
    try {
      for (const args of [['user', 'list'], ['status'], ['migrate'], ['backup', path.join(dataDir, 'b.db')]]) {
        const e = await run(process.execPath, [CLI, ...args], { env }).then(
          () => null,
          (x: { code: number; stderr: string }) => x,
        );
        assert.equal(e?.code, 2, args.join(' '));
        assert.match(e?.stderr ?? '', new RegExp(`data dir ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
        assert.match(e?.stderr ?? '', /no lakeform store in .*lakeform serve/);
      }
      assert.deepEqual(fs.readdirSync(dataDir), []);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
  test(
    'LAKEFORM_MEMORY_MB caps the V8 heap of `lakeform serve`; it prints the console URL; ' +
      'signals reach the server; it dies with its parent',
    async () => {
      const server = await startServer({ name: 'sqlite' }, { process: true, env: { LAKEFORM_MEMORY_MB: '256' } });
      let url = server.url;
      try {
        // For the person at the terminal, when the console is built (npm test builds it). It is written just after
        // the server listens, so it may trail the start by a moment.
        const printed = new RegExp(`lakeform console: ${server.url}/console/`);
        if (fs.existsSync(path.join(ROOT, 'dist/console/index.html'))) {
          for (let i = 0; i < 100 && !printed.test(server.output()); i++) await new Promise((r) => setTimeout(r, 50));
          assert.match(server.output(), printed);
        } else assert.doesNotMatch(server.output(), /lakeform console:/);
        const line = server
          .output()
          .split('\n')
          .find((l) => l.includes('lakeform listening on'));
        const started = JSON.parse(line ?? '{}');
        assert.equal(started.memory_mb, 256);
        // Half the budget for the old generation, plus the young one; V8's default here is gigabytes.
        assert.ok(
          started.heap_limit_mb >= 128 && started.heap_limit_mb <= 160,
          `heap limit ${started.heap_limit_mb} MB`,
        );
        assert.equal((await server.request('GET', '/healthz')).status, 200);
        assert.equal(await server.stop('SIGTERM'), 0, 'SIGTERM reaches the server, which stops cleanly');
        assert.match(server.output(), /shutting down: finishing in-flight requests/);

        const killed = await startServer({ name: 'sqlite' }, { process: true, env: { LAKEFORM_MEMORY_MB: '256' } });
        url = killed.url;
        assert.equal((await killed.request('GET', '/healthz')).status, 200);
        assert.equal(await killed.stop('SIGKILL'), null);
        let gone = false;
        for (let i = 0; i < 100 && !gone; i++) {
          gone = await fetch(`${url}/healthz`).then(
            () => false,
            () => true,
          );
          if (!gone) await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(gone, 'the server went with its killed parent');
      } finally {
        await server.stop();
      }

      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-cli-memory-'));
      const bad = await run(process.execPath, [CLI, 'serve'], {
        env: { ...process.env, LAKEFORM_MEMORY_MB: '12', LAKEFORM_DATA_DIR: dataDir },
      })
        .then(
          () => null,
          (e: { code: number; stderr: string }) => e,
        )
        .finally(() => fs.rmSync(dataDir, { recursive: true, force: true }));
      assert.equal(bad?.code, 1);
      assert.match(bad?.stderr ?? '', /LAKEFORM_MEMORY_MB must be an integer between 128 and 1048576, got '12'/);
    },
  );
});
