// An Apache Ranger policy export as Ranger Admin's exportJson writes it, built for the import tests.

type Who = { users?: string[]; groups?: string[]; roles?: string[] };

/** A policy item: the access types (all allowed), its principals, and anything else it carries. */
export function item(accesses: string[], who: Who, extra: Record<string, unknown> = {}) {
  return {
    accesses: accesses.map((type) => ({ type, isAllowed: true })),
    users: who.users ?? [],
    groups: who.groups ?? [],
    roles: who.roles ?? [],
    conditions: [],
    delegateAdmin: false,
    ...extra,
  };
}

export const res = (...values: string[]) => ({ values, isExcludes: false, isRecursive: false });
export const excluded = (...values: string[]) => ({ values, isExcludes: true, isRecursive: false });
export const tableRes = (database: string[], table: string[], column: string[] = ['*']) => ({
  database: res(...database),
  table: res(...table),
  column: res(...column),
});

/** A policy with every field Ranger writes, defaults as Ranger's own. */
export function policy(id: number, name: string, fields: Record<string, unknown>) {
  return {
    id,
    guid: `0d1e${String(id).padStart(4, '0')}-7f3a-4c1b-9a55-2a3f6b1c${String(id).padStart(4, '0')}`,
    isEnabled: true,
    version: 1,
    service: 'cl1_hive',
    name,
    policyType: 0,
    policyPriority: 0,
    description: '',
    resourceSignature: `sig${id}`,
    isAuditEnabled: true,
    resources: {},
    policyItems: [],
    denyPolicyItems: [],
    allowExceptions: [],
    denyExceptions: [],
    dataMaskPolicyItems: [],
    rowFilterPolicyItems: [],
    serviceType: 'hive',
    options: {},
    validitySchedules: [],
    policyLabels: [],
    zoneName: '',
    isDenyAllElse: false,
    ...fields,
  };
}

export function rangerExport<T>(policies: T[]) {
  return {
    metaDataInfo: {
      'Host name': 'ranger-admin.example.internal',
      'Exported by': 'admin',
      'Export time': 'Mar 3, 2026 10:15:42 AM',
      'Ranger apache version': '2.4.0',
    },
    policies,
  };
}

/** A realistic export touching every rule the importer knows. */
export function realisticExport() {
  return rangerExport([
    policy(1, 'sales_read', {
      resources: tableRes(['sales'], ['orders', 'refunds']),
      policyItems: [
        item(['select'], { users: ['alice'], groups: ['analysts'] }),
        item(['select', 'update'], { roles: ['ETL'] }, { delegateAdmin: true }),
      ],
    }),
    policy(2, 'sales_owner', {
      resources: tableRes(['sales'], ['*']),
      policyItems: [item(['create', 'drop', 'alter'], { users: ['bob'] })],
    }),
    policy(3, 'all_databases', {
      resources: tableRes(['*'], ['*']),
      policyItems: [item(['all'], { roles: ['admins'] })],
    }),
    policy(4, 'hr_no_pii', {
      resources: { database: res('hr'), table: res('employees'), column: excluded('ssn', 'salary') },
      policyItems: [item(['select'], { users: ['alice'] })],
    }),
    policy(5, 'hr_directory', {
      resources: tableRes(['hr'], ['employees'], ['name', 'dept']),
      policyItems: [item(['select'], { users: ['carol'] })],
    }),
    policy(6, 'deny_contractors_hr', {
      resources: tableRes(['hr'], ['*']),
      denyPolicyItems: [item(['select'], { groups: ['contractors'] }, { delegateAdmin: true })],
    }),
    policy(7, 'order_tables', {
      resources: tableRes(['sales'], ['ord*']),
      policyItems: [item(['select'], { users: ['dave'] })],
    }),
    policy(8, 'sales_udfs', {
      resources: { database: res('sales'), udf: res('normalize') },
      policyItems: [item(['select', 'drop'], { groups: ['analysts'] })],
    }),
    policy(9, 'sales_udf_authors', {
      resources: { database: res('sales'), udf: res('*') },
      policyItems: [item(['create', 'select'], { users: ['bob'] })],
    }),
    policy(10, 'mask_ssn', {
      policyType: 1,
      resources: { database: res('hr'), table: res('employees'), column: res('ssn') },
      dataMaskPolicyItems: [
        item(['select'], { users: ['hradmin'] }, { dataMaskInfo: { dataMaskType: 'MASK_NONE' } }),
        item(['select'], { users: ['alice'] }, { dataMaskInfo: { dataMaskType: 'MASK_SHOW_LAST_4' } }),
        item(
          ['select'],
          { groups: ['analysts'] },
          { dataMaskInfo: { dataMaskType: 'CUSTOM', valueExpr: "concat('***', substr(ssn, -2))" } },
        ),
      ],
    }),
    policy(11, 'eu_orders_only', {
      policyType: 2,
      resources: { database: res('sales'), table: res('orders') },
      rowFilterPolicyItems: [
        item(['select'], { users: ['bob'] }, { rowFilterInfo: {} }),
        item(['select'], { groups: ['analysts'] }, { rowFilterInfo: { filterExpr: "region = 'EU'" } }),
      ],
    }),
    policy(12, 'old_reporting', {
      isEnabled: false,
      resources: tableRes(['reporting'], ['*']),
      policyItems: [item(['select'], { groups: ['analysts'] })],
    }),
    policy(13, 'landing_zone_hdfs', {
      service: 'cl1_hadoop',
      serviceType: 'hdfs',
      resources: { path: { values: ['/data/landing'], isExcludes: false, isRecursive: true } },
      policyItems: [item(['read', 'write'], { users: ['etl'] })],
    }),
    policy(14, 'finance_with_exceptions', {
      resources: tableRes(['finance'], ['*']),
      policyItems: [item(['select'], { groups: ['analysts'] })],
      allowExceptions: [item(['select'], { users: ['eve'] })],
      denyPolicyItems: [item(['drop'], { groups: ['analysts'] })],
      denyExceptions: [item(['drop'], { users: ['frank'] })],
    }),
    policy(15, 'office_hours', {
      resources: tableRes(['finance'], ['ledger']),
      policyItems: [
        item(['select'], { users: ['frank'] }, { conditions: [{ type: 'ip-range', values: ['10.0.0.0/8'] }] }),
      ],
      denyPolicyItems: [
        item(['update'], { users: ['gina'] }, { conditions: [{ type: 'ip-range', values: ['0.0.0.0/0'] }] }),
      ],
    }),
    policy(16, 'sandbox', {
      resources: tableRes(['sandbox'], ['*']),
      policyItems: [item(['all'], { users: ['{OWNER}', 'henry'], groups: ['public'] })],
    }),
    policy(17, 'odd_accesses', {
      resources: tableRes(['sales'], ['refunds']),
      policyItems: [item(['select', 'index', 'lock', 'fly'], { users: ['ivan'] })],
    }),
    policy(18, 'all_but_staging', {
      resources: { database: res('sales'), table: excluded('staging'), column: res('*') },
      policyItems: [item(['select'], { users: ['ivan'] })],
    }),
    policy(19, 'broken', { resources: tableRes(['sales'], ['orders']), policyItems: 'select for everyone' }),
    policy(20, 'landing_urls', {
      resources: { url: { values: ['s3://lake-landing/incoming'], isExcludes: false, isRecursive: true } },
      policyItems: [item(['read', 'write'], { roles: ['etl'] })],
    }),
    policy(21, 'hdfs_url', {
      resources: { url: { values: ['hdfs://nn1:8020/warehouse'], isExcludes: false, isRecursive: true } },
      policyItems: [item(['read'], { roles: ['etl'] })],
    }),
    policy(22, 'temporary_access', {
      resources: tableRes(['sales'], ['orders']),
      validitySchedules: [{ startTime: '2026/01/01 00:00:00', endTime: '2026/02/01 00:00:00', timeZone: 'UTC' }],
      policyItems: [item(['select'], { users: ['judy'] })],
    }),
    policy(23, 'override_and_deny_all_else', {
      policyPriority: 1,
      isDenyAllElse: true,
      resources: tableRes(['sales'], ['orders']),
      policyItems: [item(['select', 'alter'], { users: ['kim'] })],
    }),
  ]);
}
