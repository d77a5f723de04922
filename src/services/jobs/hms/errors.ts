/**
 * Why a source could not be read. Messages name the server, database and user, never the
 * password or the raw URL (which may carry one).
 */
export type HmsSourceErrorKind =
  | 'invalid_connection' // the URL or datasource type is wrong
  | 'connection_failed' // unreachable, refused, timed out, TLS, connection lost
  | 'authentication_failed' // wrong user or password, or the user may not use that database
  | 'unknown_database' // the server has no database of that name
  | 'not_hms' // the database holds no (complete) Hive Metastore schema
  | 'not_found' // the catalog, database or table is not in the metastore
  | 'read_failed'; // a query failed after connecting

export class HmsSourceError extends Error {
  constructor(
    readonly kind: HmsSourceErrorKind,
    message: string,
    readonly driverCode?: string,
  ) {
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
