import path from 'node:path';
import { memoryBudgetMb } from './memory.js';
import type { S3Settings } from './storage/s3-storage.js';

/** Where table data lives: the local warehouse folder, or an S3-compatible store. */
export type StorageConfig = { kind: 'local' } | ({ kind: 's3' } & S3Settings);

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
  /** scrypt's N (a power of two) for passwords hashed from now on; lower than the default only for tests. */
  passwordHashCost: number;
  bodyLimitBytes: number;
  /** Requests per second granted by one stride of the QPS spec. */
  qpsPerStride: number;
  instanceQuota: number;
  recycleBinRetentionDays: number;
  /** Days a dropped database or table stays in the metadata recycle bin (an instance may set its own). */
  metadataRecycleBinDays: number;
  /** How long a validated token may be served from a replica's memory before the store is asked again. */
  tokenCacheSeconds: number;
  /** Key (hex or base64, 32 bytes) that encrypts access-key secrets at rest; generated when absent. */
  masterKey: string | undefined;
  region: string;
  /** Bucket of the default warehouse (a folder under <data dir>/warehouse on the local backend). */
  defaultBucket: string;
  /** URL clients use to reach us, for the token catalog; derived from host/port when absent. */
  publicUrl: string | undefined;
  /** Where the terms a project signs (ShowAgreementRule) can be read. */
  agreementUrl: string;
  /**
   * Refuse new instances in a project until it has signed the agreements (off by default: a laptop needs no ceremony).
   */
  requireAgreement: boolean;
  /** How long a job run's lease lasts without a heartbeat: a dead replica's run fails after it. */
  jobLeaseSeconds: number;
  storage: StorageConfig;
  /** Seconds between two passes of the alarm evaluator. */
  alarmIntervalSeconds: number;
  /** How long an alarm webhook may take to answer. */
  alarmWebhookTimeoutSeconds: number;
  /** The most replaced versions of a table kept (UpdateTable keeps the definition it replaces). */
  tableVersionsKept: number;
  /** Days an Iceberg metrics report is kept. */
  icebergMetricsRetentionDays: number;
  /** The most Iceberg metrics reports kept per table (the newest). */
  icebergMetricsMaxPerTable: number;
  /** Scan planning: live data files above which a plan runs in the background, and file scan tasks per plan task. */
  icebergPlanSyncFiles: number;
  icebergPlanTaskFiles: number;
  /** GET /metrics served (LAKEFORM_METRICS=on, the default) or not (off). */
  metrics: boolean;
  /** Serve /metrics on this port (on the same host) instead of the API's, when set. */
  metricsPort: number | undefined;
  /** The Hive Metastore Thrift endpoint (src/metastore); port 0 turns it off. */
  hms: HmsConfig;
  /** LAKEFORM_MEMORY_MB: the V8 heap, SQLite's page cache and every cache are sized from it (src/memory.ts). */
  memoryMb: number | undefined;
}

/** Settings of the Hive Metastore Thrift endpoint (LAKEFORM_HMS_*), documented in docs/metastore.md. */
export interface HmsConfig {
  host: string;
  port: number;
  /** The project (name in domain `domain`, or id) and instance (id, or `default`) whose LakeCat metadata is served. */
  domain: string;
  project: string;
  instance: string;
  /** trust: set_ugi (or defaultUser) names the IAM user; sasl: SASL PLAIN with user and password or AK and SK. */
  auth: 'trust' | 'sasl';
  /** The IAM user of a trust-mode connection that sent no (or an unknown) set_ugi; none when empty. */
  defaultUser: string;
  /** Non-loopback client addresses trust mode accepts (exact IPs, or `*`); loopback always. */
  trustFrom: string[];
  idleTimeoutSeconds: number;
  maxMessageBytes: number;
  /** Most partitions one answer carries; a larger match is refused (as Hive's limit.partition.request). */
  maxPartitions: number;
  /** More endpoints on other ports, each serving another project's or instance's metadata. */
  extra: { port: number; project: string; instance: string }[];
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

function boolFrom(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`${name} must be true or false, got '${raw}'`);
}

function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw new Error(`${name} must be on or off, got '${raw}'`);
}

/** LAKEFORM_STORAGE and, for s3, the LAKEFORM_S3_* settings; errors name the variable but never print a secret. */
function storageFrom(env: NodeJS.ProcessEnv): StorageConfig {
  const kind = env.LAKEFORM_STORAGE || 'local';
  if (kind === 'local') return { kind };
  if (kind !== 's3') throw new Error(`LAKEFORM_STORAGE must be local or s3, got '${kind}'`);
  const missing = ['LAKEFORM_S3_ENDPOINT', 'LAKEFORM_S3_ACCESS_KEY_ID', 'LAKEFORM_S3_SECRET_ACCESS_KEY'].filter(
    (n) => !env[n],
  );
  if (missing.length) throw new Error(`LAKEFORM_STORAGE=s3 needs ${missing.join(', ')}`);
  const endpoint = env.LAKEFORM_S3_ENDPOINT as string;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`LAKEFORM_S3_ENDPOINT must be an http:// or https:// URL, got '${endpoint}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`LAKEFORM_S3_ENDPOINT must be an http:// or https:// URL, got '${endpoint}'`);
  // A URL with user info would put a credential in every log line that names the endpoint.
  if (url.username || url.password)
    throw new Error(
      'LAKEFORM_S3_ENDPOINT must not carry credentials; use ' +
        'LAKEFORM_S3_ACCESS_KEY_ID and LAKEFORM_S3_SECRET_ACCESS_KEY',
    );
  return {
    kind,
    endpoint,
    region: env.LAKEFORM_S3_REGION || 'us-east-1',
    forcePathStyle: boolFrom(env, 'LAKEFORM_S3_FORCE_PATH_STYLE', false),
    accessKeyId: env.LAKEFORM_S3_ACCESS_KEY_ID as string,
    secretAccessKey: env.LAKEFORM_S3_SECRET_ACCESS_KEY as string,
    sessionToken: env.LAKEFORM_S3_SESSION_TOKEN || undefined,
    sts: env.LAKEFORM_S3_STS_ROLE_ARN
      ? { endpoint: env.LAKEFORM_S3_STS_ENDPOINT || endpoint, roleArn: env.LAKEFORM_S3_STS_ROLE_ARN }
      : undefined,
  };
}

/** LAKEFORM_HMS_ENDPOINTS: `<port>=<project>/<instance>` entries, comma-separated. */
function hmsEndpoints(raw: string): HmsConfig['extra'] {
  return raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .map((e) => {
      const m = /^(\d{1,5})=([^/\s]+)\/([^/\s]+)$/.exec(e);
      const port = m ? Number(m[1]) : Number.NaN;
      if (!m || port < 1 || port > 65535) {
        throw new Error(`LAKEFORM_HMS_ENDPOINTS entries are <port>=<project>/<instance>, got '${e}'`);
      }
      return { port, project: m[2] as string, instance: m[3] as string };
    });
}

function hmsFrom(env: NodeJS.ProcessEnv, host: string): HmsConfig {
  const auth = env.LAKEFORM_HMS_AUTH || 'trust';
  if (auth !== 'trust' && auth !== 'sasl') throw new Error(`LAKEFORM_HMS_AUTH must be trust or sasl, got '${auth}'`);
  return {
    host: env.LAKEFORM_HMS_HOST || host,
    port: intFrom(env, 'LAKEFORM_HMS_PORT', 9083, 0, 65535),
    domain: env.LAKEFORM_HMS_DOMAIN || 'default',
    project: env.LAKEFORM_HMS_PROJECT || 'default',
    instance: env.LAKEFORM_HMS_INSTANCE || 'default',
    auth,
    defaultUser: env.LAKEFORM_HMS_DEFAULT_USER ?? '',
    trustFrom: (env.LAKEFORM_HMS_TRUST_FROM || '')
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== ''),
    idleTimeoutSeconds: intFrom(env, 'LAKEFORM_HMS_IDLE_TIMEOUT_SECONDS', 600, 1, 86_400),
    maxMessageBytes: intFrom(env, 'LAKEFORM_HMS_MAX_MESSAGE_BYTES', 100 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    maxPartitions: intFrom(env, 'LAKEFORM_HMS_MAX_PARTITIONS', 100_000, 1, 10_000_000),
    extra: hmsEndpoints(env.LAKEFORM_HMS_ENDPOINTS ?? ''),
  };
}

/** LAKEFORM_PASSWORD_HASH_COST: scrypt's N, a power of two from 1,024 to 1,048,576 (default 16,384). */
function passwordHashCost(env: NodeJS.ProcessEnv): number {
  const n = intFrom(env, 'LAKEFORM_PASSWORD_HASH_COST', 16384, 1024, 1_048_576);
  if ((n & (n - 1)) !== 0) throw new Error(`LAKEFORM_PASSWORD_HASH_COST must be a power of two, got ${n}`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}): Config {
  const dataDir = path.resolve(overrides.dataDir ?? (env.LAKEFORM_DATA_DIR || './data'));
  const databaseUrl =
    overrides.databaseUrl ?? (env.LAKEFORM_DATABASE_URL || undefined) ?? `sqlite:${path.join(dataDir, 'lakeform.db')}`;
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
    passwordHashCost: passwordHashCost(env),
    bodyLimitBytes: intFrom(env, 'LAKEFORM_BODY_LIMIT_BYTES', 8 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    qpsPerStride: intFrom(env, 'LAKEFORM_QPS_PER_STRIDE', 100, 1, 1_000_000),
    instanceQuota: intFrom(env, 'LAKEFORM_INSTANCE_QUOTA', 10, 0, 10_000),
    recycleBinRetentionDays: intFrom(env, 'LAKEFORM_RECYCLE_BIN_DAYS', 7, 0, 3650),
    metadataRecycleBinDays: intFrom(env, 'LAKEFORM_METADATA_RECYCLE_BIN_DAYS', 7, 0, 3650),
    tokenCacheSeconds: intFrom(env, 'LAKEFORM_TOKEN_CACHE_SECONDS', 5, 0, 300),
    masterKey: env.LAKEFORM_MASTER_KEY || undefined,
    region: env.LAKEFORM_REGION || 'default',
    defaultBucket: env.LAKEFORM_DEFAULT_BUCKET || 'lakeform',
    publicUrl: env.LAKEFORM_PUBLIC_URL || undefined,
    agreementUrl: env.LAKEFORM_AGREEMENT_URL || 'https://www.apache.org/licenses/LICENSE-2.0',
    requireAgreement: env.LAKEFORM_REQUIRE_AGREEMENT === 'true',
    jobLeaseSeconds: intFrom(env, 'LAKEFORM_JOB_LEASE_SECONDS', 15, 2, 3600),
    storage: storageFrom(env),
    alarmIntervalSeconds: intFrom(env, 'LAKEFORM_ALARM_INTERVAL_SECONDS', 10, 1, 3600),
    alarmWebhookTimeoutSeconds: intFrom(env, 'LAKEFORM_ALARM_WEBHOOK_TIMEOUT_SECONDS', 5, 1, 60),
    tableVersionsKept: intFrom(env, 'LAKEFORM_TABLE_VERSIONS_KEPT', 100, 0, 100_000),
    icebergMetricsRetentionDays: intFrom(env, 'LAKEFORM_ICEBERG_METRICS_RETENTION_DAYS', 7, 1, 3650),
    icebergMetricsMaxPerTable: intFrom(env, 'LAKEFORM_ICEBERG_METRICS_MAX_PER_TABLE', 1000, 1, 1_000_000),
    icebergPlanSyncFiles: intFrom(env, 'LAKEFORM_ICEBERG_PLAN_SYNC_FILES', 10_000, 0, 10_000_000),
    icebergPlanTaskFiles: intFrom(env, 'LAKEFORM_ICEBERG_PLAN_TASK_FILES', 1000, 1, 100_000),
    hms: hmsFrom(env, overrides.host ?? (env.LAKEFORM_HOST || '127.0.0.1')),
    metrics: onOff(env, 'LAKEFORM_METRICS', true),
    metricsPort: env.LAKEFORM_METRICS_PORT ? intFrom(env, 'LAKEFORM_METRICS_PORT', 0, 0, 65535) : undefined,
    memoryMb: memoryBudgetMb(env),
  };
}
