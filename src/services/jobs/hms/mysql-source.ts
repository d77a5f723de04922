import mysql from 'mysql2/promise';
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
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'HANDSHAKE_NO_SSL_SUPPORT',
  'HANDSHAKE_SSL_ERROR',
]);
const AUTH = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_ACCESS_DENIED_NO_PASSWORD_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_NOT_SUPPORTED_AUTH_MODE',
  'ER_MUST_CHANGE_PASSWORD_LOGIN',
  'ER_ACCOUNT_HAS_BEEN_LOCKED',
  'AUTH_SWITCH_PLUGIN_ERROR',
]);

const MYSQL: DriverCodes = {
  product: 'MySQL',
  unknownDatabase: 'ER_BAD_DB_ERROR',
  network: NETWORK,
  authentication: (code, where, t) =>
    !code || !AUTH.has(code)
      ? undefined
      : code === 'ER_DBACCESS_DENIED_ERROR'
        ? `user ${t.user ?? '(none)'} may not use database ${t.database} on ${where}`
        : `${where} refused the user name or password of ${t.user ?? '(no user)'}`,
};
const mapError = (err: unknown, t: JdbcTarget, phase: 'connect' | 'query') => mapDriverError(err, t, phase, MYSQL);

/** One mysql2 connection (MySQL or MariaDB), read-only for the session. */
export async function connectMysql(t: JdbcTarget, connectTimeoutMs: number): Promise<SqlPort> {
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection({
      host: t.host,
      port: t.port,
      database: t.database,
      connectTimeout: connectTimeoutMs,
      ...(t.user !== undefined ? { user: t.user } : {}),
      ...(t.password !== undefined ? { password: t.password } : {}),
      ...(t.tls !== 'off' ? { ssl: { rejectUnauthorized: t.tls === 'verified' } } : {}),
      supportBigNumbers: true,
      bigNumberStrings: false,
      dateStrings: true,
      multipleStatements: false,
    });
  } catch (err) {
    throw mapError(err, t, 'connect');
  }
  // A connection dropping while idle is an 'error' event; unheard, it would end the process.
  conn.on('error', () => undefined);
  const rewritten = new Map<string, string>();
  const port: SqlPort = {
    dialect: 'mysql',
    async query(sql, params) {
      let text = rewritten.get(sql);
      if (text === undefined) {
        text = sql.replace(/"/g, '`');
        rewritten.set(sql, text);
      }
      try {
        // execute: server-side prepared statements, reused per connection, so values never enter the SQL text.
        const [rows] = await conn.execute(text, params as mysql.ExecuteValues[]);
        return rows as Row[];
      } catch (err) {
        throw mapError(err, t, 'query');
      }
    },
    async describe(tables) {
      const rows = await port.query(
        `SELECT c.TABLE_NAME AS t, c.COLUMN_NAME AS c FROM information_schema.COLUMNS c
        WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME IN (${tables.map(() => '?').join(', ')})`,
        tables,
      );
      const out = new Map<string, Set<string>>();
      // Upper-cased: with lower_case_table_names=1 the server reports names in lower case.
      for (const r of rows) {
        const name = String(r.t).toUpperCase();
        let cols = out.get(name);
        if (!cols) {
          cols = new Set();
          out.set(name, cols);
        }
        cols.add(String(r.c).toUpperCase());
      }
      return out;
    },
    async close() {
      await conn.end().catch(() => conn.destroy());
    },
  };
  try {
    // The reader never writes; the server holds it to that.
    await conn.query('SET SESSION TRANSACTION READ ONLY');
  } catch (err) {
    await port.close();
    throw mapError(err, t, 'query');
  }
  return port;
}
