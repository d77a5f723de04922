import type { Migration, MigrationProvider } from 'kysely';
import type { Dialect } from '../dialect.js';
import * as m0001 from './0001-foundation.js';
import { migration as m0002 } from './0002-catalogs-and-events.js';
import { migration as m0003 } from './0003-databases.js';
import * as m0004 from './0004-functions.js';
import * as m0005 from './0005-tables.js';
import { migration as m0006 } from './0006-partitions-and-statistics.js';
import { migration as m0007 } from './0007-name-pattern-indexes.js';
import * as m0008 from './0008-roles.js';
import { migration as m0009 } from './0009-policies.js';
import * as m0010 from './0010-governance-version.js';
import { migration as m0011 } from './0011-audit.js';
import * as m0012 from './0012-owner-indexes.js';
import * as m0013 from './0013-console-services.js';
import { migration as m0014 } from './0014-datasets-and-constraints.js';
import * as m0015 from './0015-alarms.js';
import { migration as m0016 } from './0016-jobs.js';
import * as m0017 from './0017-iceberg-idempotency.js';
import { migration as m0018 } from './0018-iceberg-metrics.js';
import { migration as m0019 } from './0019-job-run-cascade.js';
import { migration as m0020 } from './0020-metadata-recycle-bin.js';
import * as m0021 from './0021-iceberg-scan-plans.js';
import { migration as m0022 } from './0022-table-versions.js';
import { migration as m0023 } from './0023-catalog-branch-name.js';
import { migration as m0024 } from './0024-rate-buckets.js';
import { migration as m0025 } from './0025-table-location-index.js';
import { migration as m0026 } from './0026-staged-partitions.js';
import * as m0027 from './0027-role-owner-index.js';
import { migration as m0028 } from './0028-partition-marks.js';

/**
 * Versioned migrations, applied in name order on start. Never edit one that has shipped: add
 * the next. A migration may depend on the dialect for the few types the two databases spell apart.
 */
export function migrationProvider(dialect: Dialect): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001-foundation': m0001,
    '0002-catalogs-and-events': m0002(dialect),
    '0003-databases': m0003(dialect),
    '0004-functions': m0004,
    '0005-tables': m0005,
    '0006-partitions-and-statistics': m0006(dialect),
    '0007-name-pattern-indexes': m0007(dialect),
    '0008-roles': m0008,
    '0009-policies': m0009(dialect),
    '0010-governance-version': m0010,
    '0011-audit': m0011(dialect),
    '0012-owner-indexes': m0012,
    '0013-console-services': m0013,
    '0014-datasets-and-constraints': m0014(dialect),
    '0015-alarms': m0015,
    '0016-jobs': m0016(dialect),
    '0017-iceberg-idempotency': m0017,
    '0018-iceberg-metrics': m0018(dialect),
    '0019-job-run-cascade': m0019,
    '0020-metadata-recycle-bin': m0020,
    '0021-iceberg-scan-plans': m0021,
    '0022-table-versions': m0022,
    '0023-catalog-branch-name': m0023,
    '0024-rate-buckets': m0024,
    '0025-table-location-index': m0025(dialect),
    '0026-staged-partitions': m0026(dialect),
    '0027-role-owner-index': m0027,
    '0028-partition-marks': m0028(dialect),
  };
  return { getMigrations: async () => migrations };
}
