import { randomUUID } from 'node:crypto';
import * as repo from '../../store/console/access-repository.js';
import type { AccessClientRow } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { Authorizer } from '../authz/authorizer.js';
import { type Clock, isoNow, systemClock } from '../clock.js';
import { invalid, notFound, ServiceError, unlessDuplicate } from '../errors.js';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';

/** How long a new access client stays CREATING: the reference's create is asynchronous (202). */
const SETTLE_MS = 1000;
/** The reference: at most 20 access clients per instance. */
export const ACCESS_CLIENT_LIMIT = 20;

export interface AccessConnection {
  domain: string;
  ip: string;
  vpcep_id: string;
  owner: string;
}

function view(r: AccessClientRow) {
  return {
    id: r.id,
    name: r.name,
    access_mode: r.access_mode,
    status: r.status,
    create_time: r.created_at,
    ...(r.vpc_id ? { vpc_id: r.vpc_id } : {}),
    ...(r.subnet_id ? { subnet_id: r.subnet_id } : {}),
    access_connections: JSON.parse(r.connections) as AccessConnection[],
  };
}

/**
 * How engines reach an instance. Instead of cloud VPC endpoints, an access client records the
 * real endpoints of this server that clients use (its REST base URL, and the protocol
 * endpoints it serves); access infos map a custom domain to them.
 */
type AccessAction =
  | 'access.apply'
  | 'access.list'
  | 'access-client.create'
  | 'access-client.list'
  | 'access-client.show'
  | 'access-client.alter'
  | 'access-client.drop';

export class AccessService {
  private readonly authz: Authorizer;

  constructor(
    private readonly store: Store,
    instances: InstanceService,
    private readonly clock: Clock = systemClock,
  ) {
    this.authz = new Authorizer(store, instances);
  }

  /** The instance of an access action, authorized by its declaration. */
  private async instance(caller: Principal, action: AccessAction, projectId: string, instanceRef: string) {
    return (await this.authz.check(caller, action, { kind: 'instance', projectId, instance: instanceRef })).instance;
  }

  /** The endpoints of this server, as a client would be given them. */
  private connections(
    baseUrl: string,
    instanceId: string,
    owner: string,
    requested: { domain?: string; vpcep_id?: string }[],
  ): AccessConnection[] {
    const url = new URL(baseUrl);
    const rest: AccessConnection = {
      domain: url.host,
      ip: url.hostname,
      vpcep_id: `lakeform-rest-${instanceId}`,
      owner,
    };
    return [
      rest,
      ...requested
        .filter((c) => c.domain)
        .map((c) => ({ domain: c.domain as string, ip: url.hostname, vpcep_id: c.vpcep_id || rest.vpcep_id, owner })),
    ];
  }

  async applyForAccess(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    items: { domain: string; vpcep_id: string }[],
  ): Promise<void> {
    const instance = await this.instance(caller, 'access.apply', projectId, instanceRef);
    const now = isoNow(this.clock);
    await this.store.transaction(async (trx) => {
      for (const i of items)
        await repo.upsertAccessInfo(trx, {
          instance_id: instance.id,
          domain: i.domain.toLowerCase(),
          vpcep_id: i.vpcep_id,
          created_at: now,
        });
    });
  }

  async listAccessInfos(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    offset: number,
    limit: number,
    baseUrl: string,
  ) {
    const instance = await this.instance(caller, 'access.list', projectId, instanceRef);
    const { rows, total } = await repo.pageAccessInfos(this.store.db, instance.id, offset, limit);
    // The service a domain reaches is this server's REST endpoint for the instance.
    return {
      access_infos: rows.map((r) => ({
        domain: r.domain,
        vpcep_service_name: `${baseUrl.replace(/\/$/, '')}/v1/${projectId}/instances/${instance.id}`,
      })),
      total,
    };
  }

  async create(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    input: {
      name: string;
      access_mode?: string;
      vpc_id?: string;
      subnet_id?: string;
      access_connections?: { domain?: string; vpcep_id?: string }[];
    },
    baseUrl: string,
  ) {
    const instance = await this.instance(caller, 'access-client.create', projectId, instanceRef);
    const mode = input.access_mode ?? 'SYSTEM';
    // The reference's mode rules: SYSTEM needs the VPC and subnet, CUSTOM the connections made outside.
    if (mode === 'SYSTEM' && (!input.vpc_id || !input.subnet_id))
      throw invalid('access_mode SYSTEM needs vpc_id and subnet_id');
    if (mode === 'CUSTOM' && !input.access_connections?.length)
      throw invalid('access_mode CUSTOM needs access_connections');
    const now = new Date(this.clock.now());
    const row: AccessClientRow = {
      id: randomUUID(),
      instance_id: instance.id,
      name: input.name,
      access_mode: mode,
      vpc_id: input.vpc_id ?? null,
      subnet_id: input.subnet_id ?? null,
      connections: JSON.stringify(
        this.connections(baseUrl, instance.id, caller.userName, input.access_connections ?? []),
      ),
      status: 'CREATING',
      ready_at: new Date(now.getTime() + SETTLE_MS).toISOString(),
      created_by: caller.userName,
      created_at: now.toISOString(),
    };
    await unlessDuplicate(`an access client named ${input.name} already exists`, () =>
      this.store.transaction(async (trx) => {
        // The instance row lock makes the count and the insert one decision on PostgreSQL.
        await repo.lockInstanceClients(this.store, trx, instance.id);
        if ((await repo.countAccessClients(trx, instance.id)) >= ACCESS_CLIENT_LIMIT)
          throw new ServiceError(
            'quota_exceeded',
            `an instance has at most ${ACCESS_CLIENT_LIMIT} access clients; delete one first`,
          );
        await repo.insertAccessClient(trx, row);
      }),
    );
    return view(row);
  }

  async list(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    f: { id?: string; name?: string },
    offset: number,
    limit: number,
  ) {
    const instance = await this.instance(caller, 'access-client.list', projectId, instanceRef);
    await repo.settleAccessClients(this.store.db, instance.id, isoNow(this.clock));
    const { rows, total } = await repo.pageAccessClients(this.store.db, instance.id, f, offset, limit);
    return { access_client_infos: rows.map(view), total };
  }

  async show(caller: Principal, projectId: string, instanceRef: string, id: string) {
    const instance = await this.instance(caller, 'access-client.show', projectId, instanceRef);
    await repo.settleAccessClients(this.store.db, instance.id, isoNow(this.clock));
    const row = await repo.findAccessClient(this.store.db, instance.id, id);
    if (!row) throw notFound(`access client ${id} does not exist`);
    return view(row);
  }

  async rename(caller: Principal, projectId: string, instanceRef: string, id: string, name: string) {
    const instance = await this.instance(caller, 'access-client.alter', projectId, instanceRef);
    const ok = await unlessDuplicate(`an access client named ${name} already exists`, () =>
      this.store.transaction((trx) => repo.renameAccessClient(trx, instance.id, id, name)),
    );
    if (!ok) throw notFound(`access client ${id} does not exist`);
    return this.show(caller, projectId, instanceRef, id);
  }

  async delete(caller: Principal, projectId: string, instanceRef: string, id: string): Promise<void> {
    const instance = await this.instance(caller, 'access-client.drop', projectId, instanceRef);
    if (!(await repo.deleteAccessClient(this.store.db, instance.id, id)))
      throw notFound(`access client ${id} does not exist`);
  }
}
