import { describeTarget, parseJdbcUrl } from './jdbc-url.js';
import { checkSize, inspectSchema, SqlHmsSource, type SqlPort } from './sql-reader.js';
import type { HmsConnection, HmsDatasourceType, HmsSource, HmsSourceOptions } from './types.js';

export { HmsSourceError, type HmsSourceErrorKind } from './errors.js';
export { type JdbcTarget, parseJdbcUrl } from './jdbc-url.js';
export * from './types.js';

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Connects to a metastore's backing database and opens one of its catalogs for reading.
 * Fails with an HmsSourceError when the URL is wrong, the server cannot be reached or refuses
 * the credentials, the database holds no metastore schema, or the catalog is not in it.
 */
export async function openHmsSource(
  type: HmsDatasourceType,
  connection: HmsConnection,
  sourceCatalog: string,
  options: HmsSourceOptions = {},
): Promise<HmsSource> {
  const target = parseJdbcUrl(type, connection);
  if (options.listPageSize !== undefined) checkSize('listPageSize', options.listPageSize);
  const timeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  // The drivers load with the first migration rather than with every server start (mysql2 alone costs 70 ms of CPU).
  const port: SqlPort =
    target.dialect === 'mysql'
      ? await (await import('./mysql-source.js')).connectMysql(target, timeout)
      : await (await import('./postgres-source.js')).connectPostgres(target, timeout);
  const server = `${target.dialect === 'mysql' ? 'MySQL' : 'PostgreSQL'} ${describeTarget(target)}`;
  // Hive stores catalog names in lower case.
  const catalog = sourceCatalog.trim().toLowerCase();
  try {
    const schema = await inspectSchema(port, server);
    const source = new SqlHmsSource(port, catalog, schema, options.listPageSize);
    await source.checkCatalog();
    options.log?.(
      'info',
      `reading catalog ${catalog} of a Hive Metastore ` +
        `${schema.generation} ` +
        `schema${schema.version ? ` (version ${schema.version})` : ''} ` +
        `in ${server} as ${target.user ?? '(default user)'}`,
    );
    return source;
  } catch (err) {
    await port.close();
    throw err;
  }
}
