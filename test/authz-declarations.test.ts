// Every protocol entry names a declared action (a test per operation, by name), the start-up
// check refuses entries without one, and the pure decision answers as the grants say, with the
// grants that decided. No server, no database.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allOperations } from '../src/http/app.js';
import { metastoreEntries } from '../src/metastore/methods.js';
import type { AppServices } from '../src/services/app-services.js';
import { ACTIONS, assertDeclarations, checkDeclarations, declarationOf } from '../src/services/authz/actions.js';
import { decide, decideCaller, type ObjectFacts } from '../src/services/authz/decision.js';
import type { Principal } from '../src/services/iam/principal.js';
import type { StoredPolicy } from '../src/store/governance/policy-repository.js';

const ops = allOperations({} as AppServices);

describe('every metastore Thrift method names a declared action', () => {
  for (const m of metastoreEntries()) {
    test(m.name, () => {
      assert.ok(m.action, `${m.name} names no action`);
      assert.ok(declarationOf(m.action), `${m.name} names ${m.action}, which has no declaration`);
    });
  }
});

describe('every operation names a declared action', () => {
  for (const op of ops) {
    test(op.name, () => {
      assert.ok(op.action, `${op.name} names no action`);
      assert.ok(declarationOf(op.action), `${op.name} names ${op.action}, which has no declaration`);
    });
  }

  test('the start-up check passes the table and names what is wrong otherwise', () => {
    assert.deepEqual(checkDeclarations(ops), []);
    assert.doesNotThrow(() => assertDeclarations(ops));
    const bad = [
      { name: 'NoAction' },
      { name: 'Unknown', action: 'table.explode' },
      { name: 'Fine', action: 'table.drop' },
    ];
    assert.deepEqual(checkDeclarations(bad), [
      'NoAction names no action',
      'Unknown names action table.explode, which has no declaration',
    ]);
    assert.throws(
      () => assertDeclarations(bad, 'Thrift method'),
      /every Thrift method must name a declared action: NoAction names no action/,
    );
    // Names an object's properties do not count as actions.
    assert.equal(declarationOf('toString'), undefined);
  });

  test('action names are <object>.<verb>, lower case, and every LakeCat write of the table addresses an object', () => {
    for (const name of Object.keys(ACTIONS)) assert.match(name, /^[a-z-]+\.[a-z-]+$/, name);
    for (const op of ops.filter(
      (o) => o.path.includes('/catalogs') && o.method !== 'GET' && o.name !== 'CreateCatalog',
    )) {
      const d = ACTIONS[op.action];
      assert.ok('object' in d, `${op.name} (${op.action}) is a write on an object: its declaration names it`);
    }
  });
});

const user = (name: string, isAdmin = false): Principal => ({
  userId: `id-${name}`,
  userName: name,
  domainId: 'd',
  domainName: 'd',
  projectId: 'p',
  projectName: 'p',
  isAdmin,
  via: 'token',
  methods: ['password'],
});

let nextId = 1;
function grant(
  kind: 'TABLE' | 'DATABASE' | 'CATALOG' | 'FUNC',
  path: string[],
  permissions: string[],
  effect: 0 | 1 = 1,
): StoredPolicy {
  const [c, d, o] = path;
  const object = o === undefined ? {} : kind === 'FUNC' ? { functions: [{ name: o }] } : { tables: [{ name: o }] };
  const resource = {
    type: kind,
    catalogs: [{ name: c, ...(d === undefined ? {} : { databases: [{ name: d, ...object }] }) }],
  };
  return {
    id: nextId++,
    instance_id: 'i',
    principal_type: 'USER',
    principal_source: 'IAM',
    principal_name: 'u',
    resource_type: kind,
    resource_name: path.join('.'),
    resource: JSON.stringify(resource),
    effect,
    permissions: JSON.stringify(permissions),
    grantable: '[]',
    condition: null,
    data_filter: null,
    data_mask: null,
    created_by: 'admin',
    created_at: '',
    updated_at: '',
  };
}

const table: ObjectFacts = {
  kind: 'table',
  catalog: 'c',
  database: 'd',
  name: 't',
  row: { owner: 'someone', owner_type: 'USER' },
};

describe('the decision (pure)', () => {
  const u = user('u');

  test('without a grant a table is invisible; the owner and administrators may do anything', () => {
    const d = decide(ACTIONS['table.drop'], u, table, []);
    assert.deepEqual([d.allowed, d.visible], [false, false]);
    assert.equal(decide(ACTIONS['table.drop'], user('someone'), table, []).basis, 'owner');
    assert.equal(decide(ACTIONS['table.drop'], user('root', true), table, []).basis, 'administrator');
  });

  test(
    'a grant that shows the table without the privilege is a visible ' +
      'denial naming it; the granting policy decides',
    () => {
      const describe = grant('TABLE', ['c', 'd', 't'], ['DESCRIBE']);
      const denied = decide(ACTIONS['table.drop'], u, table, [describe]);
      assert.deepEqual([denied.allowed, denied.visible, denied.missing], [false, true, 'DROP']);
      const drop = grant('DATABASE', ['c', 'd'], ['DROP']);
      const allowed = decide(ACTIONS['table.drop'], u, table, [describe, drop]);
      assert.equal(allowed.allowed, true);
      assert.deepEqual(
        allowed.grants.map((g) => g.id),
        [drop.id],
      );
      assert.deepEqual(
        decide(ACTIONS['table.show'], u, table, [describe]).grants.map((g) => g.id),
        [describe.id],
      );
    },
  );

  test('a deny overrides an allow and is the deciding grant', () => {
    const all = grant('CATALOG', ['c'], ['ALL']);
    const deny = grant('TABLE', ['c', 'd', 't'], ['DROP'], 0);
    const d = decide(ACTIONS['table.drop'], u, table, [all, deny]);
    assert.deepEqual([d.allowed, d.visible], [false, true]);
    assert.deepEqual(
      d.grants.map((g) => g.id),
      [deny.id],
    );
  });

  test(
    'creating in a database needs its privilege on the database or ' +
      'its catalog; CREATE_TABLE does not show the tables',
    () => {
      const database: ObjectFacts = {
        kind: 'database',
        catalog: 'c',
        database: 'd',
        row: { owner: 'x', owner_type: 'USER' },
      };
      const create = grant('DATABASE', ['c', 'd'], ['CREATE_TABLE']);
      assert.equal(decide(ACTIONS['table.create'], u, database, [create]).allowed, true);
      const f = decide(ACTIONS['function.create'], u, database, [create]);
      assert.deepEqual([f.allowed, f.visible, f.missing], [false, true, 'CREATE_FUNC']);
      assert.equal(decide(ACTIONS['table.show'], u, table, [create]).visible, false);
    },
  );

  test('a catalog or database shows to whoever owns something inside it', () => {
    const catalog: ObjectFacts = { kind: 'catalog', catalog: 'c', row: { owner: 'x', owner_type: 'USER' } };
    assert.equal(decide(ACTIONS['catalog.show'], u, catalog, []).visible, false);
    const d = decide(ACTIONS['catalog.show'], u, { ...catalog, ownsInside: true }, []);
    assert.deepEqual([d.allowed, d.basis], [true, 'ownership-inside']);
    assert.equal(decide(ACTIONS['catalog.drop'], u, { ...catalog, ownsInside: true }, []).missing, 'DROP');
  });

  test("a dataset is managed by its owner, its database's owner, or the privilege on the database", () => {
    const dataset: ObjectFacts = {
      kind: 'dataset',
      catalog: 'c',
      database: 'd',
      name: 's',
      row: { owner: 'x', owner_type: 'USER' },
      container: { owner: 'u', owner_type: 'USER' },
      ownsInside: true,
    };
    assert.equal(decide(ACTIONS['dataset.drop'], u, dataset, []).allowed, true);
    const other = { ...dataset, container: { owner: 'y', owner_type: 'USER' } };
    assert.equal(decide(ACTIONS['dataset.drop'], u, other, []).missing, 'DROP');
    assert.equal(decide(ACTIONS['dataset.drop'], u, other, [grant('DATABASE', ['c', 'd'], ['DROP'])]).allowed, true);
  });

  test('administrator-only, own, authenticated and public actions', () => {
    assert.equal(decideCaller(ACTIONS['role.create'], u).allowed, false);
    assert.equal(decideCaller(ACTIONS['role.create'], user('root', true)).allowed, true);
    assert.equal(decideCaller(ACTIONS['access-key.list'], u, { ownerId: u.userId }).allowed, true);
    assert.equal(decideCaller(ACTIONS['access-key.list'], u, { ownerId: 'another' }).allowed, false);
    assert.equal(decideCaller(ACTIONS['catalog.list'], u).allowed, true);
    assert.equal(decideCaller(ACTIONS['token.create'], u).allowed, true);
  });
});
