/**
 * The catalog of authorizable actions: every domain action a protocol can reach, declared once
 * with what it needs and on which object. Protocols name actions (`table.drop`); the LakeCat
 * services enforce them through one wrapper (authorizer.ts); the decision itself is pure
 * (decision.ts).
 */

/** Objects an action can address, from the instance down. */
export type ObjectKind = 'instance' | 'catalog' | 'database' | 'table' | 'function' | 'dataset';

/**
 * What an action needs:
 * - `see`: the object must be visible to the caller (else it is reported missing, 404);
 * - `privilege`: visible, and one of the privileges granted on it or above (else 403 naming the first);
 * - `within`: the container (catalog or database) the action works beneath must be visible
 *   (listings; what they show is filtered by the same grants, in SQL);
 * - `create`: the container visible, and the privilege to create in it (its owner, an
 *   administrator, or the grant on it or above);
 * - `admin`: an administrator of the project;
 * - `own`: the caller's own object (their user, keys, tokens), or an administrator;
 * - `authenticated`: any authenticated caller of the project;
 * - `public`: no caller is needed (the operation proves identity by other means).
 */
export type Requirement =
  | { kind: 'see'; object: Exclude<ObjectKind, 'instance'> }
  | { kind: 'privilege'; object: Exclude<ObjectKind, 'instance'>; privileges: readonly [string, ...string[]] }
  | { kind: 'within'; object: 'catalog' | 'database' }
  | {
      kind: 'create';
      object: 'catalog' | 'database';
      privilege: string;
      creates: 'database' | 'table' | 'function' | 'dataset';
    }
  | { kind: 'admin'; refusal: string }
  | { kind: 'own' }
  | { kind: 'authenticated' }
  | { kind: 'public' };

type Named = Exclude<ObjectKind, 'instance'>;
type Container = 'catalog' | 'database';
const see = <O extends Named>(object: O) => ({ kind: 'see', object }) as const;
const priv = <O extends Named>(object: O, ...privileges: [string, ...string[]]) =>
  ({ kind: 'privilege', object, privileges }) as const;
const within = <O extends Container>(object: O) => ({ kind: 'within', object }) as const;
const create = <O extends Container>(
  object: O,
  privilege: string,
  creates: 'database' | 'table' | 'function' | 'dataset',
) => ({ kind: 'create', object, privilege, creates }) as const;
const admin = (refusal: string) => ({ kind: 'admin', refusal }) as const;
const own = { kind: 'own' } as const;
const authenticated = { kind: 'authenticated' } as const;
const open = { kind: 'public' } as const;

const PROJECT_ADMIN = 'an administrator of the project';
const DOMAIN_ADMIN = 'this operation needs an administrator of the domain (member of the admin group)';

/** Every action, once. A protocol entry names one of these; the server refuses to start otherwise. */
export const ACTIONS = {
  // LakeCat, enforced by the authorizer.
  'catalog.create': admin(`creating a catalog needs ${PROJECT_ADMIN}`),
  'catalog.list': authenticated,
  'catalog.show': see('catalog'),
  'catalog.alter': priv('catalog', 'ALTER'),
  'catalog.drop': priv('catalog', 'DROP'),
  'database.create': create('catalog', 'CREATE_DATABASE', 'database'),
  'database.list': within('catalog'),
  'database.show': see('database'),
  'database.alter': priv('database', 'ALTER'),
  'database.drop': priv('database', 'DROP'),
  'database.restore': priv('catalog', 'DROP'),
  'recycle-bin.purge': admin(`purging the recycle bin needs ${PROJECT_ADMIN}`),
  'recycle-bin.show': authenticated,
  'recycle-bin.configure': admin(`setting the recycle bin retention needs ${PROJECT_ADMIN}`),
  'table.create': create('database', 'CREATE_TABLE', 'table'),
  'table.list': within('database'),
  'table.search': within('catalog'),
  'table.show': see('table'),
  // The kept versions of a table (a lakeform extension): what ShowTable with version_id shows.
  'table.versions': see('table'),
  'table.alter': priv('table', 'ALTER'),
  'table.drop': priv('table', 'DROP'),
  // A dropped table is restored by whoever could drop tables of its database (the table itself is gone).
  'table.restore': priv('database', 'DROP'),
  'table.truncate': priv('table', 'DELETE'),
  'table.select': priv('table', 'SELECT'),
  'table.insert': priv('table', 'INSERT'),
  // Iceberg's loadCredentials: the table must show; what the credential reaches follows SELECT and INSERT.
  'credential.show': see('table'),
  'partition.add': priv('table', 'ALTER'),
  'partition.list': see('table'),
  'partition.alter': priv('table', 'ALTER'),
  'partition.drop': priv('table', 'DROP'),
  'partition.truncate': priv('table', 'DELETE'),
  'statistics.show': see('table'),
  'statistics.update': priv('table', 'ALTER'),
  'statistics.delete': priv('table', 'ALTER'),
  'constraint.create': priv('table', 'ALTER'),
  'constraint.list': see('table'),
  'constraint.drop': priv('table', 'ALTER'),
  'function.create': create('database', 'CREATE_FUNC', 'function'),
  'function.list': within('database'),
  'function.search': within('catalog'),
  'function.show': see('function'),
  'function.alter': priv('function', 'ALTER'),
  'function.drop': priv('function', 'DROP'),
  'dataset.create': create('database', 'CREATE_TABLE', 'dataset'),
  'dataset.list': within('database'),
  'dataset.show': see('dataset'),
  'dataset.alter': priv('dataset', 'ALTER'),
  'dataset.drop': priv('dataset', 'DROP'),
  'metadata.count': authenticated,
  'metadata.configs': authenticated,
  'metadata.events': admin(`reading the metadata event log needs ${PROJECT_ADMIN}`),
  // Protocol housekeeping that reads or writes no metadata: service status, identity assertion, name parsing.
  'service.status': open,
  'session.identify': open,

  // Governance (checked by the role and policy services).
  'role.create': admin(`managing roles, users and groups of an instance needs ${PROJECT_ADMIN}`),
  'role.list': admin(`managing roles, users and groups of an instance needs ${PROJECT_ADMIN}`),
  'role.show': admin(`managing roles, users and groups of an instance needs ${PROJECT_ADMIN}`),
  'role.alter': admin(`managing roles, users and groups of an instance needs ${PROJECT_ADMIN}`),
  'role.drop': admin(`managing roles, users and groups of an instance needs ${PROJECT_ADMIN}`),
  'role.list-members': admin(`managing roles, users and groups of an instance needs ${PROJECT_ADMIN}`),
  'role.grant-members': admin(`managing roles, users and groups of an instance needs ${PROJECT_ADMIN}`),
  'role.list-principals': admin(`managing roles, users and groups of an instance needs ${PROJECT_ADMIN}`),
  'role.list-of-user': own,
  'role.grant-to-user': admin(`granting roles needs ${PROJECT_ADMIN}`),
  // Granting also opens to owners and holders of a grant option (the policy service checks each resource).
  'policy.grant': authenticated,
  'policy.revoke': authenticated,
  'policy.check': admin(`granting, revoking and reading policies needs ${PROJECT_ADMIN}`),
  'policy.list': admin(`granting, revoking and reading policies needs ${PROJECT_ADMIN}`),
  'policy.sync': admin(`granting, revoking and reading policies needs ${PROJECT_ADMIN}`),
  'audit.list': admin(`reading the audit trail needs ${PROJECT_ADMIN}`),

  // Instances, jobs, alarms (checked by their services).
  'instance.create': admin('managing instances needs an administrator of the domain (member of the admin group)'),
  'instance.list': authenticated,
  'instance.show': authenticated,
  'instance.alter': admin('managing instances needs an administrator of the domain (member of the admin group)'),
  'instance.drop': admin('managing instances needs an administrator of the domain (member of the admin group)'),
  'instance.restore': admin('managing instances needs an administrator of the domain (member of the admin group)'),
  'instance.tag': admin('managing instances needs an administrator of the domain (member of the admin group)'),
  'instance.list-tags': authenticated,
  'spec.list': authenticated,
  'quota.list': authenticated,
  'job.create': admin(`jobs are managed by administrators of the project`),
  'job.list': admin(`jobs are managed by administrators of the project`),
  'job.show': admin(`jobs are managed by administrators of the project`),
  'job.alter': admin(`jobs are managed by administrators of the project`),
  'job.drop': admin(`jobs are managed by administrators of the project`),
  'job.start': admin(`jobs are managed by administrators of the project`),
  'job.stop': admin(`jobs are managed by administrators of the project`),
  'alarm.create': admin(`alarms of an instance are managed and read by administrators of the project`),
  'alarm.list': admin(`alarms of an instance are managed and read by administrators of the project`),
  'alarm.show': admin(`alarms of an instance are managed and read by administrators of the project`),
  'alarm.alter': admin(`alarms of an instance are managed and read by administrators of the project`),
  'alarm.drop': admin(`alarms of an instance are managed and read by administrators of the project`),
  'alarm.acknowledge': admin(`alarms of an instance are managed and read by administrators of the project`),

  // Console (checked by the console services).
  'agreement.show': authenticated,
  'agreement.sign': admin(`signing agreements needs ${PROJECT_ADMIN}`),
  'agreement.withdraw': admin(`withdrawing agreements needs ${PROJECT_ADMIN}`),
  'access-service.authorize': admin(`authorizing access services needs ${PROJECT_ADMIN}`),
  'access-service.show': authenticated,
  'agency.create': admin('creating an agency needs an administrator of the account'),
  'agency.show': authenticated,
  'agency.drop': admin('deleting an agency needs an administrator of the account'),
  'agency.credential': admin('the table service credential is issued to administrators only'),
  'location.authorize': admin('authorizing storage locations needs an administrator of the account'),
  'location.list': authenticated,
  'location.cancel': admin('withdrawing storage locations needs an administrator of the account'),
  'storage.browse': admin(`browsing object storage needs ${PROJECT_ADMIN}`),
  'access.apply': authenticated,
  'access.list': authenticated,
  'access-client.create': admin(`managing access to an instance needs ${PROJECT_ADMIN}`),
  'access-client.list': authenticated,
  'access-client.show': authenticated,
  'access-client.alter': admin(`managing access to an instance needs ${PROJECT_ADMIN}`),
  'access-client.drop': admin(`managing access to an instance needs ${PROJECT_ADMIN}`),
  // Admins for anyone; others for themselves on a table they hold SELECT (or INSERT) on.
  'credential.vend': authenticated,

  // IAM (checked by the identity, token and access-key services).
  'token.create': open,
  'token.validate': authenticated,
  'token.revoke': authenticated,
  'project.list': admin(DOMAIN_ADMIN),
  'project.list-own': authenticated,
  'project.create': admin(DOMAIN_ADMIN),
  'project.show': admin(DOMAIN_ADMIN),
  'project.alter': admin(DOMAIN_ADMIN),
  'project.drop': admin(DOMAIN_ADMIN),
  'user.list': admin(DOMAIN_ADMIN),
  'user.create': admin(DOMAIN_ADMIN),
  'user.show': own,
  'user.alter': own,
  'user.drop': admin(DOMAIN_ADMIN),
  'user.list-groups': own,
  'group.list': admin(DOMAIN_ADMIN),
  'group.create': admin(DOMAIN_ADMIN),
  'group.show': admin(DOMAIN_ADMIN),
  'group.alter': admin(DOMAIN_ADMIN),
  'group.drop': admin(DOMAIN_ADMIN),
  'group.list-members': admin(DOMAIN_ADMIN),
  'group.add-member': admin(DOMAIN_ADMIN),
  'group.check-member': admin(DOMAIN_ADMIN),
  'group.remove-member': admin(DOMAIN_ADMIN),
  'access-key.create': own,
  'access-key.list': own,
  'access-key.show': own,
  'access-key.alter': own,
  'access-key.drop': own,
  'access-key.create-temporary': authenticated,
} as const satisfies Record<string, Requirement>;

export type ActionName = keyof typeof ACTIONS;

/** The declaration of an action by name (for protocols that look actions up at run time). */
export function declarationOf(name: string): Requirement | undefined {
  return Object.hasOwn(ACTIONS, name) ? (ACTIONS as Record<string, Requirement>)[name] : undefined;
}

export const isActionName = (name: string): name is ActionName => declarationOf(name) !== undefined;

/** An entry of a protocol's table: an operation, an Iceberg endpoint or a Thrift method. */
export interface ActionEntry {
  name: string;
  action?: string;
}

/**
 * The start-up check: every entry names an action, and every named action is declared.
 * Returns the problems, one line each (empty when all is well); see assertDeclarations.
 */
export function checkDeclarations(entries: readonly ActionEntry[]): string[] {
  const problems: string[] = [];
  for (const e of entries) {
    if (!e.action) problems.push(`${e.name} names no action`);
    else if (!isActionName(e.action)) problems.push(`${e.name} names action ${e.action}, which has no declaration`);
  }
  return problems;
}

/** Throws (refusing to start) when checkDeclarations finds a problem. */
export function assertDeclarations(entries: readonly ActionEntry[], what = 'operation'): void {
  const problems = checkDeclarations(entries);
  if (problems.length) throw new Error(`every ${what} must name a declared action: ${problems.join('; ')}`);
}
