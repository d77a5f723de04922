import { HmsSourceError } from './errors.js';
import type { HmsConnection, HmsDatasourceType } from './types.js';

export type HmsDialect = 'mysql' | 'postgres';

/** Where and how to connect, taken from a JDBC URL and the connection's own credentials. */
export interface JdbcTarget {
  dialect: HmsDialect;
  host: string;
  port: number;
  database: string;
  user?: string;
  password?: string;
  /** TLS: off, on without checking the certificate, or on and checked. */
  tls: 'off' | 'unverified' | 'verified';
  /** PostgreSQL `currentSchema`: the schema holding the metastore tables. */
  schema?: string;
}

const DIALECT_OF: Record<HmsDatasourceType, HmsDialect> = {
  OPEN_FOR_MYSQL: 'mysql',
  MRS_RDS_FOR_MYSQL: 'mysql',
  MRS_RDS_FOR_PG: 'postgres',
};
const SCHEME_DIALECT: Record<string, HmsDialect> = { mysql: 'mysql', mariadb: 'mysql', postgresql: 'postgres' };
const DEFAULT_PORT: Record<HmsDialect, number> = { mysql: 3306, postgres: 5432 };
const SHAPE = 'jdbc:mysql://host:port/database, jdbc:mariadb://… or jdbc:postgresql://host:port/database';

/** Host, port and database only: what messages and logs may show of a connection. */
export const describeTarget = (t: JdbcTarget) =>
  `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}/${t.database}`;

/** The TLS a URL asks for through the parameters Connector/J, the MariaDB connector and pgJDBC understand. */
function tlsOf(q: URLSearchParams): JdbcTarget['tls'] {
  const get = (name: string) => {
    for (const [k, v] of q) if (k.toLowerCase() === name) return v.toLowerCase();
    return undefined;
  };
  const mode = get('sslmode');
  if (mode !== undefined) {
    if (mode.startsWith('verify')) return 'verified';
    if (mode === 'required' || mode === 'require' || mode === 'trust') return 'unverified';
    return 'off'; // disable(d), allow, prefer(red): the drivers here cannot fall back, so plain
  }
  const on = get('usessl') ?? get('ssl');
  if (on === 'true') return get('verifyservercertificate') === 'false' ? 'unverified' : 'verified';
  return 'off';
}

/**
 * Reads a JDBC URL of a metastore database. The URL is never quoted back in an error: users
 * put passwords into them (`?password=` or `user:password@`).
 */
export function parseJdbcUrl(type: HmsDatasourceType, connection: HmsConnection): JdbcTarget {
  const dialect = DIALECT_OF[type];
  if (!dialect)
    throw new HmsSourceError(
      'invalid_connection',
      `unknown datasource type ${JSON.stringify(type)} (expected OPEN_FOR_MYSQL, MRS_RDS_FOR_MYSQL or MRS_RDS_FOR_PG)`,
    );
  const raw = (connection.jdbc_url ?? '').trim();
  const m = /^jdbc:([a-z]+):(\/\/.*)$/i.exec(raw);
  const scheme = m?.[1]?.toLowerCase();
  if (!m || !scheme || !SCHEME_DIALECT[scheme])
    throw new HmsSourceError('invalid_connection', `jdbc_url is not a JDBC URL this reader knows (expected ${SHAPE})`);
  if (SCHEME_DIALECT[scheme] !== dialect) {
    throw new HmsSourceError(
      'invalid_connection',
      `jdbc_url is a jdbc:${scheme} URL but the datasource type ` +
        `${type} needs ` +
        `${dialect === 'mysql' ? 'jdbc:mysql or jdbc:mariadb' : 'jdbc:postgresql'}`,
    );
  }
  let url: URL;
  try {
    url = new URL(`${scheme}:${m[2]}`);
  } catch {
    throw new HmsSourceError('invalid_connection', `jdbc_url is malformed (expected ${SHAPE})`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host || host.includes(','))
    throw new HmsSourceError(
      'invalid_connection',
      'jdbc_url must name exactly one host (failover lists are not supported)',
    );
  const port = url.port ? Number(url.port) : DEFAULT_PORT[dialect];
  let database: string;
  try {
    database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  } catch {
    throw new HmsSourceError('invalid_connection', 'jdbc_url has a malformed database name');
  }
  if (!database || database.includes('/'))
    throw new HmsSourceError('invalid_connection', `jdbc_url must name the metastore database (expected ${SHAPE})`);
  const q = url.searchParams;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const user = connection.username || (url.username ? decode(url.username) : undefined) || q.get('user') || undefined;
  const password =
    connection.password ?? ((url.password ? decode(url.password) : undefined) || q.get('password') || undefined);
  const target: JdbcTarget = {
    dialect,
    host,
    port,
    database,
    tls: tlsOf(q),
    ...(user ? { user } : {}),
    ...(password !== undefined ? { password } : {}),
  };
  const schema = q.get('currentSchema');
  if (schema && dialect === 'postgres') {
    if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(schema))
      throw new HmsSourceError('invalid_connection', 'jdbc_url currentSchema must be a plain schema name');
    target.schema = schema;
  }
  return target;
}
