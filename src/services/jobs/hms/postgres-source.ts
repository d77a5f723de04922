import pg from 'pg';
import { type DriverCodes, mapDriverError } from './driver-errors.js';
import type { JdbcTarget } from './jdbc-url.js';
import type { Row, SqlPort } from './sql-reader.js';

const NETWORK = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);

const POSTGRES: DriverCodes = {
  product: 'PostgreSQL',
  unknownDatabase: '3D000',
  network: NETWORK,
  lost: /connection terminated/i,
  authentication: (code, where, t, detail) =>
    code === '28P01' || code === '28000'
      ? `${where} refused the user name or password of ${t.user ?? '(no user)'} (${detail})`
      : undefined,
};
const mapError = (err: unknown, t: JdbcTarget, phase: 'connect' | 'query') => mapDriverError(err, t, phase, POSTGRES);

/** One pg connection, read-only for the session, reading the metastore's quoted upper-case tables. */
export async function connectPostgres(t: JdbcTarget, connectTimeoutMs: number): Promise<SqlPort> {
  const client = new pg.Client({
    host: t.host,
    port: t.port,
    database: t.database,
    connectionTimeoutMillis: connectTimeoutMs,
    ...(t.user !== undefined ? { user: t.user } : {}),
    ...(t.password !== undefined ? { password: t.password } : {}),
    ...(t.tls !== 'off' ? { ssl: { rejectUnauthorized: t.tls === 'verified' } } : {}),
  });
  // A connection dropping while idle is an 'error' event; unheard, it would end the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw mapError(err, t, 'connect');
  }
  const prepared = new Map<string, { name: string; text: string }>();
  // pg wants one query at a time per client; listings may interleave, so queries queue here.
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const result = tail.then(run, run);
    tail = result.catch(() => undefined);
    return result;
  };
  const port: SqlPort = {
    dialect: 'postgres',
    async query(sql, params) {
      let stmt = prepared.get(sql);
      if (!stmt) {
        let n = 0;
        // Named statements are parsed once per connection, then only bound: partition batches repeat the same few.
        stmt = { name: `hms_${prepared.size}`, text: sql.replace(/\?/g, () => `$${++n}`) };
        prepared.set(sql, stmt);
      }
      const { name, text } = stmt;
      try {
        return (await serial(() => client.query<Row>({ name, text, values: params as unknown[] }))).rows;
      } catch (err) {
        throw mapError(err, t, 'query');
      }
    },
    async describe(tables) {
      const rows = await port.query(
        `SELECT c.table_name AS t, c.column_name AS c FROM information_schema.columns c
        WHERE c.table_schema = current_schema() AND c.table_name = ANY(?)`,
        [tables],
      );
      const out = new Map<string, Set<string>>();
      for (const r of rows) {
        const name = String(r.t);
        let cols = out.get(name);
        if (!cols) {
          cols = new Set();
          out.set(name, cols);
        }
        cols.add(String(r.c));
      }
      return out;
    },
    async close() {
      // Not queued: closing also cuts short a query still running (a stopped job).
      await client.end().catch(() => undefined);
    },
  };
  try {
    // The reader never writes; the server holds it to that.
    await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
    if (t.schema) await client.query('SELECT set_config($1, $2, false)', ['search_path', t.schema]);
  } catch (err) {
    await port.close();
    throw mapError(err, t, 'query');
  }
  return port;
}
