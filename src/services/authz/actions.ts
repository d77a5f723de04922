/**
 * The catalog of authorizable actions: every domain action a protocol can reach, declared once
 * with what it needs and on which object. Protocols name actions (`table.drop`); the LakeCat
 * services enforce them through one wrapper (authorizer.ts); the decision itself is pure
 * (decision.ts).
 */

/** Objects of the LakeCat tree an action can address, from the instance down. */
export type ObjectKind = 'instance' | 'catalog' | 'database' | 'table' | 'function' | 'dataset';

/**
 * What the caller-level requirements (admin, own, authenticated) are about, beside an instance:
 * - `project`: the LakeFormation project of the path (its scope is checked by the protocol);
 * - `domain`: the caller's account (IAM creates and lists, agencies, storage locations);
 * - `member`: a user of an instance named in the path (their roles), known by name;
 * - `iam-project`, `user`, `group`, `access-key`: IAM objects by id, found in the caller's domain;
 * - `token`: a token the protocol found, with its owner.
 */
export type Subject =
  | 'instance'
  | 'project'
  | 'domain'
  | 'member'
  | 'iam-project'
  | 'user'
  | 'group'
  | 'access-key'
  | 'token';

/**
 * What an action needs:
 * - `see`: the object must be visible to the caller (else it is reported missing, 404);
 * - `privilege`: visible, and one of the privileges granted on it or above (else 403 naming the first);
 * - `within`: the container (catalog or database) the action works beneath must be visible
 *   (listings; what they show is filtered by the same grants, in SQL);
 * - `create`: the container visible, and the privilege to create in it (its owner, an
 *   administrator, or the grant on it or above);
 * - `admin`: an administrator (of the caller's domain, which holds the project) - else 403 `refusal`;
 * - `own`: the caller's own object (their user, roles, keys, tokens), or an administrator; others'
 *   are a 403 `refusal`, or missing (404) when the declaration gives none;
 * - `authenticated`: any authenticated caller (the object must still exist, in the caller's domain);
 * - `public`: no caller is needed (the operation proves identity by other means).
 * `on` names what a caller-level requirement is about, and so the reference its action takes.
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
  | { kind: 'admin'; on: Subject; refusal: string }
  | { kind: 'own'; on: 'member' | 'user' | 'access-key' | 'token'; refusal?: string }
  | { kind: 'authenticated'; on: Subject }
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
const admin = <S extends Subject>(on: S, refusal: string) => ({ kind: 'admin', on, refusal }) as const;
const own = <S extends 'member' | 'user' | 'access-key' | 'token'>(on: S, refusal?: string) =>
  (refusal === undefined ? { kind: 'own', on } : { kind: 'own', on, refusal }) as {
    kind: 'own';
    on: S;
    refusal?: string;
  };
const authenticated = <S extends Subject>(on: S) => ({ kind: 'authenticated', on }) as const;
const open = { kind: 'public' } as const;

const PROJECT_ADMIN = 'an administrator of the project';
const DOMAIN_ADMIN = 'this operation needs an administrator of the domain (member of the admin group)';
const ROLES = `managing roles, users and groups of an instance needs ${PROJECT_ADMIN}`;
const POLICIES = `granting, revoking and reading policies needs ${PROJECT_ADMIN}`;
const INSTANCES = 'managing instances needs an administrator of the domain (member of the admin group)';
const JOBS = 'jobs are managed by administrators of the project';
const ALARMS = 'alarms of an instance are managed and read by administrators of the project';
const ACCESS = `managing access to an instance needs ${PROJECT_ADMIN}`;
const OTHERS_KEYS = 'only an administrator may manage the access keys of another user';

/** Every action, once. A protocol entry names one of these; the server refuses to start otherwise. */
export const ACTIONS = {
  // LakeCat.
  'catalog.create': admin('instance', `creating a catalog needs ${PROJECT_ADMIN}`),
  'catalog.list': authenticated('instance'),
  'catalog.show': see('catalog'),
  'catalog.alter': priv('catalog', 'ALTER'),
  'catalog.drop': priv('catalog', 'DROP'),
  'database.create': create('catalog', 'CREATE_DATABASE', 'database'),
  'database.list': within('catalog'),
  'database.show': see('database'),
  'database.alter': priv('database', 'ALTER'),
  'database.drop': priv('database', 'DROP'),
  'database.restore': priv('catalog', 'DROP'),
  'recycle-bin.purge': admin('instance', `purging the recycle bin needs ${PROJECT_ADMIN}`),
  'recycle-bin.show': authenticated('instance'),
  'recycle-bin.configure': admin('instance', `setting the recycle bin retention needs ${PROJECT_ADMIN}`),
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
  // Iceberg's loadCredentials: READ_WRITE with INSERT, READ with SELECT (the credential service decides which).
  'credential.show': priv('table', 'SELECT', 'INSERT'),
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
  'metadata.count': authenticated('instance'),
  'metadata.configs': authenticated('instance'),
  'metadata.events': admin('instance', `reading the metadata event log needs ${PROJECT_ADMIN}`),
  // Protocol housekeeping that reads or writes no metadata: service status, identity assertion, name parsing.
  'service.status': open,
  'session.identify': open,

  // Governance.
  'role.create': admin('instance', ROLES),
  'role.list': admin('instance', ROLES),
  'role.show': admin('instance', ROLES),
  'role.alter': admin('instance', ROLES),
  'role.drop': admin('instance', ROLES),
  'role.list-members': admin('instance', ROLES),
  'role.grant-members': admin('instance', ROLES),
  'role.list-principals': admin('instance', ROLES),
  'role.list-of-user': own('member', "a user may list only their own roles; other users' need an administrator"),
  'role.grant-to-user': admin('instance', `granting roles needs ${PROJECT_ADMIN}`),
  // Granting also opens to owners and holders of a grant option (the policy service checks each resource).
  'policy.grant': authenticated('instance'),
  'policy.revoke': authenticated('instance'),
  'policy.check': admin('instance', POLICIES),
  'policy.list': admin('instance', POLICIES),
  'policy.sync': admin('instance', POLICIES),
  'audit.list': admin('instance', `reading the audit trail needs ${PROJECT_ADMIN}`),

  // Instances, jobs, alarms.
  'instance.create': admin('project', INSTANCES),
  'instance.list': authenticated('project'),
  'instance.show': authenticated('project'),
  'instance.alter': admin('project', INSTANCES),
  'instance.drop': admin('project', INSTANCES),
  'instance.restore': admin('project', INSTANCES),
  'instance.tag': admin('project', INSTANCES),
  'instance.list-tags': authenticated('project'),
  'spec.list': authenticated('project'),
  'quota.list': authenticated('project'),
  'job.create': admin('instance', JOBS),
  'job.list': admin('instance', JOBS),
  'job.show': admin('instance', JOBS),
  'job.alter': admin('instance', JOBS),
  'job.drop': admin('instance', JOBS),
  'job.start': admin('instance', JOBS),
  'job.stop': admin('instance', JOBS),
  'alarm.create': admin('instance', ALARMS),
  'alarm.list': admin('instance', ALARMS),
  'alarm.show': admin('instance', ALARMS),
  'alarm.alter': admin('instance', ALARMS),
  'alarm.drop': admin('instance', ALARMS),
  'alarm.acknowledge': admin('instance', ALARMS),

  // Console.
  'agreement.show': authenticated('project'),
  'agreement.sign': admin('project', `signing agreements needs ${PROJECT_ADMIN}`),
  'agreement.withdraw': admin('project', `withdrawing agreements needs ${PROJECT_ADMIN}`),
  'access-service.authorize': admin('project', `authorizing access services needs ${PROJECT_ADMIN}`),
  'access-service.show': authenticated('project'),
  'agency.create': admin('domain', 'creating an agency needs an administrator of the account'),
  'agency.show': authenticated('domain'),
  'agency.drop': admin('domain', 'deleting an agency needs an administrator of the account'),
  'agency.credential': admin('domain', 'the table service credential is issued to administrators only'),
  'location.authorize': admin('domain', 'authorizing storage locations needs an administrator of the account'),
  'location.list': authenticated('domain'),
  'location.cancel': admin('domain', 'withdrawing storage locations needs an administrator of the account'),
  // A vended storage credential lists its own prefixes instead (the service checks its scope).
  'storage.browse': admin('project', `browsing object storage needs ${PROJECT_ADMIN}`),
  'access.apply': admin('instance', ACCESS),
  'access.list': authenticated('instance'),
  'access-client.create': admin('instance', ACCESS),
  'access-client.list': authenticated('instance'),
  'access-client.show': authenticated('instance'),
  'access-client.alter': admin('instance', ACCESS),
  'access-client.drop': admin('instance', ACCESS),
  // Admins for anyone; others for themselves on a table they hold SELECT (or INSERT) on (checked per request).
  'credential.vend': authenticated('instance'),

  // IAM.
  'token.create': open,
  'token.validate': own('token'),
  'token.revoke': own('token'),
  // Listings of the caller's domain: what a non-administrator sees is filtered, not refused.
  'project.list': authenticated('domain'),
  'project.list-own': authenticated('domain'),
  'project.create': admin('domain', DOMAIN_ADMIN),
  'project.show': authenticated('iam-project'),
  'project.alter': admin('iam-project', DOMAIN_ADMIN),
  'project.drop': admin('iam-project', DOMAIN_ADMIN),
  'user.list': admin('domain', DOMAIN_ADMIN),
  'user.create': admin('domain', DOMAIN_ADMIN),
  'user.show': own('user', DOMAIN_ADMIN),
  'user.alter': own('user', DOMAIN_ADMIN),
  // Within user.alter: users change their own password and description, the rest is for administrators.
  'user.alter-account': admin('user', 'only an administrator may rename, enable or disable a user'),
  'user.drop': admin('user', DOMAIN_ADMIN),
  'user.list-groups': own('user', DOMAIN_ADMIN),
  'group.list': authenticated('domain'),
  'group.create': admin('domain', DOMAIN_ADMIN),
  'group.show': authenticated('group'),
  'group.alter': admin('group', DOMAIN_ADMIN),
  'group.drop': admin('group', DOMAIN_ADMIN),
  'group.list-members': authenticated('group'),
  'group.add-member': admin('group', DOMAIN_ADMIN),
  'group.check-member': authenticated('group'),
  'group.remove-member': admin('group', DOMAIN_ADMIN),
  'access-key.create': own('user', OTHERS_KEYS),
  'access-key.list': own('user', OTHERS_KEYS),
  'access-key.show': own('access-key'),
  'access-key.alter': own('access-key'),
  'access-key.drop': own('access-key'),
  'access-key.create-temporary': authenticated('domain'),
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
