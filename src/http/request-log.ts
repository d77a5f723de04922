import type { FastifyBaseLogger, LogLevel } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type Level = Exclude<LogLevel, 'silent'>;
type Args = Parameters<FastifyBaseLogger['info']>;

/**
 * A request's logger (its `reqId` binding), made on its first enabled entry: most requests log
 * nothing at the default level, and a pino child with its redaction costs every request otherwise.
 * The entries are those of `parent.child(bindings, options)`, which it becomes.
 */
class RequestLog implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean },
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get logger(): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options);
    return this.made;
  }

  private write(level: Level, args: Args): void {
    // A level the parent leaves out is left out by the child too (it has no level of its own).
    if (this.made === undefined && this.parent.isLevelEnabled?.(level) === false) return;
    (this.logger[level] as (...a: Args) => void)(...args);
  }

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }
  set level(level: string) {
    this.logger.level = level;
  }
  isLevelEnabled(level: string): boolean {
    const l = this.made ?? this.parent;
    return (l as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.(level) ?? true;
  }
  fatal(...args: Args): void {
    this.write('fatal', args);
  }
  error(...args: Args): void {
    this.write('error', args);
  }
  warn(...args: Args): void {
    this.write('warn', args);
  }
  info(...args: Args): void {
    this.write('info', args);
  }
  debug(...args: Args): void {
    this.write('debug', args);
  }
  trace(...args: Args): void {
    this.write('trace', args);
  }
  silent(...args: Args): void {
    this.logger.silent(...args);
  }
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }
}

/** Fastify's childLoggerFactory: a route with a level or serializers of its own gets its child at once. */
export function requestLogger(
  parent: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  if (options.level !== undefined || options.serializers !== undefined) return parent.child(bindings, options);
  return new RequestLog(parent, bindings, options);
}
