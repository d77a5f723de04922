// Mapping an Apache Ranger policy export to lakeform grants (the PERMISSION_MIGRATION job's core):
// the exact grants and report of a realistic export, principal mapping, bounds, malformed input,
// and that a real server's grant operation accepts every grant produced, with check-permission agreeing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mapRangerExport, type RangerImportReport } from '../src/services/jobs/ranger/ranger-import.js';
import { excluded, item, policy, rangerExport, realisticExport, res, tableRes } from './helpers/ranger-export.js';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

const U = (n: string) => ({ principal_name: n, principal_type: 'USER', principal_source: 'IAM' });
const G = (n: string) => ({ principal_name: n, principal_type: 'GROUP', principal_source: 'IAM' });
const R = (n: string) => ({ principal_name: n, principal_type: 'ROLE', principal_source: 'LOCAL' });
const catalogRes = () => ({ type: 'CATALOG', catalogs: [{ name: 'lake' }] });
const dbRes = (d: string) => ({ type: 'DATABASE', catalogs: [{ name: 'lake', databases: [{ name: d }] }] });
const tblRes = (d: string, t: string) => ({
  type: 'TABLE',
  catalogs: [{ name: 'lake', databases: [{ name: d, tables: [{ name: t }] }] }],
});
const colRes = (d: string, t: string, column_name: string[], filter: 'Include' | 'Exclude' = 'Include') => ({
  type: 'COLUMN',
  catalogs: [{ name: 'lake', databases: [{ name: d, tables: [{ name: t, columns: { column_name, filter } }] }] }],
});
const fnRes = (d: string, f: string) => ({
  type: 'FUNC',
  catalogs: [{ name: 'lake', databases: [{ name: d, functions: [{ name: f }] }] }],
});
const allow = (resource: object, permissions: string[], principal_list: object[], extra: object = {}) => ({
  effect: true,
  resource,
  permissions,
  principal_list,
  ...extra,
});
const deny = (resource: object, permissions: string[], principal_list: object[]) => ({
  effect: false,
  resource,
  permissions,
  principal_list,
});

const map = (exported: unknown, rules = {}) => mapRangerExport(exported, rules, { catalog: 'lake' });
/** Report lines as [level, policy id, message], the form the expectations are written in. */
const lines = (report: RangerImportReport[]) => report.map((l) => [l.level, l.policy?.id, l.message]);

const FUNCTIONS_TOO =
  'granted database-wide: in lakeform such a grant also reaches ' +
  'the functions of the database, which Ranger keeps under udf ' +
  'policies';
const CONDITIONAL = 'has conditions or validity schedules, which lakeform does not evaluate';

describe('Ranger import: mapping', () => {
  test('a realistic export becomes exactly these grants and report lines', () => {
    const exported = realisticExport();
    const r = map(exported);
    assert.deepEqual(r.grants, [
      // 1 sales_read: two tables, users and groups together; delegateAdmin gives grant option
      allow(tblRes('sales', 'orders'), ['SELECT'], [U('alice'), G('analysts')]),
      allow(tblRes('sales', 'refunds'), ['SELECT'], [U('alice'), G('analysts')]),
      allow(tblRes('sales', 'orders'), ['DELETE', 'INSERT', 'SELECT', 'UPDATE'], [R('etl')], {
        grant_able_permissions: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
      }),
      allow(tblRes('sales', 'refunds'), ['DELETE', 'INSERT', 'SELECT', 'UPDATE'], [R('etl')], {
        grant_able_permissions: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
      }),
      // 2 sales_owner: table * → the database; create → CREATE_TABLE
      allow(dbRes('sales'), ['ALTER', 'CREATE_TABLE', 'DROP'], [U('bob')]),
      // 3 all_databases: every database, plus creating databases on the catalog
      allow(dbRes('*'), ['ALL'], [R('admins')]),
      allow(catalogRes(), ['CREATE_DATABASE'], [R('admins')]),
      // 4, 5: excluded and included columns
      allow(colRes('hr', 'employees', ['ssn', 'salary'], 'Exclude'), ['SELECT'], [U('alice')]),
      allow(colRes('hr', 'employees', ['name', 'dept']), ['SELECT'], [U('carol')]),
      // 6: a deny; delegateAdmin means nothing there
      deny(dbRes('hr'), ['SELECT'], [G('contractors')]),
      // 7: a table wildcard carries over
      allow(tblRes('sales', 'ord*'), ['SELECT'], [U('dave')]),
      // 8, 9: functions; select → EXEC, create on udf * → CREATE_FUNC on the database
      allow(fnRes('sales', 'normalize'), ['DROP', 'EXEC'], [G('analysts')]),
      allow(fnRes('sales', '*'), ['EXEC'], [U('bob')]),
      allow(dbRes('sales'), ['CREATE_FUNC'], [U('bob')]),
      // 10: masks on the column (MASK_NONE is an exemption: left out)
      allow(colRes('hr', 'employees', ['ssn']), ['SELECT'], [U('alice')], { data_mask: 'MASK_SHOW_LAST_4' }),
      allow(colRes('hr', 'employees', ['ssn']), ['SELECT'], [G('analysts')], {
        data_mask: "CUSTOM:concat('***', substr(ssn, -2))",
      }),
      // 11: the row filter (the item without an expression is an exemption: left out)
      allow(tblRes('sales', 'orders'), ['SELECT'], [G('analysts')], { data_filter: "region = 'EU'" }),
      // 14: allow and deny items; the exceptions are left out
      allow(dbRes('finance'), ['SELECT'], [G('analysts')]),
      deny(dbRes('finance'), ['DROP'], [G('analysts')]),
      // 15: the conditional deny, unconditionally (the conditional allow is left out)
      deny(tblRes('finance', 'ledger'), ['DELETE', 'INSERT', 'UPDATE'], [U('gina')]),
      // 16: {OWNER} and public left out, henry kept
      allow(dbRes('sandbox'), ['ALL'], [U('henry')]),
      // 17: index, lock and an unknown type left out
      allow(tblRes('sales', 'refunds'), ['SELECT'], [U('ivan')]),
      // 20: a recursive s3 url
      allow({ type: 'URI', uris: ['s3://lake-landing/incoming'] }, ['READ', 'WRITE'], [R('etl')]),
      // 23: imported, its priority and deny-all-else reported
      allow(tblRes('sales', 'orders'), ['ALTER', 'SELECT'], [U('kim')]),
    ]);
    const mask = 'this mask grants SELECT on lake.hr.employees[ssn] to';
    const direct =
      'which no access policy of the export grants directly (lakeform ' +
      "carries a mask on a SELECT grant; Ranger's grant nothing): " +
      'check their access through groups and roles';
    assert.deepEqual(lines(r.report), [
      ['info', 2, FUNCTIONS_TOO],
      ['info', 3, FUNCTIONS_TOO],
      [
        'warn',
        10,
        'dataMaskPolicyItems[0] leaves the column unmasked (MASK_NONE): ' +
          'lakeform has no exemption from other masks; not imported',
      ],
      [
        'warn',
        11,
        'rowFilterPolicyItems[0] has no filter expression (its ' +
          'principals see every row): lakeform has no exemption from other ' +
          'filters; not imported',
      ],
      ['info', 12, 'disabled in Ranger: not imported'],
      ['warn', 13, 'service type hdfs is not imported: only hive policies map to lakeform grants'],
      [
        'warn',
        14,
        'allowExceptions (1) are not imported: lakeform has no ' +
          'exceptions, so the principals they except keep what the allow ' +
          'items grant',
      ],
      [
        'warn',
        14,
        'denyExceptions (1) are not imported: the deny items apply to the principals they except too (stricter)',
      ],
      ['info', 14, FUNCTIONS_TOO],
      ['warn', 15, `policyItems[0] ${CONDITIONAL}: not imported, as it would allow always`],
      ['warn', 15, `denyPolicyItems[0] ${CONDITIONAL}: imported as a deny that always applies (stricter)`],
      ['warn', 16, 'user {OWNER} is a Ranger placeholder lakeform cannot resolve: not imported'],
      ['warn', 16, 'group public stands for every user, and granting to it would widen access: not imported'],
      ['info', 16, FUNCTIONS_TOO],
      ['warn', 17, 'policyItems[0]: access index has no lakeform equivalent: not imported'],
      ['warn', 17, 'policyItems[0]: access lock has no lakeform equivalent: not imported'],
      ['warn', 17, 'policyItems[0]: unknown access type fly: not imported'],
      [
        'warn',
        18,
        'not imported: table values are excluded (isExcludes): lakeform grants cannot name "all but" tables',
      ],
      ['error', 19, 'malformed policy, not imported: policyItems is not a list'],
      [
        'warn',
        21,
        'not imported: url hdfs://nn1:8020/warehouse is not a location ' +
          'lakeform grants on (obs://, s3://, har:// or file:// with a path)',
      ],
      ['warn', 22, `policyItems[0] ${CONDITIONAL}: not imported, as it would allow always`],
      [
        'warn',
        23,
        'isDenyAllElse is not imported: lakeform refuses what no grant ' +
          'allows, but does not override other grants on these resources',
      ],
      ['warn', 23, 'policy priority 1 (override) is not imported: in lakeform any deny beats any allow'],
      // alice's own column grant excludes ssn, and analysts have nothing on hr: the mask is what gives them SELECT
      ['warn', 10, `${mask} user alice, ${direct}`],
      ['warn', 10, `${mask} group analysts, ${direct}`],
    ]);
    // Each line names its policy as the export does.
    const named = new Map(exported.policies.map((p) => [p.id, p.name]));
    for (const l of r.report) assert.deepEqual(l.policy, { id: l.policy?.id, name: named.get(l.policy?.id as number) });
    assert.deepEqual(r.counts, { policies: 23, imported: 17, skipped: 6 });
    // The export's text is read the same as its parsed form.
    assert.deepEqual(mapRangerExport(JSON.stringify(exported), {}, { catalog: 'LAKE' }), r);
  });

  test(
    'principal mapping: prefixes, suffixes and targets; names that ' +
      'cannot be principals are reported; at most 20 principals a grant',
    () => {
      const exported = rangerExport([
        policy(1, 'people', {
          resources: tableRes(['sales'], ['orders']),
          policyItems: [
            item(['select'], { users: ['alice', 'alice.smith'], groups: ['Data_Eng'], roles: ['Stewards'] }),
          ],
        }),
      ]);
      const r = map(exported, {
        user_to: 'LDAP_USER',
        user_prefix: 'ext_',
        group_to: 'iam_group',
        group_suffix: '_g',
        role_prefix: 'R_',
      });
      assert.deepEqual(r.grants, [
        allow(
          tblRes('sales', 'orders'),
          ['SELECT'],
          [
            { principal_name: 'ext_alice', principal_type: 'USER', principal_source: 'LDAP' },
            G('Data_Eng_g'),
            R('r_stewards'),
          ],
        ),
      ]);
      assert.deepEqual(lines(r.report), [
        [
          'warn',
          1,
          'user alice.smith becomes "ext_alice.smith", not a valid ' +
            'principal name (letters, digits and _, at most 49): not imported',
        ],
      ]);

      // Groups may become roles; unknown targets are errors and their principals are skipped, never sent elsewhere.
      const odd = map(exported, { user_to: 'IAM_USR', group_to: 'LOCAL_ROLE', role_to: 'IAM_ROLE' });
      assert.deepEqual(odd.grants, [allow(tblRes('sales', 'orders'), ['SELECT'], [R('data_eng')])]);
      const accepted =
        'IAM_USER, IAM_GROUP, SAML_USER, SAML_GROUP, LDAP_USER, LDAP_GROUP, LOCAL_USER, LOCAL_GROUP, LOCAL_ROLE';
      assert.deepEqual(lines(odd.report), [
        ['error', undefined, `user_to "IAM_USR" is not one of ${accepted}: every Ranger user is skipped`],
        ['error', undefined, `role_to "IAM_ROLE" is not one of ${accepted}: every Ranger role is skipped`],
        ['warn', 1, 'user alice: the user mapping rules are invalid: not imported'],
        ['warn', 1, 'user alice.smith: the user mapping rules are invalid: not imported'],
        ['warn', 1, 'role Stewards: the role mapping rules are invalid: not imported'],
      ]);
      assert.equal(odd.report[0]?.policy, undefined, 'a rule problem belongs to no policy');

      const many = Array.from({ length: 45 }, (_, i) => `u${i}`);
      const big = map(
        rangerExport([
          policy(1, 'crowd', {
            resources: tableRes(['sales'], ['orders']),
            policyItems: [item(['select'], { users: many })],
          }),
        ]),
      );
      assert.deepEqual(
        big.grants.map((g) => g.principal_list.map((p) => p.principal_name)),
        [many.slice(0, 20), many.slice(20, 40), many.slice(40)],
      );
    },
  );

  test('values combine into one grant per resource, bounded at 1,000 per policy', () => {
    const dbs = (n: number) => Array.from({ length: n }, (_, i) => `db${i}`);
    const tables = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);
    const r = map(
      rangerExport([
        policy(1, 'at the bound', {
          resources: tableRes(dbs(40), tables(25)),
          policyItems: [item(['select'], { users: ['alice'] })],
        }),
        policy(2, 'beyond it', {
          resources: tableRes(dbs(40), tables(26)),
          policyItems: [item(['select'], { users: ['alice'] })],
        }),
        policy(3, 'functions beyond it', {
          resources: { database: res(...dbs(2)), udf: res(...tables(501)) },
          policyItems: [item(['select'], { users: ['alice'] })],
        }),
      ]),
    );
    assert.equal(r.grants.length, 1000);
    assert.deepEqual(r.grants[0], allow(tblRes('db0', 't0'), ['SELECT'], [U('alice')]));
    assert.deepEqual(r.grants[999], allow(tblRes('db39', 't24'), ['SELECT'], [U('alice')]));
    assert.equal(new Set(r.grants.map((g) => JSON.stringify(g.resource))).size, 1000, 'every combination once');
    assert.deepEqual(lines(r.report), [
      ['warn', 2, 'not imported: its values combine into 1040 resources, more than the 1000 one policy may import'],
      ['warn', 3, 'not imported: its values combine into 1002 resources, more than the 1000 one policy may import'],
    ]);
    assert.deepEqual(r.counts, { policies: 3, imported: 1, skipped: 2 });
  });

  test('resources: what carries over, and what is left out with its reason', () => {
    const who = { users: ['ivan'] };
    const r = map(
      rangerExport([
        policy(1, 'database alone', {
          resources: { database: res('sales') },
          policyItems: [item(['select', 'create'], who), item(['all'], { users: ['judy'] })],
        }),
        policy(2, 'question mark', {
          resources: tableRes(['sales'], ['ord?rs']),
          policyItems: [item(['select'], who)],
        }),
        policy(3, 'macro', { resources: tableRes(['{USER}_sandbox'], ['*']), policyItems: [item(['select'], who)] }),
        policy(4, 'column pattern', {
          resources: tableRes(['sales'], ['orders'], ['amount*']),
          policyItems: [item(['select'], who)],
        }),
        policy(5, 'no column', {
          resources: { database: res('sales'), table: res('orders'), column: excluded('*') },
          policyItems: [item(['select'], who)],
        }),
        policy(6, 'odd name', {
          resources: tableRes(['sales'], ['orders-2024']),
          policyItems: [item(['select'], who)],
        }),
        policy(7, 'flat url', {
          resources: { url: res('s3://lake-landing/incoming') },
          policyItems: [item(['read'], who)],
        }),
        policy(8, 'named create', {
          resources: tableRes(['sales'], ['orders']),
          policyItems: [item(['create', 'select'], who)],
        }),
        policy(9, 'udf writes', {
          resources: { database: res('sales'), udf: res('normalize') },
          policyItems: [item(['update', 'create', 'all'], who)],
        }),
        policy(10, 'not allowed', {
          resources: tableRes(['sales'], ['orders']),
          policyItems: [
            {
              ...item(['alter'], who),
              accesses: [
                { type: 'select', isAllowed: false },
                { type: 'alter', isAllowed: true },
              ],
            },
          ],
        }),
        policy(11, 'database pattern', {
          resources: tableRes(['sales_*'], ['*']),
          policyItems: [item(['create'], who)],
        }),
        policy(12, 'upper case', {
          resources: tableRes(['Sales'], ['Orders'], ['Amount', 'amount']),
          policyItems: [item(['select'], who)],
        }),
        policy(13, 'global', { resources: { global: res('*') }, policyItems: [item(['repladmin'], who)] }),
        policy(14, 'every database alone', { resources: { database: res('*') }, policyItems: [item(['create'], who)] }),
        policy(15, 'url create', {
          resources: { url: { values: ['obs://lake/raw'], isExcludes: false, isRecursive: true } },
          policyItems: [item(['create', 'all'], who)],
        }),
      ]),
    );
    assert.deepEqual(r.grants, [
      allow(dbRes('sales'), ['CREATE_TABLE'], [U('ivan')]),
      allow(dbRes('sales'), ['CREATE_TABLE'], [U('judy')]),
      allow(tblRes('sales', 'orders'), ['SELECT'], [U('ivan')]),
      allow(fnRes('sales', 'normalize'), ['ALL'], [U('ivan')]),
      allow(tblRes('sales', 'orders'), ['ALTER'], [U('ivan')]),
      allow(dbRes('sales_*'), ['CREATE_TABLE'], [U('ivan')]),
      allow(colRes('sales', 'orders', ['amount']), ['SELECT'], [U('ivan')]),
      allow(dbRes('*'), ['CREATE_TABLE'], [U('ivan')]),
      allow(catalogRes(), ['CREATE_DATABASE'], [U('ivan')]),
      allow({ type: 'URI', uris: ['obs://lake/raw'] }, ['ALL'], [U('ivan')]),
    ]);
    const alone =
      "on a database alone (no table resource) is not imported: lakeform's database grants also reach the tables";
    assert.deepEqual(lines(r.report), [
      ['warn', 1, `policyItems[0]: select ${alone}`],
      [
        'warn',
        1,
        'policyItems[1]: all on a database alone (no table resource) is ' +
          "imported as its create part: lakeform's database grants also " +
          'reach the tables',
      ],
      ['warn', 2, 'not imported: table ord?rs uses the wildcard ?, which lakeform does not have'],
      ['warn', 3, 'not imported: database {USER}_sandbox uses a Ranger macro, which lakeform cannot expand'],
      ['warn', 4, 'not imported: column amount* is a pattern; lakeform column grants name columns exactly'],
      ['warn', 5, 'not imported: it excludes every column (*), so it applies to none'],
      ['warn', 6, 'not imported: table orders-2024 is not a name lakeform can grant on'],
      ['warn', 7, 'not imported: the url is not recursive, and lakeform URI grants always reach below the path'],
      [
        'warn',
        8,
        'policyItems[0]: create on named tables cannot be limited to ' +
          'those names in lakeform (it is granted on a database): not ' +
          'imported',
      ],
      ['warn', 9, 'policyItems[0]: access update has no meaning on functions in lakeform: not imported'],
      [
        'warn',
        9,
        'policyItems[0]: create on named functions cannot be limited to ' +
          'those names in lakeform (it is granted on a database): not ' +
          'imported',
      ],
      ['warn', 13, 'not imported: the global resource has no lakeform equivalent'],
      ['warn', 15, 'policyItems[0]: access create has no meaning on urls in lakeform: not imported'],
    ]);
    assert.deepEqual(r.counts, { policies: 15, imported: 8, skipped: 7 });
  });

  test(
    'masks and row filters: one table, named columns; exemptions, ' + 'conflicts, conditions and delegation reported',
    () => {
      const filter = (id: number, name: string, who: object, filterExpr: string, extra: object = {}) =>
        policy(id, name, {
          policyType: 2,
          resources: { database: res('sales'), table: res('orders') },
          rowFilterPolicyItems: [item(['select'], who, { rowFilterInfo: { filterExpr }, ...extra })],
        });
      const maskOn = (id: number, name: string, resources: object, items: object[]) =>
        policy(id, name, { policyType: 1, resources, dataMaskPolicyItems: items });
      const ssn = { database: res('hr'), table: res('employees'), column: res('ssn') };
      const r = map(
        rangerExport([
          policy(1, 'access', {
            resources: tableRes(['sales'], ['orders']),
            policyItems: [item(['select'], { groups: ['analysts', 'eu_team'] })],
          }),
          filter(2, 'eu', { groups: ['analysts', 'eu_team'] }, "region = 'EU'"),
          filter(3, 'us', { groups: ['analysts', 'us_team'] }, "region = 'US'", {
            conditions: [{ type: 'ip-range', values: ['10.0.0.0/8'] }],
            delegateAdmin: true,
          }),
          filter(4, 'same again', { groups: ['analysts'] }, "region = 'EU'"),
          filter(5, 'too long', { groups: ['bi'] }, `id IN (${'1,'.repeat(2100)}1)`),
          policy(6, 'filter on columns', {
            policyType: 2,
            resources: tableRes(['sales'], ['orders'], ['amount']),
            rowFilterPolicyItems: [item(['select'], { groups: ['bi'] }, { rowFilterInfo: { filterExpr: '1=1' } })],
          }),
          maskOn(7, 'mask every column', tableRes(['hr'], ['employees']), [
            item(['select'], { groups: ['bi'] }, { dataMaskInfo: { dataMaskType: 'MASK' } }),
          ]),
          maskOn(8, 'mask a pattern', tableRes(['hr'], ['emp*'], ['ssn']), [
            item(['select'], { groups: ['bi'] }, { dataMaskInfo: { dataMaskType: 'MASK' } }),
          ]),
          maskOn(9, 'mask items', ssn, [
            item(['select'], { groups: ['bi'] }, { dataMaskInfo: { dataMaskType: 'MASK_FANCY' } }),
            item(['update'], { groups: ['bi'] }, { dataMaskInfo: { dataMaskType: 'MASK' } }),
            item(['select'], { groups: ['bi'] }),
            item(['select'], { groups: ['bi'] }, { dataMaskInfo: { dataMaskType: 'CUSTOM' } }),
            item(
              ['select'],
              { groups: ['bi'] },
              { dataMaskInfo: { dataMaskType: 'mask_hash', conditionExpr: "dept <> 'HR'" } },
            ),
          ]),
        ]),
      );
      const direct =
        'which no access policy of the export grants directly (lakeform ' +
        "carries a row filter on a SELECT grant; Ranger's grant " +
        'nothing): check their access through groups and roles';
      assert.deepEqual(r.grants, [
        allow(tblRes('sales', 'orders'), ['SELECT'], [G('analysts'), G('eu_team')]),
        allow(tblRes('sales', 'orders'), ['SELECT'], [G('analysts'), G('eu_team')], { data_filter: "region = 'EU'" }),
        // analysts already have the EU filter on this table: only us_team gets the US one, unconditionally and without
        // grant option
        allow(tblRes('sales', 'orders'), ['SELECT'], [G('us_team')], { data_filter: "region = 'US'" }),
        allow(tblRes('sales', 'orders'), ['SELECT'], [G('analysts')], { data_filter: "region = 'EU'" }),
        allow(colRes('hr', 'employees', ['ssn']), ['SELECT'], [G('bi')], { data_mask: 'MASK_HASH' }),
      ]);
      assert.deepEqual(lines(r.report), [
        ['warn', 3, `rowFilterPolicyItems[0] ${CONDITIONAL}: the row filter always applies (stricter)`],
        [
          'warn',
          3,
          'rowFilterPolicyItems[0]: delegateAdmin is not imported (grant ' +
            'option on SELECT would let its holders pass on access without ' +
            'the row filter)',
        ],
        [
          'warn',
          3,
          'rowFilterPolicyItems[0]: group analysts already has another row ' +
            'filter on lake.sales.orders (policy 2 eu); lakeform keeps one ' +
            'per principal and object: not imported for them',
        ],
        ['warn', 5, 'rowFilterPolicyItems[0]: the row filter is longer than 4000 characters: not imported'],
        ['warn', 6, 'not imported: a row filter applies to a whole table, and this policy names columns'],
        ['warn', 7, 'not imported: a mask applies to named columns, and this policy names all or all but some'],
        ['warn', 8, 'not imported: a mask applies to one named table, and this policy names several or a pattern'],
        ['warn', 9, 'dataMaskPolicyItems[0] has mask type MASK_FANCY, unknown to the hive service: not imported'],
        ['warn', 9, 'dataMaskPolicyItems[1] does not apply to select: not imported'],
        ['error', 9, 'dataMaskPolicyItems[2] has no dataMaskInfo: not imported'],
        ['warn', 9, 'dataMaskPolicyItems[3] is a custom mask without valueExpr: not imported'],
        ['warn', 9, `dataMaskPolicyItems[4] ${CONDITIONAL}: the mask always applies (stricter)`],
        // eu_team and analysts hold SELECT on the table through policy 1; us_team does not
        ['warn', 3, `this row filter grants SELECT on lake.sales.orders to group us_team, ${direct}`],
        [
          'warn',
          9,
          `this mask grants SELECT on lake.hr.employees[ssn] to group bi, ${direct.replace('a row filter', 'a mask')}`,
        ],
      ]);
      assert.deepEqual(r.counts, { policies: 9, imported: 5, skipped: 4 });
    },
  );

  test('only input that is not a Ranger export throws; malformed policies are reported and skipped', () => {
    for (const bad of [null, [], 'not json {', 42, {}, { policies: {} }, { metaDataInfo: 'x', policies: [] }]) {
      assert.throws(() => map(bad), /^Error: not an Apache Ranger policy export: /, JSON.stringify(bad));
    }
    assert.throws(() => mapRangerExport(rangerExport([]), {}, { catalog: 'lake.db' }), /options\.catalog/);
    assert.deepEqual(
      map({ policies: [] }),
      { grants: [], report: [], counts: { policies: 0, imported: 0, skipped: 0 } },
      'metaDataInfo is not required',
    );

    const ok = item(['select'], { users: ['alice'] });
    const r = map(
      rangerExport([
        null,
        42,
        { name: 'no type', resources: tableRes(['s'], ['t']), policyItems: [ok] },
        policy(4, 'bad values', { resources: { database: { values: 'sales' } }, policyItems: [ok] }),
        policy(5, 'no values', { resources: { database: res() }, policyItems: [ok] }),
        policy(6, 'bad access', {
          resources: tableRes(['s'], ['t']),
          policyItems: [{ accesses: [{ isAllowed: true }], users: ['a'] }],
        }),
        policy(7, 'bad users', { resources: tableRes(['s'], ['t']), denyPolicyItems: [{ ...ok, users: 'alice' }] }),
        policy(8, 'bad type', { policyType: 7, resources: tableRes(['s'], ['t']), policyItems: [ok] }),
        policy(9, 'table without database', { resources: { table: res('t') }, policyItems: [ok] }),
        policy(10, 'unknown resource', { resources: { database: res('s'), queue: res('q') }, policyItems: [ok] }),
        policy(11, 'bad flag', { isEnabled: 'yes', resources: tableRes(['s'], ['t']), policyItems: [ok] }),
        policy(12, 'udf with table', {
          resources: { database: res('s'), table: res('t'), udf: res('f') },
          policyItems: [ok],
        }),
        policy(13, 'bad mask info', {
          policyType: 1,
          resources: { database: res('s'), table: res('t'), column: res('c') },
          dataMaskPolicyItems: [{ ...ok, dataMaskInfo: 'MASK' }],
        }),
        policy(14, 'no items', { resources: tableRes(['s'], ['t']) }),
        policy(15, 'fine', { resources: tableRes(['s'], ['t']), policyItems: [ok] }),
      ]),
    );
    const bad = (id: number | undefined, m: string) => ['error', id, `malformed policy, not imported: ${m}`];
    assert.deepEqual(lines(r.report), [
      bad(undefined, 'the policy is not an object'),
      bad(undefined, 'the policy is not an object'),
      bad(undefined, 'serviceType is missing'),
      bad(4, 'resources.database.values is not a list of strings'),
      bad(5, 'resources.database.values is empty'),
      bad(6, 'policyItems[0].accesses[0] has no type'),
      bad(7, 'denyPolicyItems[0].users is not a list of strings'),
      bad(8, 'policyType 7 is none of 0 (access), 1 (data mask), 2 (row filter)'),
      bad(9, 'resources name no database'),
      bad(10, 'resources has queue, not a hive resource'),
      bad(11, 'isEnabled is not a boolean'),
      bad(12, 'resources combine udf with table or column'),
      bad(13, 'dataMaskPolicyItems[0].dataMaskInfo has no dataMaskType'),
      ['warn', 14, 'none of its items grants anything: nothing imported'],
    ]);
    assert.deepEqual(r.report[2]?.policy, { name: 'no type' });
    assert.deepEqual(r.grants, [allow(tblRes('s', 't'), ['SELECT'], [U('alice')])]);
    assert.deepEqual(r.counts, { policies: 15, imported: 1, skipped: 14 });
  });
});

for (const backend of await backends()) {
  describe(`Ranger import: the grants are accepted by the grant operation (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let base: string;
    const post = async (path: string, body: unknown, status = 201) => {
      const r = await server.request('POST', path, { token, body });
      assert.equal(r.status, status, `${path}: ${r.text}`);
      return r;
    };

    before(async () => {
      server = await startServer(backend);
      const login = await server.login();
      token = login.token;
      const instance = await createRunningInstance(server, token, login.projectId, 'ranger_inst');
      base = `/v1/${login.projectId}/instances/${instance}`;
      const cat = `${base}/catalogs/lake`;
      await post(`${base}/catalogs`, { catalog_name: 'lake' });
      for (const d of ['sales', 'hr', 'finance', 'sandbox']) await post(`${cat}/databases`, { database_name: d });
      const table = (d: string, t: string, columns: string[]) =>
        post(`${cat}/databases/${d}/tables`, {
          table_name: t,
          table_type: 'EXTERNAL_TABLE',
          owner_type: 'USER',
          storage_descriptor: { columns: columns.map((c) => ({ column_name: c, column_type: 'string' })) },
        });
      for (const t of ['orders', 'refunds', 'order_lines']) await table('sales', t, ['id', 'region', 'amount']);
      await table('hr', 'employees', ['name', 'dept', 'ssn', 'salary']);
      await table('finance', 'ledger', ['id', 'amount']);
      await table('sandbox', 'scratch', ['x']);
      await post(`${cat}/databases/sales/functions`, {
        function_name: 'normalize',
        class_name: 'x.Normalize',
        function_type: 'JAVA',
        owner_type: 'USER',
        resource_uris: [],
      });
    });
    after(async () => {
      await server?.stop();
    });

    test(
      'every grant of the realistic export is accepted (200), and ' + 'check-permission agrees with the mapping',
      async () => {
        const { grants } = map(realisticExport());
        // The principals the grants name must exist: create them, and kim in both groups.
        const ids = new Map<string, string>();
        for (const p of new Map(
          grants.flatMap((g) => g.principal_list).map((p) => [`${p.principal_type}/${p.principal_name}`, p]),
        ).values()) {
          if (p.principal_type === 'ROLE') await post(`${base}/roles`, { role_name: p.principal_name });
          else if (p.principal_type === 'GROUP')
            ids.set(p.principal_name, (await post('/v3/groups', { group: { name: p.principal_name } })).json.group.id);
          else
            ids.set(
              p.principal_name,
              (await post('/v3/users', { user: { name: p.principal_name, password: 'Pass-word-123' } })).json.user.id,
            );
        }
        for (const g of ['analysts', 'contractors']) {
          const r = await server.request('PUT', `/v3/groups/${ids.get(g)}/users/${ids.get('kim')}`, { token });
          assert.equal(r.status, 204, r.text);
        }

        for (const g of grants) {
          const r = await server.request('POST', `${base}/policies/grant`, { token, body: g });
          assert.equal(r.status, 200, `${JSON.stringify(g)}: ${r.text}`);
        }

        const on = (resource_type: string, database?: string, table?: string, extra: object = {}) => ({
          resource_type,
          catalog: 'lake',
          ...(database ? { database } : {}),
          ...(table ? { table } : {}),
          ...extra,
        });
        const asks: [string, object, string, object][] = [
          ['alice', U('alice'), 'SELECT', on('TABLE', 'sales', 'orders')],
          ['alice, a column she keeps', U('alice'), 'SELECT', on('COLUMN', 'hr', 'employees', { columns: ['name'] })],
          ['alice, an excluded column', U('alice'), 'SELECT', on('COLUMN', 'hr', 'employees', { columns: ['salary'] })],
          ['dave, through ord*', U('dave'), 'SELECT', on('TABLE', 'sales', 'order_lines')],
          ['dave, not refunds', U('dave'), 'SELECT', on('TABLE', 'sales', 'refunds')],
          ['bob creates tables', U('bob'), 'CREATE_TABLE', on('DATABASE', 'sales')],
          ['bob creates functions', U('bob'), 'CREATE_FUNC', on('DATABASE', 'sales')],
          ['bob, not in hr', U('bob'), 'CREATE_TABLE', on('DATABASE', 'hr')],
          ['admins create databases', R('admins'), 'CREATE_DATABASE', on('CATALOG')],
          ['etl writes orders', R('etl'), 'INSERT', on('TABLE', 'sales', 'orders')],
          ['etl may not drop them', R('etl'), 'DROP', on('TABLE', 'sales', 'orders')],
          ['kim reads finance through analysts', U('kim'), 'SELECT', on('TABLE', 'finance', 'ledger')],
          ['kim may not drop it (deny)', U('kim'), 'DROP', on('TABLE', 'finance', 'ledger')],
          [
            'kim, ssn masked for analysts but denied to contractors',
            U('kim'),
            'SELECT',
            on('COLUMN', 'hr', 'employees', { columns: ['ssn'] }),
          ],
          ['henry in his sandbox', U('henry'), 'DROP', on('TABLE', 'sandbox', 'scratch')],
          ['frank (conditional allow, left out)', U('frank'), 'SELECT', on('TABLE', 'finance', 'ledger')],
          ['judy (validity schedule, left out)', U('judy'), 'SELECT', on('TABLE', 'sales', 'orders')],
        ];
        const r = await server.request('POST', `${base}/policies/check-permission`, {
          token,
          body: { access_request: asks.map(([, p, action, resource]) => ({ action, principal: [p], resource })) },
        });
        assert.equal(r.status, 200, r.text);
        const got = Object.fromEntries(asks.map(([label], i) => [label, r.json[i].check_result]));
        assert.deepEqual(got, {
          alice: true,
          'alice, a column she keeps': true,
          'alice, an excluded column': false,
          'dave, through ord*': true,
          'dave, not refunds': false,
          'bob creates tables': true,
          'bob creates functions': true,
          'bob, not in hr': false,
          'admins create databases': true,
          'etl writes orders': true,
          'etl may not drop them': false,
          'kim reads finance through analysts': true,
          'kim may not drop it (deny)': false,
          'kim, ssn masked for analysts but denied to contractors': false,
          'henry in his sandbox': true,
          'frank (conditional allow, left out)': false,
          'judy (validity schedule, left out)': false,
        });

        // Filters and masks are stored with the grant, and engines read them as Ranger spells them.
        const shown = await server.request('GET', `${base}/policies/show`, {
          token,
          query: { principal_type: 'GROUP', principal_name: 'analysts', limit: 100 },
        });
        assert.equal(shown.status, 200, shown.text);
        const orders = shown.json.policies.find(
          (p: { resource_name: string; effect: boolean }) => p.resource_name === 'lake.sales.orders' && p.effect,
        );
        assert.deepEqual([orders?.permissions, orders?.obligation], [['SELECT'], "DATAFILTER:region = 'EU'"]);
        const ranger = await server.request('GET', `${base}/policies`, { token, query: { limit: 1000 } });
        assert.equal(ranger.status, 200, ranger.text);
        const masks = ranger.json.policies
          .flatMap(
            (p: { data_mask_policy_items: { groups: string[]; users: string[]; data_mask_info: unknown }[] }) =>
              p.data_mask_policy_items,
          )
          .map((i: { groups: string[]; users: string[]; data_mask_info: unknown }) => [
            [...i.users, ...i.groups].join(),
            i.data_mask_info,
          ]);
        assert.deepEqual(masks.sort(), [
          ['alice', { data_mask_type: 'MASK_SHOW_LAST_4' }],
          ['analysts', { data_mask_type: 'CUSTOM', value_expr: "concat('***', substr(ssn, -2))" }],
        ]);
      },
    );
  });
}
