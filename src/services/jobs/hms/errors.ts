import { describeTarget, type JdbcTarget } from './jdbc-url.js';

/**
 * Why a source could not be read. Messages name the server, database and user, never the
 * password or the raw URL (which may carry one).
 */
export type HmsSourceErrorKind =
  | 'invalid_connection'     // the URL or datasource type is wrong
  | 'connection_failed'      // unreachable, refused, timed out, TLS, connection lost
  | 'authentication_failed'  // wrong user or password, or the user may not use that database
  | 'unknown_database'       // the server has no database of that name
  | 'not_hms'                // the database holds no (complete) Hive Metastore schema
  | 'not_found'              // the catalog, database or table is not in the metastore
  | 'read_failed';           // a query failed after connecting

export class HmsSourceError extends Error {
  constructor(readonly kind: HmsSourceErrorKind, message: string, readonly driverCode?: string) {
    super(message);
    this.name = 'HmsSourceError';
  }
}

/**
 * A driver's own message, safe to show: drivers do not quote passwords, but a message is
 * scrubbed of it all the same; a password too short to scrub without mangling the text
 * leaves only the error code.
 */
export function driverMessage(err: unknown, password: string | undefined): string {
  const e = err as { message?: unknown; code?: unknown };
  const code = typeof e?.code === 'string' || typeof e?.code === 'number' ? String(e.code) : undefined;
  const message = typeof e?.message === 'string' && e.message ? e.message : undefined;
  if (!message) return code ? `driver error ${code}` : 'unknown driver error';
  if (!password) return message;
  if (password.length < 4) return message.includes(password) ? `driver error ${code ?? '(no code)'}` : message;
  return message.split(password).join('***');
}

/** What a driver's error codes mean: the parts of a failure that differ between MySQL and PostgreSQL. */
export interface DriverCodes {
  product: string;
  /** The message for a refused login, or undefined when the code is not one. */
  authentication(code: string | undefined, where: string, t: JdbcTarget, detail: string): string | undefined;
  unknownDatabase: string;
  network: Set<string>;
  /** A message that says the connection went away although its code does not. */
  lost?: RegExp;
}

/** A driver failure as a typed error whose message names the server and user but never the password. */
export function mapDriverError(err: unknown, t: JdbcTarget, phase: 'connect' | 'query', codes: DriverCodes): HmsSourceError {
  const raw = (err as { code?: unknown })?.code;
  const code = typeof raw === 'string' ? raw : undefined;
  const where = `${codes.product} ${describeTarget(t)}`;
  const detail = driverMessage(err, t.password);
  const refused = codes.authentication(code, where, t, detail);
  if (refused) return new HmsSourceError('authentication_failed', refused, code);
  if (code === codes.unknownDatabase) return new HmsSourceError('unknown_database', `${where}: the server has no database ${t.database}`, code);
  if ((code && codes.network.has(code)) || phase === 'connect' || codes.lost?.test(detail)) {
    return new HmsSourceError('connection_failed', `cannot ${phase === 'connect' ? 'connect to' : 'keep the connection to'} ${where}: ${detail}`, code);
  }
  return new HmsSourceError('read_failed', `reading the metastore in ${where} failed: ${detail}`, code);
}
