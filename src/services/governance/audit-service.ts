import { appendAudit, pageAudit } from '../../store/governance/audit-repository.js';
import type { Store } from '../../store/store.js';
import { Authorizer } from '../authz/authorizer.js';
import { type Clock, isoNow, systemClock } from '../clock.js';
import { invalid } from '../errors.js';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';

/** The governance audit trail: changes to grants and roles (written with them) and refused requests. */
export class AuditService {
  private readonly authz: Authorizer;

  constructor(
    private readonly store: Store,
    private readonly instances: InstanceService,
    // The refusals' times, which the DENIED_REQUEST_RATE alarms count over a window of the same clock.
    private readonly clock: Clock = systemClock,
  ) {
    this.authz = new Authorizer(store, instances);
  }

  /** A request refused for want of a privilege. The instance is as the path named it. */
  async denied(
    caller: Principal,
    projectId: string,
    instanceRef: string | undefined,
    operation: string,
    path: string,
    reason: string,
  ): Promise<void> {
    const instanceId =
      instanceRef === undefined
        ? null
        : await this.instances.active(projectId, instanceRef).then(
            (i) => i.id,
            () => null,
          );
    await appendAudit(this.store.db, {
      project_id: projectId,
      instance_id: instanceId,
      principal: caller.userName,
      action: operation,
      resource: path.slice(0, 4000),
      result: 'denied',
      detail: reason.slice(0, 4000),
      created_at: isoNow(this.clock),
    });
  }

  /** Newest first; administrators of the project only. */
  async list(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    q: { limit: number; marker?: string; result?: string },
  ) {
    const at = { kind: 'instance', projectId, instance: instanceRef } as const;
    const { instance } = await this.authz.check(caller, 'audit.list', at);
    const before = q.marker === undefined ? undefined : Number(q.marker);
    if (before !== undefined && (!Number.isSafeInteger(before) || before < 0))
      throw invalid(`marker '${q.marker}' is not an audit event id`);
    const { rows, more } = await pageAudit(
      this.store.db,
      { projectId, instanceId: instance.id, result: q.result },
      q.limit,
      before,
    );
    const last = rows[rows.length - 1];
    return {
      audit_events: rows.map((r) => ({
        id: r.id,
        time: r.created_at,
        principal: r.principal,
        action: r.action,
        resource: r.resource,
        result: r.result,
        ...(r.detail ? { detail: r.detail } : {}),
      })),
      page_info: { current_count: rows.length, ...(more && last ? { next_marker: String(last.id) } : {}) },
    };
  }
}
