// Iceberg's error model: every failure names an exception type that clients branch on
// (NoSuchTableException, CommitFailedException, ...) and carries the HTTP code of the answer.
import { ServiceError, type ErrorKind } from '../errors.js';

export class IcebergError extends Error {
  constructor(readonly code: number, readonly type: string, message: string) {
    super(message);
    this.name = 'IcebergError';
  }
}

export const badRequest = (message: string) => new IcebergError(400, 'BadRequestException', message);

/** The Iceberg type and code for a LakeCat service failure that no operation named more exactly. */
export const KIND_TYPES: Record<ErrorKind, [number, string]> = {
  invalid: [400, 'BadRequestException'], unauthenticated: [401, 'NotAuthorizedException'], forbidden: [403, 'ForbiddenException'],
  not_found: [404, 'NotFoundException'], conflict: [409, 'AlreadyExistsException'], quota_exceeded: [429, 'TooManyRequestsException'],
  rate_limited: [429, 'TooManyRequestsException'], unavailable: [503, 'ServiceUnavailableException'],
};

/** Runs a LakeCat call, naming its not-found and conflict failures as the Iceberg operation means them. */
export async function named<T>(call: Promise<T>, names: { not_found?: string; conflict?: string }): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof ServiceError && (err.kind === 'not_found' || err.kind === 'conflict') && names[err.kind]) {
      throw new IcebergError(err.kind === 'not_found' ? 404 : 409, names[err.kind] as string, err.message);
    }
    throw err;
  }
}
