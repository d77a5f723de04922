import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';
import type { AppServices } from '../services/app-services.js';
import { assertDeclarations } from '../services/authz/actions.js';
import { ServiceError } from '../services/errors.js';
import { parseIceberg, stringifyIceberg } from '../services/iceberg/json.js';
import { PREFIX_SEPARATOR } from '../services/iceberg/names.js';
import { QPS_SPEC } from '../services/instances/specs.js';
import { LONG_BODY_BYTES, type ShortRequest } from '../services/pacer.js';
import { RawJson } from '../services/raw-json.js';
import { checkProjectScope, projectScope, signatureAuthentication, tokenAuthentication } from './auth.js';
import { serveConsole } from './console-static.js';
import { HttpError, handleError, sendError } from './errors.js';
import { bearerAuthentication, handleIcebergError, icebergValidator, sendIcebergError } from './iceberg-wire.js';
import { parameterProblem, strictSchema, valueProblem } from './input-check.js';
import { MAX_BODY_DEPTH, STORABLE, scanJson, TOO_DEEP } from './json-depth.js';
import { Metrics } from './metrics.js';
import { type Operation, pathMatcher, toFastifyPath } from './operation.js';
import { registerOpsRoutes } from './ops-routes.js';
import { alarmOperations } from './routes/alarms.js';
import { consoleOperations } from './routes/console.js';
import { auditOperations } from './routes/governance/audit.js';
import { policyOperations } from './routes/governance/policies.js';
import { roleOperations } from './routes/governance/roles.js';
import { iamOperations } from './routes/iam.js';
import { icebergOperations } from './routes/iceberg/index.js';
import { instanceOperations } from './routes/instances.js';
import { jobOperations } from './routes/jobs.js';
import { catalogOperations } from './routes/lakecat/catalogs.js';
import { constraintOperations } from './routes/lakecat/constraints.js';
import { databaseOperations } from './routes/lakecat/databases.js';
import { datasetOperations } from './routes/lakecat/datasets.js';
import { functionOperations } from './routes/lakecat/functions.js';
import { metadataOperations } from './routes/lakecat/metadata.js';
import { partitionOperations } from './routes/lakecat/partitions.js';
import { recycleBinOperations } from './routes/lakecat/recycle-bin.js';
import { tableOperations } from './routes/lakecat/tables.js';
import { requestValidator } from './validator.js';

/** Every operation the server serves: the table routes, hooks and generated tests come from. */
export function allOperations(services: AppServices): Operation[] {
  return [
    ...iamOperations(services),
    ...instanceOperations(services),
    ...catalogOperations(services),
    ...databaseOperations(services),
    ...tableOperations(services),
    ...recycleBinOperations(services),
    ...partitionOperations(services),
    ...constraintOperations(services),
    ...functionOperations(services),
    ...datasetOperations(services),
    ...metadataOperations(services),
    ...roleOperations(services),
    ...policyOperations(services),
    ...auditOperations(services),
    ...consoleOperations(services),
    ...jobOperations(services),
    ...alarmOperations(services),
    ...icebergOperations(services),
  ];
}

/**
 * A request's logger, made into pino's child of the server's logger when the request first logs: making the child
 * (bindings serialised, redaction set up) cost about 10 µs of every request's CPU, and most requests log nothing.
 */
class RequestLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get logger(): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options);
    return this.made;
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }

  private write(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', args: unknown[]): void {
    // Below the server's level nothing is written, and nothing need be made (a route's own level makes it).
    const parent = this.parent as Partial<Logger>;
    if (!this.made && this.options.level === undefined && parent.isLevelEnabled?.(level) === false) return;
    (this.logger[level] as (...a: unknown[]) => void).apply(this.logger, args);
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's entry in the pacer while it counts as short (services/pacer.ts). */
    short?: ShortRequest;
    /** An operation's route config, set as its route is entered: routeOptions builds a new object at each read. */
    operationConfig?: { operation: string; wire: Operation['wire'] | 'lakeformation'; action?: string };
    /** The JSON body's text holds nothing input-check.ts refuses (no escape of a NUL or surrogate, no huge number). */
    bodyClean?: boolean;
  }
}

export interface AppOptions {
  logger: Logger;
  bodyLimit: number;
  qpsPerStride: number;
  /** The process's metrics (one is made when left out); GET /metrics serves them unless serveMetrics is false. */
  metrics?: Metrics;
  serveMetrics?: boolean;
}

export async function buildApp(services: AppServices, opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    childLoggerFactory: (logger, bindings, options) =>
      new RequestLogger(logger, bindings, options) as unknown as FastifyBaseLogger,
    // One log line per request, written by our onResponse hook with the caller and timing.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimit,
    genReqId: () => randomUUID().replace(/-/g, ''), // randomUUID draws from a cached entropy pool
    return503OnClosing: true,
    // A URL the router cannot decode, in the protocol's error shape (Fastify's own otherwise).
    frameworkErrors: (err, request, reply) => {
      const path = (request.raw.url ?? '/').split('?')[0] ?? '/';
      if (path === '/iceberg' || path.startsWith('/iceberg/'))
        return sendIcebergError(reply, 400, 'BadRequestException', err.message);
      return handleError(err, request, reply);
    },
    // Errors Node's HTTP parser raises before routing (431, a malformed request) in our error shape.
    clientErrorHandler: (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return socket.destroy();
      const [status, message] =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'the request headers are larger than the server accepts']
          : [400, `malformed HTTP request (${err.code ?? 'parse error'})`];
      const body = JSON.stringify({ error_code: `common.01000${status}`, error_msg: message });
      const title = status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
      socket.end(
        `HTTP/1.1 ${status} ${title}\r\nContent-Type: ` +
          `application/json\r\nContent-Length: ` +
          `${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
  });
  app.setValidatorCompiler(requestValidator);
  // Fields our hooks set on requests, made own fields of every request from the start: requests keep one shape.
  for (const field of ['principal', 'rawBody', 'signed', 'short', 'operationConfig', 'bodyClean'] as const)
    app.decorateRequest(field, undefined);
  type RouteConfig = { operation?: string; wire?: Operation['wire'] | 'ops'; action?: string } | undefined;
  // Every route as registered, for the OpenAPI coverage test.
  const servedRoutes: { method: string; url: string }[] = [];
  app.decorate('servedRoutes', servedRoutes);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) servedRoutes.push({ method, url: r.url });
  });
  const configOf = (request: FastifyRequest): RouteConfig =>
    request.operationConfig ?? (request.routeOptions.config as RouteConfig);
  const wireOf = (request: FastifyRequest) => configOf(request)?.wire;
  const metrics = opts.metrics ?? new Metrics(services.store);
  app.decorate('metrics', metrics);
  if (!opts.metrics) app.addHook('onClose', async () => metrics.close());

  const pacer = services.pacer;
  const isLong = (request: FastifyRequest) => (request.rawBody?.length ?? 0) >= LONG_BODY_BYTES;
  // Keep the exact bytes: AK/SK signatures are computed over them.
  // Iceberg bodies carry 64-bit ids: parsed without rounding them (services/iceberg/json.ts).
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    request.rawBody = body;
    if (body.length === 0) return done(null, undefined);
    // A large body is parsed once short requests have had their turn (services/pacer.ts).
    if (isLong(request)) pacer.turn(request.short).then(() => parseJson(request, body, done), done);
    else parseJson(request, body, done);
  });
  const parseJson = (request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => {
    const text = body.toString('utf8');
    const scan = scanJson(text, MAX_BODY_DEPTH);
    if (scan === TOO_DEEP) {
      return done(
        new HttpError(400, 'common.01000001', `the request body nests deeper than ${MAX_BODY_DEPTH} levels`),
        undefined,
      );
    }
    let value: unknown;
    try {
      value = wireOf(request) === 'iceberg' ? parseIceberg(text) : JSON.parse(text);
    } catch {
      return done(new HttpError(400, 'common.01000001', 'the request body is not valid JSON'), undefined);
    }
    request.bodyClean = scan === STORABLE;
    done(null, value);
  };
  // Forms only where the protocol uses them (the Iceberg OAuth token endpoint); a repeated field keeps its last value.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer' },
    (request, body: Buffer, done) => {
      request.rawBody = body;
      if (wireOf(request) !== 'iceberg') {
        return done(
          new HttpError(
            415,
            'common.01000415',
            "unsupported Content-Type 'application/x-www-form-urlencoded'; send application/json",
          ),
          undefined,
        );
      }
      done(null, body.length === 0 ? undefined : Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
    },
  );
  // Fastify parses text/plain by itself: a JSON body sent as text would reach validation as a string.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    request.rawBody = body;
    if (body.length === 0) return done(null, undefined);
    done(
      new HttpError(
        415,
        'common.01000415',
        `unsupported Content-Type '${request.headers['content-type'] ?? ''}'; send application/json`,
      ),
      undefined,
    );
  });

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    // Short requests go ahead of long work between its steps; a large body announces long work. A short request's
    // own steps pass its entry to the pacer, so they never wait for it.
    if (Number(request.headers['content-length']) >= LONG_BODY_BYTES) return done();
    const end = pacer.begin();
    request.short = end;
    reply.raw.once('close', end); // answered (onResponse ends it sooner) or abandoned
    done();
  });
  const logRequests = opts.logger.isLevelEnabled('info'); // the level is fixed for the process
  // Without a promise: every request runs it.
  app.addHook('onResponse', (request, reply, done) => {
    const config = configOf(request);
    let operation = config?.operation;
    if (operation === undefined) {
      const url = request.routeOptions.url; // a getter that builds a new object each time
      operation = url ? url : 'unmatched';
    }
    const status = reply.statusCode;
    request.short?.();
    if (logRequests) {
      request.log.info(
        {
          operation,
          method: request.method,
          url: request.url,
          status,
          ms: Math.round(reply.elapsedTime * 10) / 10,
          user: request.principal?.userName,
          user_id: request.principal?.userId,
        },
        'request',
      );
    }
    metrics.observeRequest({ wire: config?.wire ?? 'ops', operation, status, seconds: reply.elapsedTime / 1000 });
    // Authenticated calls of operations: allowed when answered, denied on 403 (a missing privilege).
    if (request.principal && config?.operation && (status < 400 || status === 403)) {
      metrics.observeDecision(status === 403 ? 'deny' : 'allow', config.action ?? config.operation);
    }
    done();
  });
  app.setErrorHandler((err, request, reply) => {
    const iceberg = wireOf(request) === 'iceberg';
    // A service refusing an authenticated caller for want of a privilege is audited and logged.
    if (err instanceof ServiceError && err.kind === 'forbidden' && request.principal) {
      const params = (request.params ?? {}) as Record<string, string | undefined>;
      const operationName = configOf(request)?.operation ?? request.method;
      request.log.warn(
        { user: request.principal.userName, operation: operationName, url: request.url, reason: err.message },
        'request denied',
      );
      // An Iceberg path names the instance in its prefix (`<instance_id>~<catalog>`); its project is the token's.
      const at = params.prefix?.indexOf(PREFIX_SEPARATOR) ?? -1;
      const projectId = iceberg ? request.principal.projectId : params.project_id;
      const instanceId = iceberg ? (at > 0 ? params.prefix?.slice(0, at) : undefined) : params.instance_id;
      if (projectId && projectId === request.principal.projectId) {
        services.audit
          .denied(
            request.principal,
            projectId,
            instanceId,
            operationName,
            (request.raw.url ?? request.url).split('?')[0] as string,
            err.message,
          )
          .catch((e: unknown) => request.log.error({ err: e }, 'could not audit a denied request'));
      }
    }
    return iceberg ? handleIcebergError(err, request, reply) : handleError(err, request, reply);
  });

  const ops = allOperations(services);
  // An entry without a declared action would be served unchecked: refuse to start instead.
  assertDeclarations(ops);
  const tokenAuth = tokenAuthentication(services.tokens);
  const bearerAuth = bearerAuthentication(services.tokens);
  const signatureAuth = signatureAuthentication(services.accessKeys);

  const refuseOver = (rate: number | undefined): void => {
    if (rate !== undefined) {
      throw new HttpError(
        429,
        'APIG.0308',
        `the instance's request rate limit (${rate} requests/s from its ${QPS_SPEC} spec) is exceeded`,
        'Slow down, or scale the instance to a larger QPS spec.',
      );
    }
  };
  const rateLimit = async (request: FastifyRequest): Promise<void> => {
    const params = request.params as Record<string, string | undefined>;
    if (!params.instance_id || !params.project_id) return;
    const limit = await services.instances.rateLimitOf(params.project_id, params.instance_id);
    if (limit === undefined) return; // unknown instance: the handler answers 404
    refuseOver(await services.rateLimiter.admit(limit, opts.qpsPerStride, services.requestCounter));
  };

  // A token is checked as soon as the request is routed, with the scope check and the rate limit,
  // so a GET costs one hook. A signature needs the body bytes, so it is checked once they are read.
  const admit = async (request: FastifyRequest, reply: FastifyReply, limited: boolean): Promise<void> => {
    await projectScope(request, reply);
    if (limited) await rateLimit(request);
  };
  /**
   * The common case without a promise in sight: a token this replica validated moments ago and
   * an instance whose rate it knows. Returns false when the asynchronous path must decide.
   */
  const admitCached = (request: FastifyRequest, limited: boolean): boolean => {
    const token = request.headers['x-auth-token'];
    if (typeof token !== 'string') return false;
    const principal = services.tokens.cached(token);
    if (!principal) return false;
    request.principal = principal;
    checkProjectScope(request);
    if (!limited) return true;
    const params = request.params as Record<string, string | undefined>;
    if (!params.instance_id || !params.project_id) return true;
    const limit = services.instances.cachedRateLimit(params.project_id, params.instance_id);
    if (!limit) return false;
    // Undecided without the store (this replica's lease ran out): the asynchronous path asks it.
    const rate = services.rateLimiter.admitNow(limit, opts.qpsPerStride, services.requestCounter);
    if (rate === null) return false;
    refuseOver(rate);
    return true;
  };
  const gate = (limited: boolean) => ({
    onRequest: (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
      try {
        if (admitCached(request, limited)) {
          done();
          return;
        }
      } catch (err) {
        done(err as Error);
        return;
      }
      tokenAuth(request)
        .then(() => (request.principal ? admit(request, reply, limited) : undefined))
        .then(() => done(), done);
    },
    preValidation: (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
      if (!request.signed) {
        done();
        return;
      }
      signatureAuth(request)
        .then(() => admit(request, reply, limited))
        .then(() => done(), done);
    },
  });
  const gates = {
    limited: gate(true),
    open: gate(false),
    bearer: {
      onRequest: (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
        let pending: Promise<void> | undefined;
        try {
          pending = bearerAuth(request);
        } catch (err) {
          done(err as Error);
          return;
        }
        if (pending) pending.then(() => done(), done);
        else done();
      },
    },
  };
  const gateOf = (op: Operation) => {
    if (op.auth === 'bearer') return gates.bearer;
    if (op.auth === 'required') return op.rateLimited ? gates.limited : gates.open;
    return {};
  };
  /** For operations that learn their instance in the handler: counted once it is known to be the caller's. */
  const rateLimitInstance = async (projectId: string, instanceId: string): Promise<void> => {
    // As admitCached: an instance whose rate this replica knows, decided without the store when its lease allows.
    const known = services.instances.cachedRateLimit(projectId, instanceId);
    if (known) {
      const rate = services.rateLimiter.admitNow(known, opts.qpsPerStride, services.requestCounter);
      if (rate !== null) return refuseOver(rate);
    }
    const limit = await services.instances.rateLimitOf(projectId, instanceId);
    if (limit) refuseOver(await services.rateLimiter.admit(limit, opts.qpsPerStride, services.requestCounter));
  };

  // A body left out: refused by name when required (the schema would only say "must be object"),
  // validated as an empty object when optional.
  type Hook = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void;
  const absentBody =
    (required: boolean): Hook =>
    (request, _reply, done) => {
      if (request.body !== undefined) return done();
      if (required) return done(new HttpError(400, 'common.01000001', 'this operation needs a JSON request body'));
      request.body = {};
      done();
    };
  const bodyHooks = { required: absentBody(true), optional: absentBody(false) };
  // A query parameter the operation does not take is refused by name, not silently ignored (a
  // misspelt filter would otherwise answer everything). Iceberg clients send parameters of newer
  // spec versions, which the spec says to ignore: not checked there.
  const queryCheck = (op: Operation): Hook | undefined => {
    if (op.wire === 'iceberg') return undefined;
    const known = new Set(Object.keys((op.query as { properties?: object } | undefined)?.properties ?? {}));
    const takes = known.size ? `; this operation takes ${[...known].join(', ')}` : '; this operation takes none';
    return (request, _reply, done) => {
      const unknown = Object.keys((request.query ?? {}) as object).filter((k) => !known.has(k));
      if (!unknown.length) return done();
      const names = unknown.map((k) => (k.length > 64 ? `${k.slice(0, 64)}…` : k)).join(', ');
      done(
        new HttpError(
          400,
          'common.01000001',
          `unknown query parameter${unknown.length > 1 ? 's' : ''} ${names}${takes}`,
        ),
      );
    };
  };
  // Text no backend can store and numbers that do not fit, refused alike wherever they are (input-check.ts):
  // the path and query before anything reads them (the rate limit looks the instance up), the body once parsed.
  const refuse = (problem: string | undefined) =>
    problem ? new HttpError(400, 'common.01000001', `invalid request: ${problem}`) : undefined;
  const parameterCheck: Hook = (request, _reply, done) =>
    done(
      refuse(parameterProblem(request.params, 'path parameter') ?? parameterProblem(request.query, 'query parameter')),
    );
  const inputCheck: Hook = (request, _reply, done) =>
    done(refuse(request.body === undefined || request.bodyClean ? undefined : valueProblem(request.body, '')));
  // Long work (a large body) steps aside for short requests between checking and handling it.
  const paceLong: Hook = (request, _reply, done) => {
    if (isLong(request)) pacer.turn(request.short).then(() => done(), done);
    else done();
  };
  const withBodyCheck = (
    op: Operation,
    config: NonNullable<FastifyRequest['operationConfig']>,
    hooks: { onRequest?: Hook; preValidation?: Hook },
  ) => {
    // Fastify reads no body of a GET or HEAD (nor of the HEAD it adds to a GET): nothing there to pace or check.
    const bodyless = op.method === 'GET' || op.method === 'HEAD';
    const checks = [
      hooks.preValidation,
      bodyless ? undefined : paceLong,
      bodyless ? undefined : inputCheck,
      queryCheck(op),
      op.body ? (op.bodyRequired ? bodyHooks.required : bodyHooks.optional) : undefined,
    ].filter((h): h is Hook => h !== undefined);
    const entered: Hook = (request, reply, done) => {
      request.operationConfig = config;
      parameterCheck(request, reply, done);
    };
    return {
      ...hooks,
      onRequest: [entered, ...(hooks.onRequest ? [hooks.onRequest] : [])],
      ...(checks.length ? { preValidation: checks } : {}),
      ...(bodyless ? {} : { preHandler: paceLong }),
    };
  };

  // A GET whose path has its own HEAD operation does not get Fastify's automatic HEAD, nor does an
  // Iceberg GET: the spec's HEADs are operations of their own (a HEAD on loadCredentials would vend).
  const heads = new Set(ops.filter((op) => op.method === 'HEAD').map((op) => op.path));
  const autoHead = (op: Operation): boolean => op.method === 'GET' && !heads.has(op.path) && op.wire !== 'iceberg';
  const icebergSerializer = () => (data: unknown) => stringifyIceberg(data);
  for (const op of ops) {
    const schema: Record<string, unknown> = {};
    if (op.params) schema.params = op.params;
    // LakeFormation and IAM bodies take only their declared fields, and whole numbers a double keeps exact.
    // Iceberg's schemas say for themselves (64-bit ids are exact there); its clients send fields of newer
    // spec versions, which the spec says to ignore.
    const iceberg = op.wire === 'iceberg';
    if (op.query) schema.querystring = iceberg ? op.query : strictSchema(op.query, false);
    if (op.body) schema.body = iceberg ? op.body : strictSchema(op.body, true);
    if (op.response) schema.response = { [op.status]: op.response };
    const config = {
      operation: op.name,
      wire: op.wire ?? 'lakeformation',
      ...(op.action ? { action: op.action } : {}),
    };
    app.route({
      method: op.method,
      url: toFastifyPath(op.path),
      schema,
      config,
      ...(op.method === 'GET' && !autoHead(op) ? { exposeHeadRoute: false } : {}),
      // The lossless codec writes Iceberg answers, so 64-bit ids reach the client digit for digit.
      ...(op.wire === 'iceberg' ? { serializerCompiler: icebergSerializer, validatorCompiler: icebergValidator } : {}),
      ...withBodyCheck(op, config, gateOf(op)),
      handler: async (request, reply) => {
        if (request.principal?.storageScope && !op.storageCredential) {
          throw new HttpError(
            403,
            'common.01000003',
            'a vended storage credential reaches only its storage prefix: it cannot call this operation',
          );
        }
        const result = await op.handler({
          principal: request.principal as NonNullable<typeof request.principal>,
          params: request.params,
          query: request.query,
          body: request.body,
          request,
          reply,
          rateLimit: rateLimitInstance,
          short: request.short,
        });
        if (reply.sent) return reply;
        reply.code(reply.statusCode !== 200 ? reply.statusCode : op.status);
        if (result === undefined) return reply.send();
        if (result instanceof RawJson) {
          // A pooled buffer goes back once the socket has taken all of it (an aborted answer's is only collected).
          if (result.release) reply.raw.once('finish', result.release);
          return reply.type('application/json').send(result.body);
        }
        return reply.type('application/json').send(result);
      },
    });
  }

  if (!(await serveConsole(app))) opts.logger.debug('the web console is not built: /console is not served');

  // Unknown path → 404; known path with another method → 405 naming the allowed ones.
  const matchers = ops.map((op) => ({ re: pathMatcher(op.path), method: op.method }));
  app.setNotFoundHandler((request, reply) => {
    const path = (request.raw.url ?? '/').split('?')[0] ?? '/';
    const iceberg = path === '/iceberg' || path.startsWith('/iceberg/');
    const allowed = [...new Set(matchers.filter((m) => m.re.test(path)).map((m) => m.method))];
    if (allowed.length) {
      reply.header('Allow', allowed.join(', '));
      const message = `method ${request.method} is not allowed here; allowed: ${allowed.join(', ')}`;
      return iceberg
        ? sendIcebergError(reply, 405, 'MethodNotAllowedException', message)
        : sendError(request, reply, 405, 'common.01000405', message);
    }
    if (iceberg)
      return sendIcebergError(reply, 404, 'NotFoundException', `no Iceberg endpoint at ${request.method} ${path}`);
    return sendError(request, reply, 404, 'common.01000404', `no operation at ${request.method} ${path}`);
  });

  // Service identity; also the no-op route the benchmark compares against.
  app.get('/', async () => ({ service: 'lakeform', version: services.version }));
  registerOpsRoutes(app, services, metrics, opts.serveMetrics ?? true, ops);

  return app;
}
