import path from 'node:path';

/** Everything the server reads from its environment, resolved once at start. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** `sqlite:<file>` or a `postgres://` URL. */
  databaseUrl: string;
  adminPassword: string | undefined;
  logLevel: string;
  tokenTtlSeconds: number;
  bodyLimitBytes: number;
  /** Requests per second granted by one stride of the QPS spec. */
  qpsPerStride: number;
  instanceQuota: number;
  recycleBinRetentionDays: number;
  /** How long a validated token may be served from a replica's memory before the store is asked again. */
  tokenCacheSeconds: number;
  /** Key (hex or base64, 32 bytes) that encrypts access-key secrets at rest; generated when absent. */
  masterKey: string | undefined;
  region: string;
  /** Bucket of the default warehouse (a folder under <data dir>/warehouse on the local backend). */
  defaultBucket: string;
  /** URL clients use to reach us, for the token catalog; derived from host/port when absent. */
  publicUrl: string | undefined;
  /** Seconds between two passes of the alarm evaluator. */
  alarmIntervalSeconds: number;
  /** How long an alarm webhook may take to answer. */
  alarmWebhookTimeoutSeconds: number;
}

export type ConfigOverrides = Partial<Pick<Config, 'host' | 'port' | 'dataDir' | 'databaseUrl' | 'logLevel'>>;

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}, got '${raw}'`);
  }
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}): Config {
  const dataDir = path.resolve(overrides.dataDir ?? (env.LAKEFORM_DATA_DIR || './data'));
  const databaseUrl = overrides.databaseUrl ?? (env.LAKEFORM_DATABASE_URL || undefined) ?? `sqlite:${path.join(dataDir, 'lakeform.db')}`;
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new Error(`LAKEFORM_DATABASE_URL must start with sqlite: or postgres://, got '${databaseUrl}'`);
  }
  return {
    host: overrides.host ?? (env.LAKEFORM_HOST || '127.0.0.1'),
    port: overrides.port ?? intFrom(env, 'LAKEFORM_PORT', 8080, 0, 65535),
    dataDir,
    databaseUrl,
    adminPassword: env.LAKEFORM_ADMIN_PASSWORD || undefined,
    logLevel: overrides.logLevel ?? (env.LAKEFORM_LOG_LEVEL || 'info'),
    tokenTtlSeconds: intFrom(env, 'LAKEFORM_TOKEN_TTL_SECONDS', 24 * 3600, 1, 30 * 24 * 3600),
    bodyLimitBytes: intFrom(env, 'LAKEFORM_BODY_LIMIT_BYTES', 8 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    qpsPerStride: intFrom(env, 'LAKEFORM_QPS_PER_STRIDE', 100, 1, 1_000_000),
    instanceQuota: intFrom(env, 'LAKEFORM_INSTANCE_QUOTA', 10, 0, 10_000),
    recycleBinRetentionDays: intFrom(env, 'LAKEFORM_RECYCLE_BIN_DAYS', 7, 0, 3650),
    tokenCacheSeconds: intFrom(env, 'LAKEFORM_TOKEN_CACHE_SECONDS', 5, 0, 300),
    masterKey: env.LAKEFORM_MASTER_KEY || undefined,
    region: env.LAKEFORM_REGION || 'default',
    defaultBucket: env.LAKEFORM_DEFAULT_BUCKET || 'lakeform',
    publicUrl: env.LAKEFORM_PUBLIC_URL || undefined,
    alarmIntervalSeconds: intFrom(env, 'LAKEFORM_ALARM_INTERVAL_SECONDS', 10, 1, 3600),
    alarmWebhookTimeoutSeconds: intFrom(env, 'LAKEFORM_ALARM_WEBHOOK_TIMEOUT_SECONDS', 5, 1, 60),
  };
}
