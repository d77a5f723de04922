// The operation table's example bodies (src/http/examples.ts), sent in a sensible order to a real
// server: parents first, ids captured from the answers. What this builds is the world the fuzz
// suite then attacks; the ids and names it learnt fill every path parameter.

import { allOperations } from '../../src/http/app.js';
import { EXAMPLE_BODIES } from '../../src/http/examples.js';
import { openApiDocument } from '../../src/http/openapi.js';
import type { Operation } from '../../src/http/operation.js';
import type { Response, TestServer } from './server.js';

// The table is built from the services its handlers call; listing it calls none of them.
const inert: any = new Proxy(() => inert, { get: () => inert, apply: () => inert });
export const OPERATIONS: Operation[] = allOperations(inert);
const DOC = openApiDocument(OPERATIONS, 'test') as any;

/** The example body the OpenAPI document shows for an operation (its own, or the smallest the schema takes). */
export function documentedExample(op: Operation): unknown {
  return DOC.paths[op.path]?.[op.method.toLowerCase()]?.requestBody?.content?.['application/json']?.example;
}

/** The example body of an operation with the world's ids filled in. */
export const filledExample = (op: Operation, ctx: Ctx): unknown => {
  const example = EXAMPLE_BODIES[op.name] ?? documentedExample(op);
  return example === undefined ? undefined : fill(example, ctx);
};

export const opNamed = (name: string): Operation => {
  const op = OPERATIONS.find((o) => o.name === name);
  if (!op) throw new Error(`no operation ${name}`);
  return op;
};

export type Ctx = Record<string, string>;

/** Path parameters and `{placeholders}` of the world, before the ids are known. */
export const NAMES: Ctx = {
  catalog_name: 'sales',
  database_name: 'shop',
  table_name: 'orders',
  constraint_name: 'pk_orders',
  function_name: 'to_upper',
  dataset_name: 'receipts',
  role_name: 'analyst',
  user_name: 'ana',
  bucket_name: 'lakeform',
  namespace: 'lake',
  table: 'clicks',
  view: 'recent_clicks',
  run_id: 'run1',
};

/** Replaces `{name}` in every string of a value by the context's value. */
export function fill<T>(value: T, ctx: Ctx): T {
  if (typeof value === 'string') return value.replace(/\{(\w+)\}/g, (m, k: string) => ctx[k] ?? m) as T;
  if (Array.isArray(value)) return value.map((v) => fill(v, ctx)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, ctx)])) as T;
  return value;
}

export const urlOf = (op: Operation, ctx: Ctx): string =>
  op.path.replace(/\{(\w+)\}/g, (_m, k: string) => encodeURIComponent(ctx[k] ?? 'x'));

export interface Sent {
  op: Operation;
  response: Response;
  /** The status a documented refusal gets (a success otherwise). */
  expect?: number;
}

interface Step {
  op: string;
  /** Extra query parameters. */
  query?: Record<string, string>;
  /** Ids to keep from the answer. */
  capture?: (r: Response) => Ctx;
  /** A documented refusal the example is expected to get, instead of a success. */
  expect?: number;
  /** A body other than the operation's example (a second object of the same kind). */
  body?: unknown;
  /** Path parameters other than the world's. */
  path?: Ctx;
}

/** Every operation with a body, in the order its example can succeed in; a few without one in between. */
const STEPS: Step[] = [
  { op: 'KeystoneCreateUserToken' },
  { op: 'KeystoneCreateProject', capture: (r) => ({ id: r.json.project.id }) },
  { op: 'KeystoneUpdateProject' },
  { op: 'KeystoneCreateUser', capture: (r) => ({ user_id: r.json.user.id }) },
  { op: 'KeystoneUpdateUser' },
  { op: 'KeystoneCreateGroup', capture: (r) => ({ group_id: r.json.group.id }) },
  { op: 'KeystoneUpdateGroup' },
  { op: 'KeystoneAddUserToGroup' },
  {
    op: 'CreatePermanentAccessKey',
    capture: (r) => ({ access_key: r.json.credential.access, secret_key: r.json.credential.secret }),
  },
  { op: 'UpdatePermanentAccessKey' },
  { op: 'CreateTemporaryAccessKeyByToken' },
  { op: 'CreateLakeFormationInstance', capture: (r) => ({ instance_id: r.json.instance_id }) },
  { op: 'UpdateLakeFormationInstance' },
  { op: 'BatchUpdateLakeFormationInstanceTags' },
  { op: 'UpdateLakeFormationInstanceScale' },
  { op: 'UpdateRecycleBin' },
  { op: 'AuthorizeLocation' },
  { op: 'CreateCatalog' },
  { op: 'UpdateCatalog' },
  { op: 'CreateDatabase' },
  { op: 'UpdateDatabase' },
  { op: 'CreateTable' },
  { op: 'ListTablesByName' },
  { op: 'UpdateTable' },
  { op: 'AddPartitions' },
  { op: 'BatchListPartitionByValues' },
  { op: 'BatchUpdatePartition' },
  { op: 'SetTableColumnStatistics' },
  { op: 'ListTableColumnStatistics' },
  { op: 'SetPartitionColumnStatistics' },
  { op: 'BatchShowPartitionColumnStatistics' },
  { op: 'BatchDeletePartitionedStatistics' },
  { op: 'BatchCreateConstraint' },
  { op: 'CreateFunction' },
  { op: 'UpdateFunction' },
  { op: 'CreateDataset' },
  { op: 'UpdateDataset' },
  { op: 'CreateRole' },
  { op: 'UpdateRole' },
  { op: 'AssociatePrincipals' },
  { op: 'UpdatePrincipals' },
  { op: 'AssociateRoles' },
  { op: 'UpdateRoles' },
  { op: 'BatchAuthorizeInterface' },
  { op: 'BatchCheckPermission' },
  { op: 'BatchCancelAuthorizationInterface' },
  { op: 'CreateAgreement' },
  { op: 'AuthorizeAccessService' },
  { op: 'CreateAgency' },
  { op: 'ApplyForAccess' },
  { op: 'CreateAccessClient', capture: (r) => ({ client_id: r.json.id ?? r.json.client_id }) },
  { op: 'UpdateAccessClient' },
  { op: 'ShowCredential' },
  { op: 'CreateJobByInstance', capture: (r) => ({ job_id: r.json.id }) },
  { op: 'UpdateJobByInstance' },
  { op: 'CreateAlarmRule', capture: (r) => ({ rule_id: r.json.rule_id }) },
  { op: 'UpdateAlarmRule' },
  { op: 'AcknowledgeAlarmRecord' },
  { op: 'IcebergOAuthToken' },
  { op: 'IcebergCreateNamespace' },
  { op: 'IcebergUpdateNamespaceProperties' },
  { op: 'IcebergCreateTable', capture: (r) => ({ metadata_location: r.json['metadata-location'] }) },
  { op: 'IcebergCommitTable' },
  { op: 'IcebergPlanTableScan' },
  // A table without snapshots plans to no task; a plan task of a large plan is tested in iceberg-scan-planning.
  { op: 'IcebergFetchScanTasks', expect: 404 },
  { op: 'IcebergRegisterTable' },
  { op: 'IcebergRenameTable' },
  { op: 'IcebergCommitTransaction' },
  { op: 'IcebergReportMetrics' },
  { op: 'IcebergCreateView', capture: (r) => ({ view_uuid: r.json.metadata['view-uuid'] }) },
  { op: 'IcebergReplaceView' },
  { op: 'IcebergRenameView', capture: (_r) => ({ view: 'latest_clicks' }) },
  // A drop and its restore leave the world as it was (the table comes back with its partitions and grants).
  { op: 'DeleteTable' },
  {
    op: 'ListTables',
    query: { deleted: 'true' },
    capture: (r) => ({ table_bin_id: r.json.tables?.[0]?.recycle_bin_id }),
  },
  { op: 'RestoreTable' },
  { op: 'CreateDatabase', body: { database_name: 'scratch', description: 'dropped, then restored' } },
  { op: 'DeleteDatabase', path: { database_name: 'scratch' } },
  {
    op: 'ListDatabases',
    query: { deleted: 'true' },
    capture: (r) => ({ database_bin_id: r.json.databases?.[0]?.recycle_bin_id }),
  },
  { op: 'RestoreDatabase', path: { database_name: 'scratch' } },
  // Undoing: after everything that needed what they take away.
  { op: 'BatchDeletePartition' },
  { op: 'RevokePrincipals' },
  { op: 'RevokeRoles' },
  { op: 'CancelAuthorizeLocation' },
  { op: 'DeleteAgency' },
];
export const EXAMPLE_ORDER = STEPS.map((s) => s.op);

/** Waits (up to ~6 s) for what `f` finds; undefined when it never does, and the step that needs it fails. */
const poll = async <T>(f: () => Promise<T | undefined>, server: TestServer): Promise<T | undefined> => {
  for (let i = 0; i < 200; i++) {
    const v = await f();
    if (v !== undefined) return v;
    await server.passTime(50);
    await new Promise((r) => setTimeout(r, 30));
  }
  return undefined;
};

export interface World {
  ctx: Ctx;
  token: string;
  /** Sends an operation with the world's token (a bearer for Iceberg), its body and query. */
  send(
    op: Operation,
    o?: { url?: string; body?: unknown; rawBody?: string; query?: any; headers?: any },
  ): Promise<Response>;
}

/**
 * Sends every example in order; `onSent` sees each answer (the examples test asserts on them).
 * Needs a server started with LAKEFORM_ALARM_INTERVAL_SECONDS=1, so that an alarm record opens.
 */
export async function buildWorld(server: TestServer, onSent: (s: Sent) => void): Promise<World> {
  const ctx: Ctx = { ...NAMES, admin_password: server.adminPassword };
  const world: World = {
    ctx,
    token: '',
    send: (op, o = {}) => {
      const headers: Record<string, string> = { ...o.headers };
      if (op.wire === 'iceberg') headers.Authorization = `Bearer ${world.token}`;
      if (o.rawBody !== undefined) headers['Content-Type'] ??= 'application/json';
      return server.request(op.method, o.url ?? urlOf(op, ctx), {
        token: world.token,
        headers,
        ...(o.rawBody !== undefined ? { rawBody: o.rawBody } : o.body !== undefined ? { body: o.body } : {}),
        ...(o.query ? { query: o.query } : {}),
      });
    },
  };
  for (const step of STEPS) {
    const op = opNamed(step.op);
    if (op.name === 'AcknowledgeAlarmRecord') {
      const records = urlOf(opNamed('ListAlarmRecords'), ctx);
      ctx.record_id =
        (await poll(
          async () => (await world.send(opNamed('ListAlarmRecords'), { url: records })).json?.records?.[0]?.record_id,
          server,
        )) ?? 'none';
    }
    if (op.name === 'UpdateLakeFormationInstance') {
      const show = urlOf(opNamed('ShowLakeFormationInstance'), ctx);
      await poll(
        async () =>
          (await world.send(opNamed('ShowLakeFormationInstance'), { url: show })).json?.status === 'RUNNING' ||
          undefined,
        server,
      );
      ctx.prefix = `${ctx.instance_id}~sales`;
    }
    const example = step.body ?? EXAMPLE_BODIES[op.name];
    const response = await world.send(op, {
      ...(step.path ? { url: urlOf(op, { ...ctx, ...step.path }) } : {}),
      ...(example !== undefined ? { body: fill(example, ctx) } : {}),
      ...(step.query ? { query: step.query } : {}),
    });
    if (op.name === 'KeystoneCreateUserToken') {
      world.token = response.headers.get('x-subject-token') ?? '';
      ctx.project_id = response.json?.token?.project?.id;
    }
    if (response.status < 300 && step.capture) Object.assign(ctx, step.capture(response));
    onSent({ op, response, ...(step.expect ? { expect: step.expect } : {}) });
  }
  return world;
}
