import { Type } from 'typebox';
import type { AppServices } from '../../../services/app-services.js';
import { type Operation, operation } from '../../operation.js';
import { InstanceScope } from '../../schemas/lakecat.js';

const GROUP = 'LakeCat/RecycleBin';

const Retention = Type.Object({ retention_days: Type.Integer(), default_retention_days: Type.Integer() });

// lakeform extensions: the instance's metadata recycle bin (dropped databases and tables). Its
// entries are listed by ListDatabases and ListTables with deleted=true and restored by
// RestoreDatabase and RestoreTable; these operations set how long they stay and purge them.
export function recycleBinOperations(s: AppServices): Operation[] {
  const base = '/v1/{project_id}/instances/{instance_id}/recycle-bin';
  return [
    operation({
      name: 'ShowRecycleBin',
      action: 'recycle-bin.show',
      group: GROUP,
      method: 'GET',
      path: base,
      status: 200,
      params: InstanceScope,
      rateLimited: true,
      response: Retention,
      handler: ({ principal, params }) => s.recycleBin.retention(principal, params.project_id, params.instance_id),
    }),
    operation({
      name: 'UpdateRecycleBin',
      action: 'recycle-bin.configure',
      group: GROUP,
      method: 'PUT',
      path: base,
      status: 200,
      params: InstanceScope,
      rateLimited: true,
      body: Type.Object({ retention_days: Type.Integer({ minimum: 0, maximum: 3650 }) }),
      response: Retention,
      handler: ({ principal, params, body }) =>
        s.recycleBin.setRetention(principal, params.project_id, params.instance_id, body.retention_days),
    }),
    operation({
      name: 'PurgeRecycleBin',
      action: 'recycle-bin.purge',
      group: GROUP,
      method: 'DELETE',
      path: base,
      status: 200,
      params: InstanceScope,
      rateLimited: true,
      response: Type.Object({ purged: Type.Integer() }),
      handler: async ({ principal, params }) => ({
        purged: await s.recycleBin.purge(principal, params.project_id, params.instance_id),
      }),
    }),
    operation({
      name: 'PurgeRecycleBinEntry',
      action: 'recycle-bin.purge',
      group: GROUP,
      method: 'DELETE',
      path: `${base}/{recycle_bin_id}`,
      status: 200,
      params: Type.Object({
        ...InstanceScope.properties,
        recycle_bin_id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-f0-9]+$' }),
      }),
      rateLimited: true,
      response: Type.Object({ purged: Type.Integer() }),
      handler: async ({ principal, params }) => ({
        purged: await s.recycleBin.purge(principal, params.project_id, params.instance_id, params.recycle_bin_id),
      }),
    }),
  ];
}
