// npm test: every dist/test file (or the files given), two at a time, the longest first. node --test sorts its
// files by name, which left the longest (the browser suite) running alone at the end while the other core idled.
import fs from 'node:fs';
import path from 'node:path';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';

// The longest files by their duration in a whole run (seconds on 2 cores); the rest follow in name order. A file
// that grows long belongs here: the list only orders, it never selects.
const LONGEST_FIRST = [
  'web-console', // ~35
  'rate-limit-replicas', // ~24
  'metastore', // ~22
  'fuzz', // ~18
  'iceberg-authorization', // ~13
  'crash-recovery', // ~13
  'jobs', // ~12
  'cli', // ~10
  'recycle-bin', // ~12
  'migrations', // ~10
  'authorization-writes', // ~9
  'backup', // ~8
  'alarms', // ~8
];

const dir = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'dist', 'test');
const given = process.argv.slice(2);
const files = given.length
  ? given.map((f) => path.resolve(f))
  : fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.test.js'))
      .map((f) => path.join(dir, f));
const rank = (f) => {
  const i = LONGEST_FIRST.indexOf(path.basename(f, '.test.js'));
  return i < 0 ? LONGEST_FIRST.length : i;
};
files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

const concurrency = Number(process.env.LAKEFORM_TEST_CONCURRENCY) || 2;
const stream = run({ files, concurrency });
// Every failure is also named on stderr, with its file, and again after the summary: a file that fails outside its
// tests (a non-zero exit, a stray error after the last test) is a failing suite the summary's "fail" does not count.
const failures = [];
stream.on('test:fail', (event) => {
  if (event.skip || event.todo) return;
  process.exitCode = 1;
  const error = event.details?.error;
  const cause = error?.cause ?? error;
  const line = `FAILED: ${event.name} (${event.file ?? 'no file'}): ${String(cause?.message ?? cause).split('\n')[0]}`;
  failures.push(line);
  process.stderr.write(`${line}\n`);
});
const report = stream.compose(process.stdout.isTTY ? spec : tap);
report.pipe(process.stdout, { end: false });
report.on('end', () => {
  // After the summary, as comments, so the tail of a CI log names them.
  if (failures.length)
    process.stdout.write(`# ${failures.length} failing:\n${failures.map((f) => `# ${f}`).join('\n')}\n`);
});
