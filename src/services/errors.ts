import { isUniqueViolation } from '../store/store.js';
/**
 * Errors a service raises. Services know nothing of HTTP: they name the kind of failure, and
 * the HTTP layer maps kinds to status codes (see http/errors.ts).
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'quota_exceeded'
  | 'rate_limited'
  | 'unavailable'
  /** Well-formed but not applicable as asked (a property both set and removed, a key reused for another request). */
  | 'unprocessable'
  /** A feature this deployment does not offer (e.g. credential vending without an STS). */
  | 'unsupported';

/** What a not-found is about, for protocols that name it (Iceberg: NoSuchTableException, ...). */
export type Subject = 'warehouse' | 'namespace' | 'table' | 'view' | 'plan' | 'plan_task';
/** Why a conflict is one: a name taken, a container not empty, a commit whose requirements failed. */
export type ConflictReason = 'exists' | 'not_empty' | 'commit_failed';

export interface ErrorDetail {
  subject?: Subject;
  reason?: ConflictReason;
}

export class ServiceError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** A service error code such as `lakeformation.00010003`; the HTTP layer picks a default per kind. */
    readonly code?: string,
    readonly solution?: string,
    /** What the failure is about, when a protocol names it more exactly than the kind does. */
    readonly detail: ErrorDetail = {},
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

/** A conflict that is a lost race on a row's version: the same request may succeed on a fresh read. */
export class ConcurrentChange extends ServiceError {
  constructor(message: string) {
    super('conflict', message);
    this.name = 'ConcurrentChange';
  }
}

export const invalid = (msg: string, code?: string) => new ServiceError('invalid', msg, code);
export const notFound = (msg: string, code?: string) => new ServiceError('not_found', msg, code);
export const conflict = (msg: string, code?: string) => new ServiceError('conflict', msg, code);
export const forbidden = (msg: string, code?: string) => new ServiceError('forbidden', msg, code);
export const unauthenticated = (msg: string, code?: string) => new ServiceError('unauthenticated', msg, code);

/** Runs a write and turns a unique-constraint violation into a 409 with the given message. */
export async function unlessDuplicate<T>(message: string, write: () => Promise<T>, code?: string): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(message, code);
    throw err;
  }
}
