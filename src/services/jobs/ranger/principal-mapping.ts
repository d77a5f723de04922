import type { PrincipalRef } from '../../governance/principals.js';

/**
 * How Ranger's users, groups and roles become lakeform principals (the job's
 * `ranger_permission_migration_principal_relas`). `*_prefix`/`*_suffix` wrap the name;
 * `*_to` picks the target as `<SOURCE>_<TYPE>` (any case): source IAM, SAML, LDAP or LOCAL, type USER,
 * GROUP or ROLE (roles are lakeform's own, so only `LOCAL_ROLE`, also spelled `ROLE`).
 * Unset or empty means IAM_USER for users, IAM_GROUP for groups, LOCAL_ROLE for roles.
 */
export interface PrincipalMappingRules {
  user_to?: string;
  user_prefix?: string;
  user_suffix?: string;
  group_to?: string;
  group_prefix?: string;
  group_suffix?: string;
  role_to?: string;
  role_prefix?: string;
  role_suffix?: string;
}

export type RangerPrincipalKind = 'user' | 'group' | 'role';

const SOURCES = ['IAM', 'SAML', 'LDAP', 'LOCAL'];
const TYPES = ['USER', 'GROUP', 'ROLE'];
const DEFAULTS: Record<RangerPrincipalKind, string> = { user: 'IAM_USER', group: 'IAM_GROUP', role: 'LOCAL_ROLE' };
/** What the grant operation accepts as a principal name. */
const PRINCIPAL_NAME = /^[A-Za-z0-9_]{1,49}$/;

/** Ranger's placeholders for "whoever owns the resource" and "the requesting user", and its everyone-group. */
const SPECIAL: Record<RangerPrincipalKind, Set<string>> = {
  user: new Set(['{OWNER}', '{USER}']),
  group: new Set(['public']),
  role: new Set(),
};

function parseTarget(value: string): { principal_type: string; principal_source: string } | undefined {
  const v = value.trim().toUpperCase();
  if (v === 'ROLE' || v === 'LOCAL_ROLE') return { principal_type: 'ROLE', principal_source: 'LOCAL' };
  const [source, type, ...rest] = v.split('_');
  if (rest.length || !source || !type || !SOURCES.includes(source) || !TYPES.includes(type) || type === 'ROLE')
    return undefined;
  return { principal_type: type, principal_source: source };
}

export type MappedPrincipal = { principal: PrincipalRef } | { skipped: string };

export class PrincipalMapper {
  /** Rules that could not be read: their principals are skipped rather than sent somewhere unintended. */
  readonly problems: string[] = [];
  private readonly targets = new Map<
    RangerPrincipalKind,
    { principal_type: string; principal_source: string } | undefined
  >();

  constructor(private readonly rules: PrincipalMappingRules) {
    for (const kind of ['user', 'group', 'role'] as const) {
      const raw: unknown = rules[`${kind}_to`];
      const target =
        raw === undefined || raw === null || raw === ''
          ? parseTarget(DEFAULTS[kind])
          : typeof raw === 'string'
            ? parseTarget(raw)
            : undefined;
      if (!target)
        this.problems.push(
          `${kind}_to "${raw}" is not one of ` +
            `${[...SOURCES.flatMap((s) => ['USER', 'GROUP'].map((t) => `${s}_${t}`)), 'LOCAL_ROLE'].join(', ')}: ` +
            `every Ranger ${kind} is skipped`,
        );
      this.targets.set(kind, target);
      for (const part of ['prefix', 'suffix'] as const) {
        const affix = rules[`${kind}_${part}`];
        if (affix !== undefined && affix !== null && typeof affix !== 'string')
          this.problems.push(`${kind}_${part} is not a string: every Ranger ${kind} is skipped`);
      }
    }
  }

  map(kind: RangerPrincipalKind, name: string): MappedPrincipal {
    if (SPECIAL[kind].has(name)) {
      return {
        skipped:
          kind === 'group'
            ? `group ${name} stands for every user, and granting to it would widen access`
            : `user ${name} is a Ranger placeholder lakeform cannot resolve`,
      };
    }
    const target = this.targets.get(kind);
    const prefix: unknown = this.rules[`${kind}_prefix`] ?? '';
    const suffix: unknown = this.rules[`${kind}_suffix`] ?? '';
    if (!target || typeof prefix !== 'string' || typeof suffix !== 'string')
      return { skipped: `${kind} ${name}: the ${kind} mapping rules are invalid` };
    let mapped = `${prefix}${name}${suffix}`;
    // Roles are case-insensitive and stored lower-case; the same spelling keeps grants mergeable.
    if (target.principal_type === 'ROLE') mapped = mapped.toLowerCase();
    if (!PRINCIPAL_NAME.test(mapped))
      return {
        skipped: `${kind} ${name} becomes "${mapped}", not a valid principal name (letters, digits and _, at most 49)`,
      };
    return {
      principal: {
        principal_name: mapped,
        principal_type: target.principal_type,
        principal_source: target.principal_source,
      },
    };
  }
}
