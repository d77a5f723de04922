// A fuzz suite generated from the operation table, so a new route is fuzzed without anyone writing
// a case. On a world built from the example bodies (helpers/api-world.ts), every operation gets,
// sampled with a fixed seed: wrong types per field, missing fields, huge strings and numbers, NUL
// and lone surrogates, deep nesting, unknown fields, repeated and malformed query parameters, and
// path segments with `..`, `%2e%2e`, `%00`, an invalid UTF-8 byte and unicode. It passes when no
// answer is a 5xx, when a refused write changed no row count of the store, and when the reads
// around every accepted write still answer.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Operation } from '../src/http/operation.js';
import { buildWorld, filledExample, OPERATIONS, urlOf, type World } from './helpers/api-world.js';
import { prng } from './helpers/prng.js';
import { backends, type Response, startServer, type TestServer } from './helpers/server.js';

const SEED = Number(process.env.LAKEFORM_FUZZ_SEED ?? 18);
/** Cases per operation at most, of each kind: what keeps a backend's run within its time budget. */
const BODY_CASES = 8;
const QUERY_CASES = 4;
const PATH_CASES = 3;

/**
 * Tables that a refused request may write: the audit of a refusal, request samples for alarms, the evaluator's records.
 */
const LOG_TABLES = new Set(['audit_events', 'alarm_request_samples', 'alarm_records', 'iceberg_idempotency_keys']);

// Raw JSON that JSON.stringify cannot write: numbers beyond a double and beyond 64 bits.
const RAW: Record<string, string> = {
  '\u0001huge': '1e309',
  '\u0001long': '99999999999999999999999',
  '\u0001unsafe': '9007199254740993',
};
const deep = (n: number, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
  return v;
};
const BAD_VALUES: unknown[] = [
  null,
  0,
  -1,
  true,
  'text',
  [],
  {},
  '\u0001huge',
  '\u0001long',
  '\u0001unsafe',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  'ü名🙂',
  'x'.repeat(200_000),
  deep(120),
  deep(140),
];
const encode = (v: unknown): string =>
  JSON.stringify(v).replace(/"(\\u0001\w+)"/g, (m, k: string) => RAW[JSON.parse(`"${k}"`)] ?? m);

type Json = Record<string, unknown>;
/** Every place in a value where a mutation can go: a path of keys and indexes. */
function leaves(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) for (const [i, x] of v.entries()) leaves(x, [...at, i], out);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) leaves(x, [...at, k], out);
  return out;
}
function setAt(v: unknown, at: (string | number)[], value: unknown, remove = false): unknown {
  if (!at.length) return value;
  const copy: any = Array.isArray(v) ? [...v] : { ...(v as Json) };
  const [k, ...rest] = at as [string | number, ...(string | number)[]];
  if (!rest.length && remove) {
    if (Array.isArray(copy)) copy.splice(k as number, 1);
    else delete copy[k];
  } else copy[k] = setAt(copy[k], rest, value, remove);
  return copy;
}

interface Case {
  kind: string;
  url?: string;
  rawUrl?: string;
  body?: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
}

function pick<T>(rand: () => number, list: T[], n: number): T[] {
  const copy = [...list];
  const out: T[] = [];
  while (copy.length && out.length < n) out.push(copy.splice(Math.floor(rand() * copy.length), 1)[0] as T);
  return out;
}

/** The cases of one operation, from its example body (or {}), query schema and path. */
function casesOf(op: Operation, world: World, rand: () => number): Case[] {
  const cases: Case[] = [];
  const url = urlOf(op, world.ctx);
  if (op.body) {
    const seed = filledExample(op, world.ctx) ?? {};
    // Each body is written only once picked: most candidates are not, and writing them all (some hold 200,000
    // characters) cost more than the requests of a small operation.
    const body: { kind: string; body: () => string }[] = [];
    for (const at of leaves(seed)) {
      for (const bad of pick(rand, BAD_VALUES, 2))
        body.push({ kind: `body ${at.join('.')}=…`, body: () => encode(setAt(seed, at, bad)) });
      if (at.length)
        body.push({ kind: `body without ${at.join('.')}`, body: () => encode(setAt(seed, at, undefined, true)) });
      const parent = at.slice(0, -1);
      if (at.length && typeof at[at.length - 1] === 'string')
        body.push({
          kind: `unknown field beside ${at.join('.')}`,
          body: () => encode(setAt(seed, [...parent, 'zz_unknown'], deep(110))),
        });
    }
    cases.push(...pick(rand, body, BODY_CASES).map((c) => ({ kind: c.kind, body: c.body() })));
    cases.push({ kind: 'body nested 5,000 deep', body: `${'['.repeat(5000)}${']'.repeat(5000)}` });
    cases.push({ kind: 'body of one string', body: '"\\u0000"' });
  }
  const props = Object.keys(((op.query as Json | undefined)?.properties ?? {}) as Json);
  const query: Case[] = [];
  for (const name of props) {
    for (const v of ['1e309', 'Infinity', '-1', '99999999999999999999999', 'a\u0000b', '\ud800', 'x'.repeat(5000)])
      query.push({ kind: `query ${name}=${v.slice(0, 12)}`, query: { [name]: v } });
    query.push({ kind: `query ${name} twice`, query: { [name]: ['1', '2'] } });
    query.push({ kind: `query ${name} with a raw %00`, rawUrl: `${url}?${name}=%00` });
    query.push({ kind: `query ${name} with invalid UTF-8`, rawUrl: `${url}?${name}=%ED%A0%80` });
    if (name === 'filter') {
      for (const f of [
        `${'NOT '.repeat(1000)}dt = '1'`,
        `${'('.repeat(1000)}dt = '1'${')'.repeat(1000)}`,
        'hive_filter_field_last_access__ > 99999999999999999999999',
        "hive_filter_field_params__classification = 'parquet'",
        `dt = '${'\u0000'}'`,
      ])
        query.push({ kind: `filter ${f.slice(0, 24)}`, query: { filter: f } });
    }
  }
  cases.push(...pick(rand, query, QUERY_CASES));
  const segments = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
  const path: Case[] = [];
  for (const name of segments) {
    for (const raw of ['..', '%2e%2e', '%00', 'a%00b', '%ED%A0%80', '%C3%BC%E5%90%8D', 'x'.repeat(1100), '%2F'])
      path.push({
        kind: `path ${name}=${raw.slice(0, 12)}`,
        rawUrl: op.path.replace(/\{(\w+)\}/g, (_m, k: string) =>
          k === name ? raw : encodeURIComponent(world.ctx[k] ?? 'x'),
        ),
      });
  }
  cases.push(...pick(rand, path, PATH_CASES));
  return cases;
}

/** A request with its path exactly as written (fetch and URL would resolve `..` and `%2e%2e`). */
function rawRequest(base: string, method: string, rawPath: string, token: string, body?: string): Promise<Response> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        method,
        path: rawPath,
        headers: {
          'X-Auth-Token': token,
          Authorization: `Bearer ${token}`,
          ...(body !== undefined
            ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }
            : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => {
          const headers = new Headers();
          resolve({ status: res.statusCode ?? 0, headers, text, json: undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Row counts of every table of the store, the log tables left out. */
interface Counter {
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}
async function counter(server: TestServer): Promise<Counter> {
  if (server.backend.name === 'sqlite') {
    const db = new Database(server.databaseUrl.replace(/^sqlite:/, ''), { readonly: true });
    const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[])
      .map((r) => r.name)
      .filter((n) => !LOG_TABLES.has(n) && !n.startsWith('sqlite_'));
    const stmt = db.prepare(names.map((n) => `SELECT '${n}' AS t, count(*) AS n FROM "${n}"`).join(' UNION ALL '));
    return {
      counts: async () => Object.fromEntries((stmt.all() as { t: string; n: number }[]).map((r) => [r.t, r.n])),
      close: async () => {
        db.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: server.databaseUrl });
  await client.connect();
  const names = (await client.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).rows
    .map((r) => r.tablename as string)
    .filter((n) => !LOG_TABLES.has(n));
  const sql = names.map((n) => `SELECT '${n}' AS t, count(*)::int AS n FROM "${n}"`).join(' UNION ALL ');
  // Prepared once (a named statement): planning this union of every table cost PostgreSQL ~15 ms a count, more than
  // running it, and the file counts over a thousand times.
  const query = { name: 'fuzz_row_counts', text: sql };
  return {
    counts: async () => Object.fromEntries((await client.query(query)).rows.map((r) => [r.t, r.n])),
    close: () => client.end(),
  };
}

const DESTRUCTIVE = /Delete|Drop|Revoke|Remove|Cancel|Truncate|Stop|Purge/;
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Operations in the order they are fuzzed: the ones that take things away last, the instance's own at the very end. */
const ORDER = [
  ...OPERATIONS.filter((op) => op.method !== 'DELETE' && !DESTRUCTIVE.test(op.name)),
  ...OPERATIONS.filter((op) => (op.method === 'DELETE' || DESTRUCTIVE.test(op.name)) && !/Instance/.test(op.name)),
  ...OPERATIONS.filter((op) => (op.method === 'DELETE' || DESTRUCTIVE.test(op.name)) && /Instance/.test(op.name)),
];

for (const backend of await backends()) {
  describe(`fuzz (${backend.name})`, () => {
    let server: TestServer;
    let world: World;
    let rows: Counter;
    const unbuilt: string[] = [];
    before(async () => {
      server = await startServer(backend, {
        env: { LAKEFORM_ALARM_INTERVAL_SECONDS: '1', LAKEFORM_QPS_PER_STRIDE: '1000000' },
      });
      world = await buildWorld(server, (s) => {
        if (s.expect ? s.response.status !== s.expect : s.response.status >= 300)
          unbuilt.push(`${s.op.name}: ${s.response.status} ${s.response.text.slice(0, 200)}`);
      });
      rows = await counter(server);
    });
    after(async () => {
      await rows?.close();
      await server?.stop();
    });

    test(
      'every operation, mutated: no 5xx, a refused write creates ' + 'nothing, reads after an accepted write answer',
      async () => {
        assert.deepEqual(unbuilt, [], 'the world the cases run in is whole');
        const rand = prng(SEED);
        const failures: string[] = [];
        let sent = 0;
        const started = Date.now();
        /** The reads of the operation's own path and the paths above it, plus a filtered table list. */
        const readsAround = (op: Operation): Operation[] =>
          OPERATIONS.filter(
            (r) =>
              r.method === 'GET' &&
              r.wire === op.wire &&
              (op.path === r.path || op.path.startsWith(`${r.path}/`)) &&
              !(r.query as { required?: string[] } | undefined)?.required?.length,
          ).slice(-4);
        const relogin = async () => {
          const { token } = await server.login();
          world.token = token;
        };
        const slow: [string, number][] = [];
        // The row counts as they stand, while only refusals and reads have happened since they were taken.
        let known: Record<string, number> | undefined;
        for (const op of ORDER) {
          const t0 = Date.now();
          for (const c of casesOf(op, world, rand)) {
            const write = WRITES.has(op.method);
            const before = write ? (known ?? (await rows.counts())) : undefined;
            const r = c.rawUrl
              ? await rawRequest(server.url, op.method, c.rawUrl, world.token, c.body)
              : await world.send(op, { rawBody: c.body, query: c.query });
            sent++;
            const label = `${op.name} ${c.kind}`;
            if (r.status >= 500) failures.push(`${label}: ${r.status} ${r.text.slice(0, 200)}`);
            known = before;
            if (before && r.status >= 400) {
              const now = await rows.counts();
              const changed = Object.keys(now).filter((t) => now[t] !== before[t]);
              if (changed.length)
                failures.push(`${label}: refused with ${r.status}, yet changed ${changed.join(', ')}`);
              known = now;
            }
            if (r.status === 401) {
              await relogin();
              known = undefined;
            }
            if (!before || r.status >= 400) continue;
            known = undefined;
            // What a 202 starts in the background (an instance's default catalog) lands before the next case.
            let last = r.status === 202 ? JSON.stringify(await rows.counts()) : '';
            for (let i = 0; r.status === 202 && i < 16; i++) {
              await new Promise((res) => setTimeout(res, 250));
              const now = JSON.stringify(await rows.counts());
              if (now === last) break;
              last = now;
            }
            for (const read of readsAround(op)) {
              const after = await world.send(read);
              if (after.status >= 500) failures.push(`${label}: accepted, then ${read.name} answers ${after.status}`);
            }
            const tables = OPERATIONS.find((o) => o.name === 'ListTables') as Operation;
            const listed = await world.send(tables, {
              query: { filter: "hive_filter_field_params__classification = 'x'" },
            });
            if (listed.status >= 500)
              failures.push(`${label}: accepted, then a filtered ListTables answers ${listed.status}`);
          }
          if (DESTRUCTIVE.test(op.name) || op.method === 'DELETE') {
            await relogin();
            known = undefined;
          }
          slow.push([op.name, Date.now() - t0]);
        }
        if (process.env.FUZZ_PROFILE) console.log(JSON.stringify(slow.sort((a, b) => b[1] - a[1]).slice(0, 15)));
        console.log(
          `fuzz ${backend.name}: ${sent} requests over ${ORDER.length} operations in ${Date.now() - started} ms`,
        );
        assert.deepEqual(failures, []);
      },
    );
  });
}
