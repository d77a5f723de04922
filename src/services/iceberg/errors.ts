// The domain errors of the Iceberg catalog: kinds of ServiceError with what they are about (a
// missing table, a taken name, a failed commit). The protocol layer names them for the wire
// (src/http/iceberg/errors.ts maps them to Iceberg's exception types and statuses).
import { type ConflictReason, ServiceError, type Subject } from '../errors.js';

export const badRequest = (message: string) => new ServiceError('invalid', message);
export const unprocessable = (message: string) => new ServiceError('unprocessable', message);
export const unsupported = (message: string) => new ServiceError('unsupported', message);
export const missing = (subject: Subject, message: string) =>
  new ServiceError('not_found', message, undefined, undefined, { subject });
export const refused = (reason: ConflictReason, message: string) =>
  new ServiceError('conflict', message, undefined, undefined, { reason });
export const exists = (message: string) => refused('exists', message);
export const commitFailed = (message: string) => refused('commit_failed', message);

/** Whether `err` is a not-found, about `subject` if given. */
export const isMissing = (err: unknown, subject?: Subject): err is ServiceError =>
  err instanceof ServiceError && err.kind === 'not_found' && (subject === undefined || err.detail.subject === subject);

/** Runs a LakeCat call, naming what its not-found and conflict failures mean to the Iceberg operation. */
export async function named<T>(
  call: Promise<T>,
  names: { not_found?: Subject; conflict?: ConflictReason },
): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof ServiceError && err.kind === 'not_found' && names.not_found)
      throw missing(names.not_found, err.message);
    if (err instanceof ServiceError && err.kind === 'conflict' && names.conflict)
      throw refused(names.conflict, err.message);
    throw err;
  }
}
