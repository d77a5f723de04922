#!/usr/bin/env node
// `npm start` builds only when a source is newer than the last build: tsc even with nothing to do
// takes seconds to check the whole program.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'dist/.tsbuildinfo');

function newest(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && e.name === 'node_modules') continue;
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (/\.(ts|tsx|json|css|html)$/.test(e.name)) t = Math.max(t, fs.statSync(p).mtimeMs);
  }
  return t;
}

const built =
  fs.existsSync(stamp) && fs.existsSync(path.join(root, 'dist/src/cli.js')) ? fs.statSync(stamp).mtimeMs : 0;
const sources = Math.max(
  ...['src', 'test', 'bench', 'console']
    .filter((d) => fs.existsSync(path.join(root, d)))
    .map((d) => newest(path.join(root, d))),
  ...['tsconfig.json', 'package.json', 'package-lock.json'].map((f) => fs.statSync(path.join(root, f)).mtimeMs),
);
if (built && sources <= built) process.exit(0);
const tsc = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
// tsc leaves the file alone when nothing changed
if (tsc.status === 0 && fs.existsSync(stamp)) fs.utimesSync(stamp, new Date(), new Date());
process.exit(tsc.status ?? 1);
