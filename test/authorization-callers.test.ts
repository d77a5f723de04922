// Enforcement of every route whose action is declared about the caller rather than a LakeCat
// object (administrators only, the caller's own object, any authenticated caller), generated from
// the operation table and the declarations: IAM, instances, governance, jobs, alarms and the
// console. Three users each hold ALL on every catalog, reached directly, through an IAM group and
// through a role: grants must not open what is for administrators (403 with the declared
// refusal); another user's object is refused as its declaration says (403, or 404 as if it did not
// exist), their own is served; an any-caller route serves each of them. The LakeCat object routes
// are the reads and writes matrices', the Iceberg routes the Iceberg matrix's; the last test checks
// that together they cover every route of the table.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TSchema } from 'typebox';
import { allOperations } from '../src/http/app.js';
import type { Operation } from '../src/http/operation.js';
import type { AppServices } from '../src/services/app-services.js';
import { ACTIONS, type Requirement } from '../src/services/authz/actions.js';
import { createGrantees, type Grantees, type How } from './helpers/grantees.js';
import { createRunningInstance, type Response, startServer, type TestServer } from './helpers/server.js';

const table = allOperations({} as AppServices);
const CALLER_KINDS = ['admin', 'own', 'authenticated'] as const;
const byCaller = table.filter((op) => (CALLER_KINDS as readonly string[]).includes(ACTIONS[op.action].kind));
const HOWS = ['direct', 'group', 'role'] as const;
const PLACEHOLDER = '00000000-0000-4000-8000-000000000000';
const PASSWORD = 'Pass-word-123';

/**
 * Valid bodies, so that a refusal is authorization's and not validation's: a new route with a
 * body and none here fails.
 */
const principal = [{ principal_name: 'a_user', principal_source: 'IAM', principal_type: 'USER' }];
const BODIES: Record<string, unknown> = {
  KeystoneCreateProject: { project: { name: 'by-user' } },
  KeystoneUpdateProject: { project: { description: 'by user' } },
  KeystoneCreateUser: { user: { name: 'by_user', password: PASSWORD } },
  KeystoneUpdateUser: { user: { description: 'changed' } },
  KeystoneCreateGroup: { group: { name: 'by_user' } },
  KeystoneUpdateGroup: { group: { description: 'changed' } },
  CreatePermanentAccessKey: { credential: { user_id: '{user_id}' } },
  UpdatePermanentAccessKey: { credential: { description: 'changed' } },
  CreateTemporaryAccessKeyByToken: { auth: { identity: { methods: ['token'] } } },
  CreateLakeFormationInstance: { name: 'by_user', charge_mode: 'postPaid', shared: true },
  UpdateLakeFormationInstance: { name: 'by_user' },
  UpdateLakeFormationInstanceScale: { specs: [{ spec_code: 'lakeformation.unit.basic.qps', stride_num: 8 }] },
  UpdateRecycleBin: { retention_days: 3 },
  BatchUpdateLakeFormationInstanceTags: { tags: [{ key: 'by', value: 'user' }] },
  CreateCatalog: { catalog_name: 'by_user' },
  CountMetaObj: {},
  CreateRole: { role_name: 'by_user' },
  UpdateRole: { role_name: 'a_role', description: 'x' },
  AssociatePrincipals: principal,
  RevokePrincipals: principal,
  UpdatePrincipals: [],
  AssociateRoles: [{ role_name: 'a_role', principal_source: 'LOCAL' }],
  RevokeRoles: [{ role_name: 'a_role', principal_source: 'LOCAL' }],
  UpdateRoles: [],
  // Granting is open to every caller, on what they own (or hold with a grant option): a catalog of theirs.
  BatchAuthorizeInterface: {
    effect: true,
    principal_list: principal,
    resource: { type: 'CATALOG', catalogs: [{ name: '{own_catalog}' }] },
    permissions: ['DESCRIBE'],
  },
  BatchCancelAuthorizationInterface: {
    effect: true,
    principal_list: principal,
    resource: { type: 'CATALOG', catalogs: [{ name: '{own_catalog}' }] },
    permissions: ['DESCRIBE'],
  },
  BatchCheckPermission: { access_request: [] },
  CreateAgreement: { agreements: [] },
  AuthorizeAccessService: { access_services: [{ name: 'SPARK' }] },
  CreateAgency: { agency_type: 'JOB_TRUST' },
  DeleteAgency: { agency_type: 'JOB_TRUST' },
  AuthorizeLocation: { locations: ['obs://lakeform/by_user'] },
  CancelAuthorizeLocation: { locations: ['obs://lakeform/by_user'] },
  ApplyForAccess: [{ domain: 'by.user.example', vpcep_id: 'x' }],
  CreateAccessClient: {
    name: 'by_user',
    access_mode: 'SYSTEM',
    vpc_id: '11111111-2222-4333-8444-555555555555',
    subnet_id: '66666666-7777-4888-9999-000000000000',
  },
  UpdateAccessClient: { name: 'by_user' },
  ShowCredential: { table: { catalog_name: 'cc', database_name: 'd', table_name: 't' } },
  CreateJobByInstance: { name: 'by_user', type: 'METADATA_DISCOVERY', parameter: {} },
  UpdateJobByInstance: { name: 'by_user', parameter: {} },
  CreateAlarmRule: {
    rule_name: 'by_user',
    metric: 'REQUEST_RATE_RATIO',
    comparison_operator: '>',
    threshold: 1,
    evaluation_period: 1,
  },
  UpdateAlarmRule: {},
  AcknowledgeAlarmRecord: {},
};

/** The query parameters a request needs: each required one at its default, else its first allowed value. */
function queryOf(op: Operation): Record<string, string> {
  const q = op.query as (TSchema & { required?: string[]; properties?: Record<string, TSchema> }) | undefined;
  const out: Record<string, string> = {};
  for (const k of q?.required ?? []) {
    const s = q?.properties?.[k] as { default?: unknown; anyOf?: { const: string }[]; minimum?: number };
    out[k] = String(s.default ?? s.anyOf?.[0]?.const ?? s.minimum ?? 1);
  }
  return out;
}

const mentions = (schema: TSchema | undefined, name: string) =>
  Boolean((schema as { properties?: Record<string, unknown> } | undefined)?.properties?.[name]);

interface Fixture {
  project: string;
  instance: string;
  groupId: string;
  /** Each grantee's user id and name, and those of a user none of them is. */
  ids: Record<How | 'other', string>;
  names: Record<How | 'other', string>;
}

describe('authorization of caller-level routes (sqlite)', () => {
  let server: TestServer;
  let token: string;
  let fx: Fixture;
  let grantees: Grantees;

  const ok = async (method: string, path: string, body?: unknown) => {
    const r = await server.request(method, path, { token, body });
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
    return r;
  };

  before(async () => {
    server = await startServer({ name: 'sqlite' }, { env: { LAKEFORM_QPS_PER_STRIDE: '10000' } });
    let project: string;
    ({ token, projectId: project } = await server.login());
    const instance = await createRunningInstance(server, token, project, 'callers_inst');
    const base = `/v1/${project}/instances/${instance}`;
    grantees = await createGrantees(server, token, base, 'k');
    await ok('POST', '/v3/users', { user: { name: 'a_user', password: PASSWORD } });
    await ok('POST', `${base}/roles`, { role_name: 'a_role' });
    const group = await ok('POST', '/v3/groups', { group: { name: 'k_target' } });
    const users = (await ok('GET', '/v3/users')).json.users as { id: string; name: string }[];
    const names = { ...grantees.users, other: 'a_user' };
    const ids = Object.fromEntries(
      Object.entries(names).map(([how, name]) => [how, users.find((u) => u.name === name)?.id as string]),
    ) as Fixture['ids'];
    fx = { project, instance, groupId: group.json.group.id, ids, names };
    // A table each grantee reads, for the credential a caller asks for itself.
    await ok('POST', `${base}/catalogs`, { catalog_name: 'cc' });
    await ok('POST', `${base}/catalogs/cc/databases`, { database_name: 'd' });
    await ok('POST', `${base}/catalogs/cc/databases/d/tables`, {
      table_name: 't',
      table_type: 'MANAGED_TABLE',
      owner_type: 'USER',
      storage_descriptor: { columns: [{ column_name: 'id', column_type: 'int' }] },
    });
    for (const how of HOWS) {
      const owner = { owner: grantees.users[how], owner_type: 'USER' };
      await ok('POST', `${base}/catalogs`, { catalog_name: `own_${how}`, ...owner });
      await ok('POST', `${base}/policies/grant`, {
        effect: true,
        principal_list: [grantees.principals[how]],
        resource: { type: 'CATALOG', catalogs: [{ name: '*' }] },
        permissions: ['ALL'],
      });
    }
  });
  after(async () => {
    await server?.stop();
  });

  /** The path of a route for a caller, naming `whose` user (or their key, or them by name). */
  async function call(op: Operation, as: string, whose: How | 'other', subjectToken?: string): Promise<Response> {
    const key = op.path.includes('{access_key}')
      ? (await ok('POST', '/v3.0/OS-CREDENTIAL/credentials', { credential: { user_id: fx.ids[whose] } })).json
          .credential.access
      : '';
    const path = op.path
      .replace('{project_id}', fx.project)
      .replace('{instance_id}', fx.instance)
      .replace('{id}', fx.project)
      .replace('{user_id}', fx.ids[whose])
      .replace('{user_name}', fx.names[whose])
      .replace('{group_id}', fx.groupId)
      .replace('{access_key}', key)
      .replace('{role_name}', 'a_role')
      .replace('{bucket_name}', 'lakeform')
      .replace(/\{(rule|record|recycle_bin)_id\}/g, '0'.repeat(32))
      .replace(/\{\w+\}/g, PLACEHOLDER);
    const body = JSON.parse(
      JSON.stringify(BODIES[op.name] ?? null)
        .replaceAll('{user_id}', fx.ids[whose])
        .replaceAll('{own_catalog}', `own_${whose}`),
    );
    const r = await server.request(op.method, path, {
      token: as,
      body: op.body ? body : undefined,
      query: { ...queryOf(op), ...(mentions(op.query, 'user_id') ? { user_id: fx.ids[whose] } : {}) },
      headers: subjectToken ? { 'X-Subject-Token': subjectToken } : undefined,
    });
    // The key made for the call goes, whatever the call did to it.
    if (key) await server.request('DELETE', `/v3.0/OS-CREDENTIAL/credentials/${key}`, { token });
    return r;
  }

  test('every caller-level route with a body has a valid request here', () => {
    assert.ok(byCaller.length >= 100, `only ${byCaller.length} caller-level routes`);
    for (const op of byCaller) assert.ok(!op.body || op.name in BODIES, `${op.name} has no request in this matrix`);
  });

  for (const how of HOWS) {
    const reached = how === 'direct' ? 'to the user' : `through ${how === 'group' ? 'an IAM group' : 'a role'}`;
    const title =
      `a user holding ALL on every catalog (granted ${reached}): refused what is for administrators and ` +
      "others' objects, served their own and any caller's";
    test(title, async () => {
      const mine = grantees.tokens[how];
      for (const op of byCaller) {
        const d = ACTIONS[op.action] as Requirement;
        const what = `${op.name} (${op.action}) as ${how}`;
        if (d.kind === 'admin') {
          const r = await call(op, mine, 'other');
          assert.equal(r.status, 403, `${what}: ${r.status} ${r.text}`);
          assert.equal(r.json.error_msg, d.refusal, `${what}: the declared refusal`);
        } else if (d.kind === 'own') {
          const theirs = d.on === 'token' ? (await server.login('a_user', PASSWORD)).token : undefined;
          const refused = await call(op, mine, 'other', theirs);
          assert.equal(
            refused.status,
            d.refusal ? 403 : 404,
            `${what} on another's: ${refused.status} ${refused.text}`,
          );
          if (d.refusal && op.method !== 'HEAD') assert.equal(refused.json.error_msg, d.refusal, what);
          // Their own: a fresh token of theirs stands in for one the call would revoke.
          const own = d.on === 'token' ? (await server.login(grantees.users[how], PASSWORD)).token : undefined;
          const served = await call(op, mine, how, own);
          assert.ok(served.status < 300, `${what} on their own: ${served.status} ${served.text}`);
        } else {
          const r = await call(op, mine, how);
          // Served, or (an object the path names by a placeholder) not found: never refused.
          assert.ok(r.status < 300 || r.status === 404, `${what}: ${r.status} ${r.text}`);
        }
      }
    });
  }

  test('an administrator passes every read declared for administrators', async () => {
    for (const op of byCaller) {
      const d = ACTIONS[op.action];
      if (d.kind !== 'admin' || (op.method !== 'GET' && op.method !== 'HEAD')) continue;
      const r = await call(op, token, 'other');
      assert.ok(r.status < 300 || r.status === 404, `${op.name} as the administrator: ${r.status} ${r.text}`);
      if (r.status === 404) assert.match(op.path, /\{(job_id|rule_id|record_id|run_id|client_id)\}/, op.name);
    }
  });

  test('the matrices together cover every route of the operation table', () => {
    const lakecat = (op: Operation) => op.path.includes('/catalogs') && !byCaller.includes(op);
    const iceberg = (op: Operation) => op.wire === 'iceberg';
    const open = (op: Operation) => ACTIONS[op.action].kind === 'public';
    const uncovered = table.filter((op) => !byCaller.includes(op) && !lakecat(op) && !iceberg(op) && !open(op));
    assert.deepEqual(
      uncovered.map((op) => `${op.name} (${op.action})`),
      [],
      'routes no matrix calls',
    );
  });
});
