// Backups under write load: every write acknowledged before `lakeform backup` began is in the
// restored store, on both backends; restore refuses a data dir that holds a store.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { backends, CLI, createRunningInstance, startServer } from './helpers/server.js';

const run = promisify(execFile);

async function freshPgDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `lf_restore_${randomBytes(6).toString('hex')}`;
  const admin = async (q: string) => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

for (const backend of await backends()) {
  describe(`backup and restore (${backend.name})`, () => {
    test('a backup taken under write load holds every write acknowledged before it began', async () => {
      const server = await startServer(backend);
      const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-backup-'));
      const restoredDir = path.join(work, 'restored');
      const file = path.join(work, backend.name === 'sqlite' ? 'store.db' : 'store.jsonl');
      let target: { url: string; drop: () => Promise<void> } | undefined;
      try {
        const { token, projectId } = await server.login();
        const instance = await createRunningInstance(server, token, projectId, 'backup_load');
        const catalogs = `/v1/${projectId}/instances/${instance}/catalogs`;
        assert.equal((await server.request('POST', catalogs, { token, body: { catalog_name: 'load' } })).status, 201);
        const base = `${catalogs}/load/databases`;
        const acked: string[] = [];
        let writing = true;
        const writer = async (w: number) => {
          // Bounded: one page of databases holds them all.
          for (let i = 0; writing && acked.length < 900; i++) {
            const name = `w${w}_${i}`;
            const r = await server.request('POST', base, { token, body: { database_name: name } });
            assert.equal(r.status, 201, r.text);
            acked.push(name);
          }
        };
        const writers = [0, 1, 2].map(writer);
        while (acked.length < 30) await new Promise((r) => setTimeout(r, 20));
        const before = [...acked];
        const env = { ...process.env, LAKEFORM_DATA_DIR: server.dataDir, LAKEFORM_DATABASE_URL: server.databaseUrl };
        const taken = JSON.parse((await run(process.execPath, [CLI, 'backup', file], { env })).stdout);
        const duringBackup = acked.length - before.length;
        writing = false;
        await Promise.all(writers);
        assert.equal(taken.dialect, backend.name);
        assert.ok(duringBackup > 0 || backend.name === 'sqlite', 'writes went on while the backup ran');
        // A second backup to the same file is refused rather than overwriting it.
        const again = await run(process.execPath, [CLI, 'backup', file], { env }).then(
          () => null,
          (e: { code: number; stderr: string }) => e,
        );
        assert.equal(again?.code, 2);
        assert.match(again?.stderr ?? '', /exists/);

        target = backend.name === 'postgres' ? await freshPgDatabase(backend.adminUrl as string) : undefined;
        const restoreEnv = { ...process.env, LAKEFORM_DATA_DIR: restoredDir, LAKEFORM_DATABASE_URL: target?.url ?? '' };
        await run(process.execPath, [CLI, 'restore', file], { env: restoreEnv });
        const refused = await run(process.execPath, [CLI, 'restore', file], { env: restoreEnv }).then(
          () => null,
          (e: { code: number; stderr: string }) => e,
        );
        assert.equal(refused?.code, 2, 'a second restore into the same store is refused');
        assert.match(refused?.stderr ?? '', /already holds a store/);

        const restored = await startServer(backend, {
          dataDir: restoredDir,
          adminPassword: server.adminPassword,
          ownsData: false,
          ...(target ? { databaseUrl: target.url } : {}),
        });
        try {
          const login = await restored.login();
          assert.equal(login.projectId, projectId);
          const list = await restored.request('GET', base, { token: login.token });
          assert.equal(list.status, 200, list.text);
          const names = new Set(
            (list.json.databases as { database_name: string }[])
              .map((c) => c.database_name)
              .filter((n) => n !== 'default'),
          );
          const lost = before.filter((n) => !names.has(n));
          assert.deepEqual(lost, [], 'writes acknowledged before the backup are restored');
          const all = new Set(acked);
          assert.ok(
            [...names].every((n) => all.has(n)),
            'nothing appears that was never written',
          );
          // Serial ids continue after the restored ones: the restored store takes new writes.
          const more = await restored.request('POST', base, {
            token: login.token,
            body: { database_name: 'after_restore' },
          });
          assert.equal(more.status, 201, more.text);
        } finally {
          await restored.stop();
        }
      } finally {
        await server.stop();
        await target?.drop();
        fs.rmSync(work, { recursive: true, force: true });
      }
    });
  });
}
