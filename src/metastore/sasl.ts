import { timingSafeEqual } from 'node:crypto';
import type net from 'node:net';
import type { AppServices } from '../services/app-services.js';
import type { ProjectRow } from '../store/schema.js';

/**
 * The server side of Thrift's SASL transport with the PLAIN mechanism (RFC 4616), as Hive 4
 * clients and thrift_sasl send it: frames of [status byte][4-byte length][payload]; START names
 * the mechanism, OK carries `authzid NUL authcid NUL password`, the server answers COMPLETE or
 * BAD/ERROR. The credentials are an IAM user name and password, or an access key and its secret
 * key. Afterwards every message is framed (4-byte length), as no QOP is negotiated.
 */
const START = 1;
const OK = 2;
const BAD = 3;
const ERROR = 4;
const COMPLETE = 5;
const MAX_NEGOTIATION_BYTES = 64 * 1024;

export class SaslPlain {
  constructor(
    private readonly s: AppServices,
    private readonly project: () => Promise<{ project: ProjectRow; domainId: string }>,
  ) {}

  /** The IAM user name a PLAIN response authenticates, or undefined. */
  async verify(authcid: string, password: string): Promise<string | undefined> {
    const { project, domainId } = await this.project();
    const key = await this.s.accessKeys.credentialsFor(authcid, undefined, project.id);
    if (key) {
      const a = Buffer.from(key.secret);
      const b = Buffer.from(password);
      // A vended storage credential may only reach storage, never the catalog.
      if (
        a.length === b.length &&
        timingSafeEqual(a, b) &&
        !key.principal.storageScope &&
        key.principal.projectId === project.id
      ) {
        return key.principal.userName;
      }
      return undefined;
    }
    try {
      const issued = await this.s.tokens.issueWithPassword({
        user: { name: authcid, password, domain: { id: domainId } },
        scope: { project: { id: project.id } },
      });
      return issued.principal.userName;
    } catch {
      return undefined;
    }
  }

  /**
   * Reads the negotiation; on success calls `done` with the user, which returns the reader of
   * the framed messages that follow (bytes already received are passed on to it).
   */
  negotiate(
    socket: net.Socket,
    remote: string,
    done: (user: string) => (data: Buffer) => void,
    fail: (why: string) => void,
  ): (data: Buffer) => void {
    let pending: Buffer = Buffer.alloc(0);
    let mechanism: string | undefined;
    let next: ((data: Buffer) => void) | undefined;
    let busy = false;
    const send = (status: number, text: string) => {
      const payload = Buffer.from(text);
      const head = Buffer.alloc(5);
      head.writeUInt8(status, 0);
      head.writeUInt32BE(payload.length, 1);
      socket.write(Buffer.concat([head, payload]));
    };
    const step = async (): Promise<void> => {
      while (!next && pending.length >= 5) {
        const status = pending.readUInt8(0);
        const size = pending.readUInt32BE(1);
        if (size > MAX_NEGOTIATION_BYTES) {
          send(ERROR, 'negotiation message too large');
          return fail('SASL message too large');
        }
        if (pending.length < 5 + size) return;
        const payload = pending.subarray(5, 5 + size);
        pending = pending.subarray(5 + size);
        if (mechanism === undefined) {
          if (status !== START) {
            send(ERROR, 'expected START');
            return fail('SASL without START');
          }
          mechanism = payload.toString();
          if (mechanism !== 'PLAIN') {
            send(BAD, `mechanism ${mechanism} is not supported; use PLAIN`);
            return fail(`SASL mechanism ${mechanism}`);
          }
          continue;
        }
        if (status !== OK && status !== COMPLETE) {
          send(ERROR, 'unexpected negotiation status');
          return fail(`SASL status ${status}`);
        }
        const parts = payload.toString('utf8').split('\u0000');
        if (parts.length !== 3) {
          send(BAD, 'malformed PLAIN response');
          return fail('malformed PLAIN response');
        }
        const user = await this.verify(parts[1] as string, parts[2] as string);
        if (!user) {
          send(BAD, 'authentication failed');
          return fail(`SASL PLAIN authentication of '${parts[1]}' from ${remote} failed`);
        }
        send(COMPLETE, '');
        next = done(user);
        if (pending.length) next(pending);
        return;
      }
    };
    return (data: Buffer) => {
      if (next) return next(data);
      pending = pending.length ? Buffer.concat([pending, data]) : data;
      if (busy) return;
      busy = true;
      step()
        .catch((err: unknown) => fail(`SASL negotiation failed: ${(err as Error).message}`))
        .finally(() => {
          busy = false;
          if (!next && pending.length >= 5 && !socket.destroyed) step().catch(() => fail('SASL negotiation failed'));
        });
    };
  }
}
