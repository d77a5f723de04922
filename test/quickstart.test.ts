// The README's quick start, run as written: its ```sh blocks in order in one bash, against a fresh
// server (the ```sh server block, which starts one, is the only block not run). Docs that rot fail here.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, startServer } from './helpers/server.js';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
const start = /^```sh server\n([\s\S]*?)^```$/m.exec(readme)?.[1] ?? '';
const missing = ['curl', 'bash'].filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0);

test('the quick start runs as written', { skip: missing.length ? `needs ${missing.join(', ')}` : false }, async () => {
  const password = /LAKEFORM_ADMIN_PASSWORD='([^']+)'/.exec(start)?.[1];
  assert.ok(password, 'the server block sets the admin password the blocks log in with');
  const quick = blocks.slice(blocks.findIndex((b) => b.includes('LF=${LF:-')));
  assert.ok(quick.length >= 6, `found ${quick.length} quick-start blocks`);
  const server = await startServer({ name: 'sqlite' }, { adminPassword: password });
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-quickstart-'));
  try {
    // A marker after each block tells which one failed; `set -e` stops at the first failing command.
    const script = ['set -euo pipefail', ...quick.map((b, i) => `${b}\necho "@@block ${i} done"`)].join('\n');
    // Asynchronously: the server may run in this very process and must keep answering.
    const child = spawn('bash', ['-c', script], {
      cwd,
      env: { ...process.env, LF: server.url, LAKEFORM_DATA_DIR: server.dataDir },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    assert.equal(status, 0, out.slice(-4000));
    assert.match(out, /@@block \d+ done\s*$/);
    assert.match(out, /project id: [0-9a-f]{32}/);
    assert.match(out, /"database_name":"shop"/);
    assert.match(out, /"partition_name_list":\["dt=2026-02-01"\]/, 'the filter keeps only February');
    assert.match(out, /"table_name":"orders".*"table_type":"EXTERNAL_TABLE"/, 'ana sees the table once granted');
    assert.match(out, /"table_name":"customers"/, 'discovery made a table of the CSV folder');
    assert.match(
      out,
      /"identifiers":\[\{"namespace":\["shop"\],"name":"events"\}/,
      'the Iceberg client made its table',
    );
  } finally {
    await server.stop();
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});
