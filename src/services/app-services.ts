import path from 'node:path';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Store } from '../store/store.js';
import { getSetting, putSettingIfAbsent } from '../store/iam/projects-repository.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import { AccessKeyService } from './iam/access-key-service.js';
import { SecretBox } from './iam/crypto-util.js';
import { IdentityService } from './iam/identity-service.js';
import { TokenService } from './iam/token-service.js';
import { InstanceService } from './instances/instance-service.js';
import { RateLimiter } from './instances/rate-limiter.js';
import { CatalogService } from './lakecat/catalog-service.js';
import { DatabaseService } from './lakecat/database-service.js';
import { MetadataService } from './lakecat/metadata-service.js';
import { FunctionService } from './lakecat/function-service.js';
import { TableService } from './lakecat/table-service.js';
import { PartitionService } from './lakecat/partition-service.js';
import { StatisticsService } from './lakecat/statistics-service.js';
import { RoleService } from './governance/role-service.js';
import { PolicyService } from './governance/policy-service.js';
import { AuditService } from './governance/audit-service.js';
import { AlarmService } from './alarms/alarm-service.js';
import { RequestCounter } from './alarms/request-counter.js';

/** The composition root: every service, wired to the store, storage and configuration. */
export interface AppServices {
  version: string;
  config: Config;
  store: Store;
  storage: ObjectStorage;
  identity: IdentityService;
  tokens: TokenService;
  accessKeys: AccessKeyService;
  instances: InstanceService;
  catalogs: CatalogService;
  databases: DatabaseService;
  functions: FunctionService;
  tables: TableService;
  partitions: PartitionService;
  statistics: StatisticsService;
  roles: RoleService;
  policies: PolicyService;
  audit: AuditService;
  metadata: MetadataService;
  alarms: AlarmService;
  rateLimiter: RateLimiter;
  /** Requests per instance, for REQUEST_RATE_RATIO alarms: counted where the rate limit is applied. */
  requestCounter: RequestCounter;
  ping(): Promise<void>;
}

/**
 * The key that seals access-key secrets: LAKEFORM_MASTER_KEY when set; otherwise one generated
 * once and kept in the store, so every replica sharing the database reads the same one.
 */
async function masterKey(config: Config, store: Store, log: Logger): Promise<string> {
  if (config.masterKey) return config.masterKey;
  const existing = await getSetting(store.db, 'master_key');
  if (existing) return existing;
  log.warn('LAKEFORM_MASTER_KEY is not set: generated one and stored it in the metadata database; set it in production to keep secrets sealed apart from the data');
  return putSettingIfAbsent(store.db, 'master_key', SecretBox.generateKey());
}

export async function createServices(config: Config, store: Store, storage: ObjectStorage, log: Logger, version: string): Promise<AppServices> {
  const box = new SecretBox(await masterKey(config, store, log));
  const identity = new IdentityService(store);
  const tokens = new TokenService(store, config.tokenTtlSeconds, config.tokenCacheSeconds);
  const accessKeys = new AccessKeyService(store, box, tokens);
  const instances = new InstanceService(store, config.instanceQuota, config.recycleBinRetentionDays);
  const localWarehouse = path.join(config.dataDir, 'warehouse');
  const policies = new PolicyService(store, instances);
  const catalogs = new CatalogService(store, instances, { defaultBucket: config.defaultBucket, localWarehouse }, policies);
  const databases = new DatabaseService(store, instances, storage, localWarehouse, log, policies);
  instances.addHooks({ provision: (instance) => catalogs.ensureDefaultCatalog(instance) });
  const tables = new TableService(store, instances, storage, localWarehouse, log, policies);
  const partitions = new PartitionService(store, tables, storage, localWarehouse, log);
  return {
    version, config, store, storage, identity, tokens, accessKeys, instances, catalogs, databases, functions: new FunctionService(store, instances, policies),
    tables, partitions, statistics: new StatisticsService(store, partitions), roles: new RoleService(store, instances, policies), policies, audit: new AuditService(store, instances), metadata: new MetadataService(store, instances, config),
    alarms: new AlarmService(store, instances), rateLimiter: new RateLimiter(), requestCounter: new RequestCounter(),
    ping: async () => { await sql`SELECT 1`.execute(store.db); },
  };
}
