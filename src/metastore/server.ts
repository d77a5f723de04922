import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { HmsConfig } from '../config.js';
import type { AppServices } from '../services/app-services.js';
import { assertDeclarations } from '../services/authz/actions.js';
import type { LocationMap } from '../services/engine-locations.js';
import { ConcurrentChange, invalid, ServiceError } from '../services/errors.js';
import type { Principal } from '../services/iam/principal.js';
import { QPS_SPEC } from '../services/instances/specs.js';
import { EventLog } from '../services/lakecat/event-log.js';
import type { ProjectRow } from '../store/schema.js';
import { readArgs, readable } from './args.js';
import type { Encoded } from './context.js';
import { type MethodInfo, readMethods } from './idl-info.js';
import { messageLength } from './message-scan.js';
import { type Ctx, METHODS, type MethodEntry, metastoreEntries } from './methods.js';
import { T, ThriftHiveMetastore, thrift } from './runtime.js';
import { SaslPlain } from './sasl.js';
import { BinaryWriter } from './writer.js';

/**
 * The Hive Metastore Thrift endpoint: TBinaryProtocol on plain sockets, unframed or framed
 * (told apart by a connection's first byte: strict binary starts 0x80, a frame with its length),
 * or SASL PLAIN (first byte 0x01, then framed). Each connection has its own identity; calls are
 * dispatched through METHODS onto the services, so the same grants decide as on the REST API.
 */

export interface MetastoreEndpoint {
  address: string;
  port: number;
  close(): Promise<void>;
}

/** Exception type names in the order a service failure of each kind is reported, among those a method declares. */
const PREFERENCE: Record<string, string[]> = {
  not_found: [
    'NoSuchObjectException',
    'UnknownTableException',
    'UnknownDBException',
    'InvalidOperationException',
    'InvalidObjectException',
    'MetaException',
  ],
  conflict: ['AlreadyExistsException', 'InvalidOperationException', 'InvalidObjectException', 'MetaException'],
  invalid: ['InvalidObjectException', 'InvalidOperationException', 'InvalidInputException', 'MetaException'],
};

const LOOPBACK = (a: string) => a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.');
const STRICT_BINARY = 0x80;
const SASL_START = 0x01;

/** The project and IAM users a metastore endpoint acts in, resolved once from configuration. */
class Tenant {
  private resolved?: Promise<{ project: ProjectRow; domainId: string }>;
  constructor(
    private readonly s: AppServices,
    private readonly cfg: HmsConfig,
  ) {}

  /** The project once resolved (what `project` resolves to), for calls that need not wait a tick for it. */
  projectNow: { project: ProjectRow; domainId: string } | undefined;

  project(): Promise<{ project: ProjectRow; domainId: string }> {
    this.resolved ??= (async () => {
      const byId = await this.s.identity.projectById(this.cfg.project);
      if (byId) return { project: byId, domainId: byId.domain_id };
      const domain = await this.s.identity.domainByName(this.cfg.domain);
      const project = domain ? await this.s.identity.projectByName(domain.id, this.cfg.project) : undefined;
      if (!domain || !project)
        throw new Error(`LAKEFORM_HMS_PROJECT: no project ${this.cfg.project} in domain ${this.cfg.domain}`);
      return { project, domainId: domain.id };
    })();
    this.resolved.then(
      (r) => {
        this.projectNow = r;
      },
      () => {
        this.resolved = undefined;
      },
    );
    return this.resolved;
  }

  private instanceAt: { id: string; at: number } | undefined;

  /**
   * The served instance's id: `default` is resolved here (briefly cached), so every service call
   * names the instance by id and a change of the project's default is noticed within seconds.
   */
  async instanceId(ref: string): Promise<string> {
    return this.instanceNow(ref) ?? this.resolveInstance();
  }

  /** `instanceId` when it needs no store read (undefined: call that). */
  instanceNow(ref: string): string | undefined {
    if (ref !== 'default') return ref;
    if (this.instanceAt && Date.now() - this.instanceAt.at < 5_000) return this.instanceAt.id;
    return undefined;
  }

  private async resolveInstance(): Promise<string> {
    const row = await this.s.instances.active((await this.project()).project.id, 'default');
    this.instanceAt = { id: row.id, at: Date.now() };
    return row.id;
  }

  /** The IAM user of that name in the project's domain, as a principal in the project; undefined if unknown. */
  async principal(name: string): Promise<Principal | undefined> {
    const { project, domainId } = await this.project();
    const user = await this.s.identity.userByName(domainId, name);
    if (!user?.enabled) return undefined;
    return this.s.tokens.principalFor(user, project, ['hms']);
  }
}

interface Shared {
  s: AppServices;
  cfg: HmsConfig;
  log: Logger;
  tenant: Tenant;
  loc: LocationMap;
  eventLog: EventLog;
  methods: Map<string, MethodInfo>;
  instance: string;
  /** Reports each call to the metrics (wire `metastore`), its outcome as an HTTP status class would. */
  observe?: (call: { operation: string; status: number; seconds: number; denied: boolean }) => void;
}

const OUTCOME: Record<string, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
};

const rateLimited = (rate: number) =>
  new ServiceError(
    'rate_limited',
    `the instance's request rate limit (${rate} requests/s from its ${QPS_SPEC} spec) is exceeded; slow down`,
  );

/** How long a connection's principal (admin membership) is reused before it is read again. */
const PRINCIPAL_TTL_MS = 5_000;

class Connection {
  private user: string | undefined;
  private principal: { p: Principal; at: number } | undefined;
  private readonly handler: Record<string, unknown> = {};
  private readonly processor;
  private ended = false;

  constructor(
    private readonly sh: Shared,
    private readonly socket: net.Socket,
    private readonly remote: string,
    private readonly authenticated?: string,
  ) {
    this.user = authenticated;
    for (const info of sh.methods.values()) {
      const entry = METHODS[info.name] as MethodEntry;
      const fn = (...args: unknown[]) => this.invoke(info, entry, args);
      // The generated processor calls a handler promise-style only when its arity matches the IDL's.
      Object.defineProperty(fn, 'length', { value: info.args.length });
      this.handler[info.name] = fn;
    }
    this.processor = new ThriftHiveMetastore.Processor(this.handler);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    // After the replies already written; a Hive client's close() sends shutdown and hangs up.
    setImmediate(() => this.socket.end());
  }

  async setUser(name: string, groups: string[]): Promise<string[]> {
    if (this.authenticated !== undefined) {
      if (name !== this.authenticated)
        throw invalid(`set_ugi cannot change the authenticated user ${this.authenticated}`);
      return groups;
    }
    const p = await this.sh.tenant.principal(name ?? '');
    if (!p) throw invalid(`set_ugi: no enabled IAM user named '${name}' in domain ${this.sh.cfg.domain}`);
    this.user = name;
    this.principal = { p, at: Date.now() };
    return groups;
  }

  /** The caller when known moments ago (undefined: ask `caller`). */
  private callerNow(): Principal | undefined {
    return this.principal && Date.now() - this.principal.at < PRINCIPAL_TTL_MS ? this.principal.p : undefined;
  }

  private async caller(): Promise<Principal> {
    const known = this.callerNow();
    if (known) return known;
    const name = this.user ?? (this.sh.cfg.defaultUser || undefined);
    if (name === undefined)
      throw new ServiceError(
        'unauthenticated',
        'no user: call set_ugi with an IAM user name or set LAKEFORM_HMS_DEFAULT_USER',
      );
    const p = await this.sh.tenant.principal(name);
    if (!p) throw new ServiceError('unauthenticated', `IAM user ${name} does not exist or is disabled`);
    this.principal = { p, at: Date.now() };
    return p;
  }

  /**
   * Counts the call against the instance's rate: decided from this replica's lease when it can be (as the REST
   * API's admitCached), so that most calls wait no tick; `false` when the store must be asked (call admit).
   */
  private admitNow(projectId: string, instanceId: string): boolean {
    const s = this.sh.s;
    const known = s.instances.cachedRateLimit(projectId, instanceId);
    if (!known) return false;
    const rate = s.rateLimiter.admitNow(known, s.config.qpsPerStride, s.requestCounter);
    if (rate === null) return false;
    if (rate !== undefined) throw rateLimited(rate);
    return true;
  }

  private async admit(projectId: string, instanceId: string): Promise<void> {
    const s = this.sh.s;
    const limit = await s.instances.rateLimitOf(projectId, instanceId);
    if (!limit) return; // an unknown instance: the call itself says so
    const rate = await s.rateLimiter.admit(limit, s.config.qpsPerStride, s.requestCounter);
    if (rate !== undefined) throw rateLimited(rate);
  }

  private async invoke(info: MethodInfo, entry: MethodEntry, args: unknown[]): Promise<unknown> {
    const named = Object.fromEntries(info.args.map((a, i) => [a, args[i]]));
    const started = performance.now();
    let caller: Principal | undefined;
    try {
      // Each step taken from what is known without waiting when it can be: a hot call then waits only for its work.
      caller = entry.open ? undefined : (this.callerNow() ?? (await this.caller()));
      const tenant = this.sh.tenant;
      const projectId = (tenant.projectNow ?? (await tenant.project())).project.id;
      const instance = entry.open
        ? this.sh.instance
        : (tenant.instanceNow(this.sh.instance) ?? (await tenant.instanceId(this.sh.instance)));
      // A metadata call counts against the instance's QPS spec as a REST request does (housekeeping does not).
      if (!entry.open && !this.admitNow(projectId, instance)) await this.admit(projectId, instance);
      const c: Ctx = {
        s: this.sh.s,
        caller: caller as Principal,
        projectId,
        instance,
        loc: this.sh.loc,
        eventLog: this.sh.eventLog,
        maxPartitions: this.sh.cfg.maxPartitions,
        session: this,
      };
      const out = await entry.run(c, named);
      this.sh.log.debug(
        { method: info.name, action: entry.action, ms: Math.round(performance.now() - started) },
        'metastore call',
      );
      this.sh.observe?.({
        operation: info.name,
        status: 200,
        seconds: (performance.now() - started) / 1000,
        denied: false,
      });
      return out;
    } catch (err) {
      const kind = err instanceof ServiceError ? err.kind : '';
      this.sh.observe?.({
        operation: info.name,
        status: OUTCOME[kind] ?? 500,
        seconds: (performance.now() - started) / 1000,
        denied: kind === 'forbidden',
      });
      if (info.oneway) {
        this.sh.log.warn({ err, method: info.name }, 'oneway metastore call failed');
        return undefined;
      }
      throw await this.thriftError(err, info, entry, caller);
    }
  }

  /** A service failure as the exception the method declares for it; a refusal is audited as on the REST API. */
  private async thriftError(err: unknown, info: MethodInfo, entry: MethodEntry, caller?: Principal): Promise<Error> {
    const make = (type: string, message: string) => {
      const Exception = (T as unknown as Record<string, new (a: object) => Error>)[type];
      if (!Exception) throw new Error(`metastore: no exception type ${type} in the IDL`);
      return new Exception({ message });
    };
    if (err instanceof ServiceError) {
      if (err.kind === 'forbidden' && caller) {
        const project = (await this.sh.tenant.project()).project.id;
        await this.sh.s.audit
          .denied(
            caller,
            project,
            this.sh.instance,
            `hms:${info.name}`,
            `thrift://${entry.action ?? info.name}`,
            err.message,
          )
          .catch((e: unknown) => this.sh.log.error({ err: e }, 'could not audit a denied metastore call'));
      }
      const prefs = err instanceof ConcurrentChange ? ['MetaException'] : (PREFERENCE[err.kind] ?? ['MetaException']);
      const type = prefs.find((t) => info.throws.includes(t));
      if (type) return make(type, err.message);
      return new Error(err.message);
    }
    if (err && typeof err === 'object' && (err as { name?: string }).name === 'TException') return err as Error;
    if (Object.values(T).some((cls) => typeof cls === 'function' && err instanceof (cls as new () => object)))
      return err as Error;
    this.sh.log.error({ err, method: info.name, remote: this.remote }, 'metastore call failed');
    const type = info.throws.includes('MetaException') ? 'MetaException' : undefined;
    return type
      ? make(type, `internal error in ${info.name}; see the server log`)
      : new Error(`internal error in ${info.name}`);
  }

  /** Runs one whole message (its reply goes to `output`). */
  process(message: Buffer, output: BinaryWriter): void {
    const input = new thrift.TBinaryProtocol(new thrift.TFramedTransport(message));
    const head = input.readMessageBegin() as { fname: string; rseqid: number };
    const entry = METHODS[head.fname];
    const info = this.sh.methods.get(head.fname);
    if (entry?.encoded && info) this.processEncoded(info, entry, head.rseqid, input, output);
    else this.processor.process(new thrift.TBinaryProtocol(new thrift.TFramedTransport(message)), output);
  }

  /**
   * A method whose answer comes encoded (large partition lists): its arguments are read by their
   * IDL types and its reply written as the generated processor would, without the result struct
   * (whose constructor would copy every partition into Thrift objects first).
   */
  private processEncoded(info: MethodInfo, entry: MethodEntry, seqid: number, input: any, w: BinaryWriter): void {
    const args = readArgs(input, info.fields);
    input.readMessageEnd();
    const Type = thrift.Thrift.Type;
    const reply = (fn: () => void) => {
      try {
        fn();
      } catch (err) {
        w.reset();
        w.writeMessageBegin(info.name, thrift.Thrift.MessageType.EXCEPTION, seqid);
        new thrift.Thrift.TApplicationException(
          thrift.Thrift.TApplicationExceptionType.UNKNOWN,
          (err as Error).message,
        ).write(w);
      }
      w.flush();
    };
    this.invoke(info, entry, args).then(
      (out) =>
        reply(() => {
          w.writeMessageBegin(info.name, thrift.Thrift.MessageType.REPLY, seqid);
          (out as Encoded).writeSuccess(w);
          w.writeFieldStop();
        }),
      (err: Error) =>
        reply(() => {
          const declared = Object.keys(info.throwIds).find((t) => {
            const cls = (T as unknown as Record<string, unknown>)[t];
            return typeof cls === 'function' && err instanceof cls;
          });
          if (!declared) throw err;
          w.writeMessageBegin(info.name, thrift.Thrift.MessageType.REPLY, seqid);
          w.writeFieldBegin('', Type.STRUCT, info.throwIds[declared] as number);
          (err as unknown as { write(o: BinaryWriter): void }).write(w);
          w.writeFieldStop();
        }),
    );
  }
}

export async function startMetastore(
  s: AppServices,
  cfg: HmsConfig,
  log: Logger,
  observe?: Shared['observe'],
): Promise<MetastoreEndpoint> {
  const methods = readMethods();
  const missing = [...methods.keys()].filter((m) => !METHODS[m]);
  if (missing.length) throw new Error(`metastore: IDL methods without a handler: ${missing.join(', ')}`);
  assertDeclarations(metastoreEntries(), 'metastore method');
  const unreadable = [...methods.values()].filter(
    (m) => METHODS[m.name]?.encoded && !m.fields.every((f) => readable(f.type)),
  );
  if (unreadable.length)
    throw new Error(`metastore: encoded methods with arguments readArgs cannot read: ${unreadable.map((m) => m.name)}`);
  const sh: Shared = {
    s,
    cfg,
    log: log.child({ component: 'metastore' }),
    tenant: new Tenant(s, cfg),
    loc: s.engineLocations,
    eventLog: new EventLog(s.store, s.instances, s.tables),
    observe,
    methods,
    instance: cfg.instance,
  };
  const sockets = new Set<net.Socket>();
  const sasl = cfg.auth === 'sasl' ? new SaslPlain(s, sh.tenant.project.bind(sh.tenant)) : undefined;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', (err) => sh.log.debug({ err }, 'metastore connection error'));
    socket.setNoDelay(true);
    socket.setTimeout(cfg.idleTimeoutSeconds * 1000, () => socket.destroy());
    const remote = socket.remoteAddress ?? '';
    if (
      cfg.auth === 'trust' &&
      !LOOPBACK(remote) &&
      !cfg.trustFrom.includes('*') &&
      !cfg.trustFrom.includes(remote.replace(/^::ffff:/, ''))
    ) {
      sh.log.warn(
        { remote },
        'metastore: refused a trust-mode connection from a non-loopback address (see LAKEFORM_HMS_TRUST_FROM)',
      );
      socket.destroy();
      return;
    }
    serve(sh, socket, remote, sasl);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as net.AddressInfo;
  const address = `thrift://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  sh.log.info(
    { address, auth: cfg.auth, instance: cfg.instance, project: cfg.project },
    `metastore listening on ${address}`,
  );
  return {
    address,
    port: a.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const sock of sockets) sock.destroy();
      }),
  };
}

/** Reads a connection: sniffs its transport on the first byte, then feeds complete messages to the processor. */
function serve(sh: Shared, socket: net.Socket, remote: string, sasl?: SaslPlain): void {
  const max = sh.cfg.maxMessageBytes;
  let feed: ((data: Buffer) => void) | undefined;
  const fail = (why: string) => {
    sh.log.warn({ remote, why }, 'metastore: closing a connection');
    socket.destroy();
  };

  /** Runs one whole message (its bytes only) through the connection's processor. */
  const run = (conn: Connection, message: Buffer, out: BinaryWriter): boolean => {
    try {
      conn.process(message, out);
      return true;
    } catch (err) {
      fail(`unreadable message: ${(err as Error).message}`);
      return false;
    }
  };

  /**
   * Bytes gathered until a whole message is there: chunks are kept as they come and joined once,
   * so a large message costs one copy, not one per chunk. `length` tells a whole message's length
   * from the bytes so far (undefined while it cannot tell); the body of a message is `skip` bytes in.
   */
  const gather = (conn: Connection, length: (b: Buffer) => number | undefined, skip: number, framedReply: boolean) => {
    let chunks: Buffer[] = [];
    let have = 0;
    let known: number | undefined; // the whole message's length, once the bytes tell it
    // One writer for the connection's replies: each is written and flushed in one go (no await between), and the
    // writer keeps its buffer from one to the next.
    const out = new BinaryWriter(write, framedReply);
    return (data: Buffer) => {
      chunks.push(data);
      have += data.length;
      while (have > 0) {
        if (known === undefined) {
          const all = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, have);
          chunks = [all];
          try {
            known = length(all);
          } catch (err) {
            return fail(`unreadable message: ${(err as Error).message}`);
          }
          if (known === undefined) {
            if (have > max + skip) fail(`message larger than ${max} bytes`);
            return;
          }
          if (known - skip > max) return fail(`message of ${known - skip} bytes (the most is ${max})`);
        }
        if (have < known) return;
        const all = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, have);
        const message = all.subarray(skip, known);
        const rest = all.subarray(known);
        chunks = rest.length ? [rest] : [];
        have = rest.length;
        known = undefined;
        if (!run(conn, message, out)) return;
      }
    };
  };

  /** Framed messages: a 4-byte length then the message; each frame is one call. */
  const framed = (conn: Connection) =>
    gather(
      conn,
      (b) => {
        if (b.length < 4) return undefined;
        const size = b.readInt32BE(0);
        if (size < 0) throw new Error(`frame of ${size} bytes`);
        return 4 + size;
      },
      4,
      true,
    );

  /** Unframed messages: their length is found by scanning their structure, then each is parsed once. */
  const unframed = (conn: Connection) => gather(conn, (b) => messageLength(b, 0, max), 0, false);

  // A large reply comes in several pieces: corked until the tick ends, they leave in one writev.
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  const write = (buf: Buffer) => {
    if (socket.destroyed) return;
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    socket.write(buf);
  };

  socket.on('data', (data: Buffer) => {
    if (!feed) {
      const first = data[0] as number;
      if (sasl) {
        if (first !== SASL_START) return fail('the metastore requires SASL PLAIN (LAKEFORM_HMS_AUTH=sasl)');
        feed = sasl.negotiate(
          socket,
          remote,
          (user) => {
            const next = framed(new Connection(sh, socket, remote, user));
            feed = next;
            return next;
          },
          fail,
        );
      } else if (first === STRICT_BINARY) {
        feed = unframed(new Connection(sh, socket, remote));
      } else if (first === 0x00) {
        feed = framed(new Connection(sh, socket, remote));
      } else if (first === SASL_START) {
        return fail('SASL is not enabled on this endpoint (LAKEFORM_HMS_AUTH=trust)');
      } else {
        return fail(`unsupported protocol (first byte 0x${first.toString(16)}); use TBinaryProtocol`);
      }
    }
    feed(data);
  });
}
