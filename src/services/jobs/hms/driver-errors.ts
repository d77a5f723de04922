import { driverMessage, HmsSourceError } from './errors.js';
import { describeTarget, type JdbcTarget } from './jdbc-url.js';

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
export function mapDriverError(
  err: unknown,
  t: JdbcTarget,
  phase: 'connect' | 'query',
  codes: DriverCodes,
): HmsSourceError {
  const raw = (err as { code?: unknown })?.code;
  const code = typeof raw === 'string' ? raw : undefined;
  const where = `${codes.product} ${describeTarget(t)}`;
  const detail = driverMessage(err, t.password);
  const refused = codes.authentication(code, where, t, detail);
  if (refused) return new HmsSourceError('authentication_failed', refused, code);
  if (code === codes.unknownDatabase)
    return new HmsSourceError('unknown_database', `${where}: the server has no database ${t.database}`, code);
  if ((code && codes.network.has(code)) || phase === 'connect' || codes.lost?.test(detail)) {
    return new HmsSourceError(
      'connection_failed',
      `cannot ${phase === 'connect' ? 'connect to' : 'keep the connection to'} ${where}: ${detail}`,
      code,
    );
  }
  return new HmsSourceError('read_failed', `reading the metastore in ${where} failed: ${detail}`, code);
}
