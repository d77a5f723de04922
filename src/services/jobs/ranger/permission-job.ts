import type { ObjectStorage } from '../../../storage/object-storage.js';
import type { LocationService } from '../../console/location-service.js';
import { storageCoordinates } from '../../console/location-service.js';
import type { PolicyService } from '../../governance/policy-service.js';
import type { JobContext, JobHandler } from '../job-runner.js';
import { mapRangerExport, type PrincipalMappingRules } from './ranger-import.js';

interface PermissionParameter {
  location: string;
  file_name: string;
  policy_type?: string;
  catalog_id?: string;
  ranger_permission_migration_principal_relas?: PrincipalMappingRules;
}

/** Largest export read into memory: a Ranger export of many thousand policies is a few MB. */
const MAX_EXPORT_BYTES = 64 * 1024 * 1024;

/**
 * PERMISSION_MIGRATION: reads an Apache Ranger policy export from `location`/`file_name` in
 * storage, maps it (principal rules, Hive resources, access types, masks and row filters) and
 * grants the result through the policy service as the job's creator. What cannot be expressed
 * is reported line by line in the run's log, never dropped silently.
 */
export function permissionJob(deps: {
  storage: ObjectStorage;
  localWarehouse: string | undefined;
  locations: LocationService;
  policies: PolicyService;
}): JobHandler {
  return async (ctx: JobContext) => {
    const p = ctx.parameter.permission_migration_parameter as PermissionParameter;
    if (p.policy_type && p.policy_type.toUpperCase() !== 'RANGER')
      throw new Error(
        `policy_type ${p.policy_type} is not supported: this server imports Apache Ranger exports (RANGER)`,
      );
    if (p.file_name.includes('/') || p.file_name === '..' || p.file_name === '.')
      throw new Error('file_name must be a file name inside location, without folders');
    const folder = storageCoordinates(p.location, deps.localWarehouse);
    if (!folder) throw new Error(`location ${p.location} is not a location of the object storage`);
    await deps.locations.assertUsable(ctx.actor, ctx.job.instance_id, p.location);
    const key = folder.key ? `${folder.key}/${p.file_name}` : p.file_name;
    ctx.progress({ step: 'reading the export' });
    const info = await deps.storage.headObject(folder.bucket, key);
    if (!info) throw new Error(`${p.location}/${p.file_name} does not exist`);
    if (info.size > MAX_EXPORT_BYTES)
      throw new Error(`${p.file_name} is ${info.size} bytes; at most ${MAX_EXPORT_BYTES} are read`);
    let exported: unknown;
    try {
      exported = JSON.parse((await deps.storage.getObject(folder.bucket, key)).toString('utf8'));
    } catch (err) {
      throw new Error(`${p.file_name} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    const catalog = p.catalog_id || 'hive';
    const result = mapRangerExport(exported, p.ranger_permission_migration_principal_relas ?? {}, { catalog });
    for (const line of result.report) {
      const which = line.policy
        ? `policy ${line.policy.id ?? ''}${line.policy.name ? ` (${line.policy.name})` : ''}: `
        : '';
      ctx.log(line.level, `${which}${line.message}`);
    }
    ctx.count('skipped', result.counts.skipped);
    ctx.progress({ step: 'granting', done: 0, total: result.grants.length });
    let done = 0;
    for (const grant of result.grants) {
      if (ctx.stopped) return;
      try {
        await deps.policies.grant(ctx.actor, ctx.job.project_id, ctx.job.instance_id, grant);
        ctx.count('created');
      } catch (err) {
        ctx.log(
          'error',
          `grant of ${grant.permissions.join(',')} to ` +
            `${grant.principal_list.map((x) => x.principal_name).join(',')}: ` +
            `${err instanceof Error ? err.message : String(err)}`,
        );
        ctx.count('failed');
      }
      ctx.progress({ done: ++done });
    }
    ctx.log(
      'info',
      `${result.counts.policies} Ranger policies read: ` +
        `${result.grants.length} grant(s) from ${result.counts.imported} ` +
        `policies, ${result.counts.skipped} skipped`,
    );
  };
}
