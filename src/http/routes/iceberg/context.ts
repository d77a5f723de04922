import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppServices } from '../../../services/app-services.js';
import type { Caller, Warehouse } from '../../../services/iceberg/catalog-service.js';
import type { Recorder } from '../../../services/iceberg/idempotency.js';

/** What the route modules share: the services, the caller, and the checked, rate-counted warehouse of a prefixed path. */
export interface IcebergContext {
  s: AppServices;
  caller(request: FastifyRequest): Caller;
  warehouse(request: FastifyRequest): Promise<{ p: Caller; w: Warehouse }>;
  /**
   * Runs a mutation under the request's Idempotency-Key, if it has one, and sends its answer
   * (the first answer again, for a retry). `status` is the success status of the operation.
   */
  idempotent(request: FastifyRequest, reply: FastifyReply, p: Caller, status: number, op: (record: Recorder | undefined) => Promise<unknown>,
    /** What is added to a success on its way out and never recorded (vended credentials). */
    decorate?: (body: unknown) => Promise<unknown>): Promise<FastifyReply>;
}
