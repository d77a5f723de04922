import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type pretty from 'pino-pretty';

/** Apart from the server: the admin commands log and print the version without loading it. */
export const VERSION = '0.1.0';

/** pino-pretty, required only for pretty logs: the JSON default then loads none of it (30 modules). */
const loadPretty = (): unknown => createRequire(import.meta.url)('pino-pretty');

/**
 * Structured logs to stdout (the server) or stderr (the admin commands, whose stdout is their JSON result), or to
 * a given stream (a server the tests run in their own process). LAKEFORM_LOG_FORMAT=pretty: one human line per entry.
 */
export function createLogger(
  level: string,
  to: 1 | 2 | pino.DestinationStream = 1,
  format = process.env.LAKEFORM_LOG_FORMAT || 'json',
): Logger {
  if (format !== 'json' && format !== 'pretty')
    throw new Error(`LAKEFORM_LOG_FORMAT must be json or pretty, got '${format}'`);
  const destination =
    typeof to !== 'number'
      ? to
      : format === 'pretty'
        ? (loadPretty() as typeof pretty)({
            destination: to,
            sync: true,
            colorize: false,
            singleLine: true,
            translateTime: 'SYS:HH:MM:ss.l',
            ignore: 'pid,hostname,service',
          })
        : pino.destination({ fd: to, sync: true });
  return pino(
    {
      level,
      base: { service: 'lakeform' },
      redact: {
        paths: [
          'req.headers["x-auth-token"]',
          'req.headers.authorization',
          'req.headers["x-security-token"]',
          '*.password',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
