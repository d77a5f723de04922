import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import { getSetting, putSettingIfAbsent } from '../store/iam/projects-repository.js';
import { takeTokens } from '../store/instances/rate-buckets.js';
import type { Db, Store } from '../store/store.js';
import { AlarmService } from './alarms/alarm-service.js';
import { RequestCounter } from './alarms/request-counter.js';
import { type Clock, systemClock } from './clock.js';
import { AccessService } from './console/access-service.js';
import { AgencyService } from './console/agency-service.js';
import { CredentialService } from './console/credential-service.js';
import { LocationService, storageCoordinates } from './console/location-service.js';
import { ObsService } from './console/obs-service.js';
import { agreementRules, ServiceAuthorizationService } from './console/service-authorization-service.js';
import { LocationMap } from './engine-locations.js';
import { AuditService } from './governance/audit-service.js';
import { PolicyService } from './governance/policy-service.js';
import { RoleService } from './governance/role-service.js';
import { AccessKeyService } from './iam/access-key-service.js';
import { SecretBox } from './iam/crypto-util.js';
import { IdentityService } from './iam/identity-service.js';
import type { Principal } from './iam/principal.js';
import { TokenService } from './iam/token-service.js';
import { IcebergCatalog } from './iceberg/catalog-service.js';
import { IcebergCredentials, type VendingStorage } from './iceberg/credential-vending.js';
import { Idempotency } from './iceberg/idempotency.js';
import { IcebergMetricsService } from './iceberg/metrics-service.js';
import { DEFAULT_PLANNING, ScanPlanning } from './iceberg/scan/scan-planning.js';
import { IcebergViews } from './iceberg/view-service.js';
import { InstanceService } from './instances/instance-service.js';
import { RateLimiter } from './instances/rate-limiter.js';
import { discoveryJob } from './jobs/discovery/discovery-job.js';
import { migrationJob } from './jobs/hms/migration-job.js';
import { JobRunner } from './jobs/job-runner.js';
import { JobService } from './jobs/job-service.js';
import { permissionJob } from './jobs/ranger/permission-job.js';
import { CatalogService } from './lakecat/catalog-service.js';
import { ConstraintService } from './lakecat/constraint-service.js';
import { DatabaseService } from './lakecat/database-service.js';
import { DatasetService } from './lakecat/dataset-service.js';
import { FunctionService } from './lakecat/function-service.js';
import { MetadataService } from './lakecat/metadata-service.js';
import { PartitionService } from './lakecat/partition-service.js';
import { RecycleBin } from './lakecat/recycle-bin.js';
import { StatisticsService } from './lakecat/statistics-service.js';
import { TableService } from './lakecat/table-service.js';
import { Pacer } from './pacer.js';

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
  recycleBin: RecycleBin;
  partitions: PartitionService;
  /** Short requests ahead of long batches on the JavaScript thread. */
  pacer: Pacer;
  statistics: StatisticsService;
  datasets: DatasetService;
  constraints: ConstraintService;
  roles: RoleService;
  policies: PolicyService;
  audit: AuditService;
  metadata: MetadataService;
  serviceAuthorization: ServiceAuthorizationService;
  agencies: AgencyService;
  locations: LocationService;
  /**
   * The one rule between stored obs:// locations and the file:// or s3:// ones engines use (metastore, Iceberg REST).
   */
  engineLocations: LocationMap;
  obs: ObsService;
  access: AccessService;
  credentials: CredentialService;
  jobs: JobService;
  jobRunner: JobRunner;
  alarms: AlarmService;
  iceberg: IcebergCatalog;
  /** Iceberg Idempotency-Key answers. */
  idempotency: Idempotency;
  icebergViews: IcebergViews;
  icebergMetrics: IcebergMetricsService;
  icebergCredentials: IcebergCredentials;
  /** Iceberg server-side scan planning. */
  icebergPlanning: ScanPlanning;
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
  log.warn(
    'LAKEFORM_MASTER_KEY is not set: generated one and stored it in ' +
      'the metadata database; set it in production to keep secrets ' +
      'sealed apart from the data',
  );
  return putSettingIfAbsent(store.db, 'master_key', SecretBox.generateKey());
}

/**
 * With S3 storage and an STS role configured, vended credentials come from the store's STS (the SDK loads only then).
 */
function stsVend(config: Config) {
  const s = config.storage;
  if (s.kind !== 's3' || !s.sts) return undefined;
  const settings = { ...s, sts: s.sts };
  return async (bucket: string, prefix: string | string[], write: boolean, seconds: number, session: string) =>
    (await import('../storage/sts.js')).assumeRoleForPrefix(settings, bucket, prefix, write, seconds, session);
}

/** What Iceberg credential vending tells engines of the storage: S3's endpoint, and whether its STS vends. */
function vendingStorage(config: Config): VendingStorage {
  const s = config.storage;
  return s.kind === 's3'
    ? { kind: 's3', sts: Boolean(s.sts), endpoint: s.endpoint, region: s.region, pathStyle: s.forcePathStyle }
    : { kind: 'local' };
}

export async function createServices(
  config: Config,
  store: Store,
  storage: ObjectStorage,
  log: Logger,
  version: string,
  clock: Clock = systemClock,
): Promise<AppServices> {
  const box = new SecretBox(await masterKey(config, store, log));
  const identity = new IdentityService(store, config.passwordHashCost);
  const tokens = new TokenService(
    store,
    config.tokenTtlSeconds,
    config.tokenCacheSeconds,
    clock,
    config.passwordHashCost,
  );
  const accessKeys = new AccessKeyService(store, box, tokens);
  const instances = new InstanceService(store, config.instanceQuota, config.recycleBinRetentionDays);
  // file:// locations name the local warehouse folder, which only the local backend serves.
  const localWarehouse = storage.kind === 'local' ? path.join(config.dataDir, 'warehouse') : undefined;
  const policies = new PolicyService(store, instances);
  const locations = new LocationService(store, storage, localWarehouse, config.defaultBucket);
  const guard = (caller: Principal, instanceId: string, location: string, q?: Db) =>
    locations.assertUsable(caller, instanceId, location, q);
  const catalogs = new CatalogService(
    store,
    instances,
    { defaultBucket: config.defaultBucket, localWarehouse },
    policies,
    guard,
  );
  const recycleBin = new RecycleBin(
    store,
    instances,
    policies,
    storage,
    localWarehouse,
    log.child({ component: 'recycle-bin' }),
    clock,
    config.metadataRecycleBinDays,
  );
  const databases = new DatabaseService(store, instances, localWarehouse, policies, recycleBin, guard);
  instances.addHooks({ provision: (instance) => catalogs.ensureDefaultCatalog(instance) });
  const serviceAuthorization = new ServiceAuthorizationService(store, agreementRules(config.agreementUrl));
  if (config.requireAgreement) instances.addHooks({ admit: (projectId) => serviceAuthorization.admit(projectId) });
  const tables = new TableService(store, instances, storage, localWarehouse, log, policies, recycleBin, guard, {
    versionsKept: config.tableVersionsKept,
  });
  const pacer = new Pacer();
  const partitions = new PartitionService(store, tables, storage, localWarehouse, log, pacer);
  const functions = new FunctionService(store, instances, policies);
  const jobHandlers = {
    METADATA_MIGRATION: migrationJob({ catalogs, databases, tables, partitions, functions }),
    METADATA_DISCOVERY: discoveryJob({ storage, localWarehouse, locations, databases, tables, partitions }),
    PERMISSION_MIGRATION: permissionJob({ storage, localWarehouse, locations, policies }),
  };
  // The runner needs the service for a run's job and the service the runner to kick it: tied here.
  let jobs: JobService | undefined;
  const jobRunner = new JobRunner(
    store,
    {
      prepare: (run) =>
        (jobs as JobService).prepare(run, (userId, projectId) => tokens.principalOfUser(userId, projectId, ['job'])),
      handlers: jobHandlers,
      finished: async (job, run, text) => {
        const p = JSON.parse(job.parameter) as Record<string, { log_location?: string } | undefined>;
        const logLocation = Object.values(p).find((v) => typeof v === 'object' && v?.log_location)?.log_location;
        const target = logLocation ? storageCoordinates(logLocation, localWarehouse) : null;
        if (target)
          await storage.putObject(
            target.bucket,
            `${target.key ? `${target.key}/` : ''}${job.name}/${run.id}.log`,
            text,
          );
      },
    },
    log.child({ component: 'jobs' }),
    config.jobLeaseSeconds * 1000,
  );
  jobs = new JobService(store, instances, box, jobRunner);
  const iceberg = new IcebergCatalog(instances, catalogs, databases, tables, storage, localWarehouse, guard, () =>
    store.changeMark(),
  );
  tables.wireOpenFormats(iceberg.tables);
  const credentials = new CredentialService(
    store,
    instances,
    tables,
    policies,
    locations,
    accessKeys,
    config.defaultBucket,
    localWarehouse,
    stsVend(config),
  );
  return {
    version,
    config,
    store,
    storage,
    identity,
    tokens,
    accessKeys,
    instances,
    catalogs,
    databases,
    functions,
    tables,
    recycleBin,
    partitions,
    pacer,
    statistics: new StatisticsService(store, partitions),
    datasets: new DatasetService(store, instances, storage, localWarehouse, log, policies, guard),
    constraints: new ConstraintService(store, tables),
    roles: new RoleService(store, instances, policies),
    policies,
    audit: new AuditService(store, instances, clock),
    metadata: new MetadataService(store, instances, config, policies),
    rateLimiter: new RateLimiter((id, spec, want) => takeTokens(store.db, id, spec, want, Date.now())),
    serviceAuthorization,
    agencies: new AgencyService(store, accessKeys),
    locations,
    engineLocations: new LocationMap(storage.kind, localWarehouse),
    obs: new ObsService(store, storage, locations, config.defaultBucket, config.region),
    access: new AccessService(store, instances, clock),
    jobs,
    jobRunner,
    credentials,
    alarms: new AlarmService(store, instances, clock),
    requestCounter: new RequestCounter(),
    iceberg,
    icebergViews: new IcebergViews(iceberg, tables),
    idempotency: new Idempotency(store),
    icebergMetrics: new IcebergMetricsService(store, iceberg, {
      days: config.icebergMetricsRetentionDays,
      maxPerTable: config.icebergMetricsMaxPerTable,
    }),
    icebergCredentials: new IcebergCredentials(
      credentials,
      vendingStorage(config),
      log.child({ component: 'iceberg' }),
    ),
    icebergPlanning: new ScanPlanning(
      iceberg.tables,
      iceberg.files,
      store,
      clock,
      log.child({ component: 'iceberg' }),
      {
        ...DEFAULT_PLANNING,
        syncFiles: config.icebergPlanSyncFiles,
        taskFiles: config.icebergPlanTaskFiles,
      },
    ),
    ping: () => store.ping(),
  };
}
