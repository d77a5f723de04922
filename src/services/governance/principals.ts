import { findRole } from '../../store/governance/role-repository.js';
import { findGroupByName, findUserByName } from '../../store/iam/users-repository.js';
import type { Db } from '../../store/store.js';

/** The source of a role as a grantee or member: roles are the instance's own. */
export const ROLE_SOURCE = 'LOCAL';

/** A grantee or role member: an IAM user or group, a user or group of an external directory, or a role. */
export interface PrincipalRef {
  principal_name: string;
  principal_source: string;
  principal_type: string;
}

/**
 * What of these principals does not exist: IAM users and groups of the domain, and roles of the instance (external
 * directories cannot be checked).
 */
export async function missingPrincipals(
  q: Db,
  domainId: string,
  instanceId: string,
  principals: PrincipalRef[],
): Promise<string[]> {
  const errors: string[] = [];
  for (const p of principals) {
    if (
      p.principal_type === 'USER' &&
      p.principal_source === 'IAM' &&
      !(await findUserByName(q, domainId, p.principal_name))
    )
      errors.push(`IAM user ${p.principal_name} does not exist`);
    if (
      p.principal_type === 'GROUP' &&
      p.principal_source === 'IAM' &&
      !(await findGroupByName(q, domainId, p.principal_name))
    )
      errors.push(`IAM group ${p.principal_name} does not exist`);
    if (p.principal_type === 'ROLE' && !(await findRole(q, instanceId, p.principal_name.toLowerCase())))
      errors.push(`role ${p.principal_name.toLowerCase()} does not exist`);
  }
  return errors;
}
