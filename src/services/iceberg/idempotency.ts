// Iceberg's Idempotency-Key: a mutation sent again with the same key gets the first answer and
// changes nothing more. A success is recorded inside the transaction of the change, so a retry
// finds either the change with its answer or neither; a deterministic refusal (the protocol says
// which: invalid, not found, conflict) is recorded after it, and a server failure not at all, so
// it can be retried. Answers are the protocol's (status and body); this service only keeps them.

import {
  deleteExpiredAnswer,
  deleteExpiredAnswers,
  findAnswer,
  findKeptAnswer,
  insertAnswer,
} from '../../store/iceberg/idempotency-repository.js';
import type { IcebergIdempotencyRow } from '../../store/schema.js';
import type { Store, Tx } from '../../store/store.js';
import { nowIso } from '../../store/store.js';
import { badRequest, unprocessable } from './errors.js';
import { parseIceberg, stringifyAnswer } from './json.js';

/**
 * The reuse window clients are told (GET /v1/config); answers are kept twice as long, for clock skew and slow retries.
 */
export const IDEMPOTENCY_LIFETIME = 'PT30M';
const KEEP_MS = 60 * 60 * 1000;
const KEY = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** An answer as the protocol gives it: a status of 400 or above is a recorded refusal. */
export interface Answer {
  status: number;
  body: unknown;
}
/** The protocol's answer to a refusal that a retry would get again, or undefined (not recorded). */
export type RefusalAnswer = (err: unknown) => Answer | undefined;
/**
 * Given the answer a mutation will give, the work that records it inside the mutation's transaction, with the row it
 * inserts (a table update folded into one statement writes it there instead: see TableService.updateMany).
 */
export type Recorder = (body: unknown) => ((trx: Tx) => Promise<void>) & { readonly answer: IcebergIdempotencyRow };

export class Idempotency {
  constructor(private readonly store: Store) {}

  /**
   * Runs `op` at most once per (project, key). `fingerprint` names the request (caller, method,
   * path, body): the same key on another request is refused rather than answered wrongly.
   * A replayed refusal comes back as an answer whose status is 400 or above.
   */
  async run(
    projectId: string,
    key: string | undefined,
    fingerprint: string,
    status: number,
    op: (record: Recorder | undefined) => Promise<unknown>,
    refusal: RefusalAnswer,
  ): Promise<Answer> {
    if (key === undefined) return { status, body: await op(undefined) };
    if (!KEY.test(key)) throw badRequest('Idempotency-Key must be a UUID (36 characters, UUIDv7 recommended)');
    const row = (s: number, body: unknown): IcebergIdempotencyRow => {
      const now = new Date();
      return {
        project_id: projectId,
        idempotency_key: key.toLowerCase(),
        fingerprint,
        status: s,
        body: body === undefined ? null : stringifyAnswer(body),
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + KEEP_MS).toISOString(),
      };
    };
    // One read for a new key (the usual case); an expired answer found under it is deleted before the key is reused.
    const now = nowIso();
    const prior = await findKeptAnswer(this.store.db, projectId, key.toLowerCase());
    if (prior && prior.expires_at > now) return replay(prior, fingerprint);
    if (prior) await deleteExpiredAnswer(this.store.db, projectId, key.toLowerCase(), now);
    if (Math.random() < 0.01) void deleteExpiredAnswers(this.store.db, nowIso(), 1000).catch(() => undefined);
    try {
      return {
        status,
        body: await op((body) => {
          const answer = row(status, body);
          return Object.assign((trx: Tx) => insertAnswer(trx, answer), { answer });
        }),
      };
    } catch (err) {
      // A concurrent request with the same key may have finished first: its answer is the answer.
      const again = await findAnswer(this.store.db, projectId, key.toLowerCase(), nowIso()).catch(() => undefined);
      if (again) return replay(again, fingerprint);
      const refused = refusal(err);
      if (refused) await insertAnswer(this.store.db, row(refused.status, refused.body)).catch(() => undefined);
      throw err;
    }
  }
}

function replay(prior: IcebergIdempotencyRow, fingerprint: string): Answer {
  if (prior.fingerprint !== fingerprint) {
    throw unprocessable('this Idempotency-Key was used for a different request; use a new key for a new operation');
  }
  return { status: prior.status, body: prior.body === null ? undefined : parseIceberg(prior.body) };
}
