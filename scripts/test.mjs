// npm test: every dist/test file (or the files given), two processes at a time, the longest first. Most files run in
// a few groups, each group one process that runs its files one after the other (scripts/test-group.mjs): a process
// per file paid Node's start-up, the server's imports, the validators' compiles and a cold JIT for every file, most
// of a small file's CPU. The groups are balanced by the durations below; a group of one file is that file alone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';

// Seconds each file takes in a whole run on 2 cores (measured in groups, halved from a run on a loaded machine; only
// the ratios matter); a file not listed counts DEFAULT_SECONDS. The table only orders and balances, it never selects:
// a file that grows long belongs here.
const SECONDS = {
  migrations: 32,
  fuzz: 26,
  'rate-limit-replicas': 24,
  credentials: 24,
  jobs: 22,
  backup: 21,
  'web-console': 20,
  'iceberg-authorization': 18,
  metastore: 18,
  cli: 17,
  'authorization-matrix': 15,
  'crash-recovery': 14,
  'metadata-migration': 14,
  'iceberg-scan-planning': 12,
  policies: 12,
  'hms-source': 12,
  'recycle-bin': 10,
  'authorization-writes': 10,
  iam: 10,
  alarms: 10,
  operations: 9,
  tenancy: 7,
  partitions: 7,
  'http-basics': 6,
  'object-storage': 6,
  'iceberg-commits': 4,
  tables: 4,
  instances: 4,
  constraints: 4,
  store: 3,
  'local-storage': 3,
  'iceberg-credentials': 3,
};
const DEFAULT_SECONDS = 1;

// Files that keep a process of their own, and why. Each other file runs in a group: the audit of the tests and their
// helpers found no process state a file leaves behind (no env or global writes outside a before/after pair, no fake
// clocks, no listeners on process); servers started in-process are stopped by each file's after hooks.
const OWN_PROCESS = new Map([
  // Its 20 s are less than a group's share (about 100), so it starts after the groups and evens out the end.
  ['web-console', 'drives chromium, whose renderers load the other core too'],
  ['crash-recovery', 'SIGKILLs server processes and restarts them: a hung restart stalls no other file'],
  ['rate-limit-replicas', 'mostly waits on its two replica processes: one start-up is noise, and alone it balances'],
]);

const dir = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'dist', 'test');
const groupScript = path.join(path.dirname(new URL(import.meta.url).pathname), 'test-group.mjs');
const given = process.argv.slice(2);
const files = given.length
  ? given.map((f) => path.resolve(f))
  : fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.test.js'))
      .map((f) => path.join(dir, f));
const name = (f) => path.basename(f, '.test.js');
const seconds = (f) => SECONDS[name(f)] ?? DEFAULT_SECONDS;

const concurrency = Number(process.env.LAKEFORM_TEST_CONCURRENCY) || 2;
// A few groups per core: fewer start-ups, yet small enough that the last one does not run alone for long.
// LAKEFORM_TEST_GROUPS=0 runs every file in its own process, as node --test does.
const groupsSet = Number.parseInt(process.env.LAKEFORM_TEST_GROUPS ?? '', 10);
const groupCount = Number.isNaN(groupsSet) ? concurrency * 2 : groupsSet;

// The longest file first into the lightest group.
const alone = files.filter((f) => OWN_PROCESS.has(name(f)) || groupCount < 1);
const groups = Array.from({ length: Math.min(groupCount, files.length - alone.length) }, () => ({ files: [], s: 0 }));
for (const f of files.filter((x) => !alone.includes(x)).sort((a, b) => seconds(b) - seconds(a) || a.localeCompare(b))) {
  const lightest = groups.reduce((min, g) => (g.s < min.s ? g : min));
  lightest.files.push(f);
  lightest.s += seconds(f);
}

// Each group of several files is a small module of its own, since run() takes files only.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-test-groups-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const grouped = new Map(); // file -> its group's module
const jobs = alone.map((f) => ({ file: f, s: seconds(f) }));
groups.forEach((g, i) => {
  if (g.files.length === 1) {
    jobs.push({ file: g.files[0], s: g.s });
    return;
  }
  const entry = path.join(tmp, `group-${i + 1}-of-${groups.length}.mjs`);
  const list = g.files.map((f) => JSON.stringify(f)).join(',\n  ');
  fs.writeFileSync(entry, `import { runGroup } from ${JSON.stringify(groupScript)};\nrunGroup([\n  ${list},\n]);\n`);
  for (const f of g.files) grouped.set(f, entry);
  jobs.push({ file: entry, s: g.s });
});
jobs.sort((a, b) => b.s - a.s || a.file.localeCompare(b.file));

const stream = run({ files: jobs.map((j) => j.file), concurrency });
// Every failure is also named on stderr, with its file, and again after the summary: a file that fails outside its
// tests (a non-zero exit, a stray error after the last test) is a failing suite the summary's "fail" does not count.
const failures = [];
const fail = (line) => {
  process.exitCode = 1;
  failures.push(line);
  process.stderr.write(`${line}\n`);
};
const finished = new Set();
stream.on('test:fail', (event) => {
  if (event.skip || event.todo) return;
  const error = event.details?.error;
  // Its failing tests are named already.
  if (grouped.has(event.name) && error?.failureType === 'subtestsFailed') return;
  const cause = error?.cause ?? error;
  // A grouped file's own suite (its import or top-level hooks) is named by the file's path.
  const file = grouped.has(event.name) ? event.name : (event.file ?? 'no file');
  fail(`FAILED: ${event.name} (${file}): ${String(cause?.message ?? cause).split('\n')[0]}`);
});
stream.on('test:fail', (event) => event.nesting === 0 && finished.add(event.name));
stream.on('test:pass', (event) => event.nesting === 0 && finished.add(event.name));
// A stray error, or a group kept alive after its last file: scripts/test-group.mjs names the file on stderr.
stream.on('test:stderr', (event) => {
  for (const line of String(event.message).split('\n'))
    if (line.startsWith('# lakeform-group: ')) fail(`FAILED: ${line.slice(18)} (${event.file})`);
});
const report = stream.compose(process.stdout.isTTY ? spec : tap);
report.pipe(process.stdout, { end: false });
report.on('end', () => {
  // A grouped file never reported: its group's process ended (or was killed) before it.
  for (const [f, entry] of grouped)
    if (!finished.has(f)) fail(`FAILED: ${f} (${entry}): did not finish; its group's process ended before it`);
  // After the summary, as comments, so the tail of a CI log names them.
  if (failures.length)
    process.stdout.write(`# ${failures.length} failing:\n${failures.map((f) => `# ${f}`).join('\n')}\n`);
});
