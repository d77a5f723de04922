import type { AuditEventRow } from '../schema.js';
import type { Db } from '../store.js';

export type NewAuditEvent = Omit<AuditEventRow, 'id' | 'created_at'> & { created_at?: string };

/** Appends to the audit trail; inside the transaction of the change it records, where there is one. */
export async function appendAudit(q: Db, e: NewAuditEvent): Promise<void> {
  await q
    .insertInto('audit_events')
    .values({ ...e, created_at: e.created_at ?? new Date().toISOString() })
    .execute();
}

export interface AuditFilter {
  projectId: string;
  instanceId?: string;
  result?: string;
}

function filtered(q: Db, f: AuditFilter) {
  let query = q.selectFrom('audit_events').where('project_id', '=', f.projectId);
  if (f.instanceId !== undefined) query = query.where('instance_id', '=', f.instanceId);
  if (f.result !== undefined) query = query.where('result', '=', f.result);
  return query;
}

/** Newest first, keyset-paged by id. */
export async function pageAudit(q: Db, f: AuditFilter, limit: number, beforeId?: number) {
  let query = filtered(q, f).selectAll();
  if (beforeId !== undefined) query = query.where('id', '<', beforeId);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  return { rows: rows.slice(0, limit).map((r) => ({ ...r, id: Number(r.id) })), more: rows.length > limit };
}
