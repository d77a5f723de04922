/**
 * The objects of caller-level actions (administrators, own objects, any caller): references by
 * id or by what the path names, resolved in the caller's domain. One missing and one of another
 * domain get the same 404, so a caller learns nothing of other accounts.
 */
import { findAccessKey } from '../../store/iam/access-keys-repository.js';
import { findProjectById } from '../../store/iam/projects-repository.js';
import { findGroupById, findUserById } from '../../store/iam/users-repository.js';
import type { AccessKeyRow, GroupRow, InstanceRow, ProjectRow, UserRow } from '../../store/schema.js';
import type { Db } from '../../store/store.js';
import { notFound } from '../errors.js';
import type { Principal } from '../iam/principal.js';
import type { CallerFacts, Decision } from './decision.js';

interface At {
  projectId: string;
  instance: string;
}
/** References to what caller-level actions address, beside an instance. */
export type SubjectRef =
  | { kind: 'project'; projectId: string }
  | { kind: 'domain'; domainId?: string }
  | (At & { kind: 'member'; userName: string })
  | { kind: 'iam-project'; id: string }
  | { kind: 'user'; id: string }
  | { kind: 'group'; id: string }
  | { kind: 'access-key'; access: string }
  /** A token the caller named, as the token service found it (no owner: it does not exist or has expired). */
  | { kind: 'token'; owner?: { userId: string; domainId: string }; missing: string };

interface Decided {
  decision: Decision;
}
export interface SubjectScopeOf {
  project: Decided & { projectId: string };
  domain: Decided & { domainId: string };
  member: Decided & { instance: InstanceRow };
  'iam-project': Decided & { project: ProjectRow };
  user: Decided & { user: UserRow };
  group: Decided & { group: GroupRow };
  'access-key': Decided & { key: AccessKeyRow; user: UserRow };
  token: Decided;
}

/** A subject found: the facts its decision reads, what the action receives, and its 404. */
export interface FoundSubject {
  facts: CallerFacts;
  scope: Record<string, unknown>;
  missing: () => Error;
}

/** Finds an IAM object of the caller's domain (the kinds that need no instance); throws its 404 when absent. */
export async function findSubject(
  db: Db,
  caller: Principal,
  ref: Exclude<SubjectRef, { kind: 'member' }>,
): Promise<FoundSubject> {
  const mine = <R extends { domain_id: string }>(row: R | undefined): row is R =>
    row !== undefined && row.domain_id === caller.domainId;
  switch (ref.kind) {
    case 'project':
      return { facts: {}, scope: { projectId: ref.projectId }, missing: () => notFound('project does not exist') };
    case 'domain': {
      const domainId = ref.domainId ?? caller.domainId;
      return { facts: { domainId }, scope: { domainId }, missing: () => notFound('domain does not exist') };
    }
    case 'iam-project': {
      const missing = () => notFound(`project ${ref.id} does not exist`);
      const project = await findProjectById(db, ref.id);
      if (!mine(project)) throw missing();
      return { facts: { domainId: project.domain_id }, scope: { project }, missing };
    }
    case 'user': {
      const missing = () => notFound(`user ${ref.id} does not exist`);
      const user = await findUserById(db, ref.id);
      if (!mine(user)) throw missing();
      return { facts: { ownerId: user.id, domainId: user.domain_id }, scope: { user }, missing };
    }
    case 'group': {
      const missing = () => notFound(`group ${ref.id} does not exist`);
      const group = await findGroupById(db, ref.id);
      if (!mine(group)) throw missing();
      return { facts: { domainId: group.domain_id }, scope: { group }, missing };
    }
    case 'access-key': {
      const missing = () => notFound(`access key ${ref.access} does not exist`);
      const key = await findAccessKey(db, ref.access);
      if (key?.kind !== 'permanent') throw missing();
      const user = await findUserById(db, key.user_id);
      if (!mine(user)) throw missing();
      return { facts: { ownerId: user.id, domainId: user.domain_id }, scope: { key, user }, missing };
    }
    case 'token': {
      const missing = () => notFound(ref.missing);
      if (!ref.owner) throw missing();
      return { facts: { ownerId: ref.owner.userId, domainId: ref.owner.domainId }, scope: {}, missing };
    }
  }
}
