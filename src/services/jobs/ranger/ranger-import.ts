import type { PolicyInput, ResourceInfo } from '../../governance/policy-service.js';
import type { PrincipalRef } from '../../governance/principals.js';
import { PrincipalMapper, type PrincipalMappingRules, type RangerPrincipalKind } from './principal-mapping.js';
import {
  exportedPolicies,
  MalformedPolicy,
  policyRef,
  type RangerItem,
  type RangerPolicy,
  readPolicy,
} from './ranger-model.js';
import { type Plan, planResources, resourcesOf, type Target, targetsFor, Unrepresentable } from './ranger-resources.js';

export type { PrincipalMappingRules } from './principal-mapping.js';

/** A grant exactly as lakeform's grant operation (BatchAuthorizeInterface) takes it. */
export type GrantInput = PolicyInput;
export interface RangerImportReport {
  level: 'info' | 'warn' | 'error';
  policy?: { id?: number; name?: string };
  message: string;
}
export interface RangerImportResult {
  grants: GrantInput[];
  report: RangerImportReport[];
  counts: { policies: number; imported: number; skipped: number };
}

/*
 * The core of a PERMISSION_MIGRATION job: an Apache Ranger policy export becomes the grants
 * to apply through lakeform's grant operation, plus a report of everything that did not carry
 * over exactly. Nothing here widens access silently: what lakeform cannot express is left out
 * (or made stricter) and reported.
 *
 * - Only enabled hive policies map; others are reported and skipped. A malformed policy is
 *   reported (error) and skipped; only input that is not a Ranger export at all throws.
 * - Resources and access types: see ranger-resources.ts. Principals: principal-mapping.ts;
 *   Ranger's {OWNER} and {USER} users and its `public` group are reported and skipped.
 * - policyItems → allow grants (delegateAdmin → the same permissions with grant option);
 *   denyPolicyItems → deny grants (effect false; delegateAdmin has no meaning there).
 *   allowExceptions and denyExceptions have no equivalent: reported, not imported.
 * - Conditions and validity schedules are not evaluated by lakeform: a conditional allow item
 *   is not imported (it would allow always); conditional deny items, masks and row filters
 *   are imported as unconditional (stricter), with a warning.
 * - isDenyAllElse and override priority (policyPriority 1) are reported: in lakeform what no
 *   grant allows is refused, and any deny beats any allow.
 * - Row filters (policyType 2) → SELECT on the table with `data_filter`; masks (policyType 1)
 *   → SELECT on the columns with `data_mask` (the mask type; `CUSTOM:<valueExpr>` for custom).
 *   lakeform carries both on a SELECT grant where Ranger's grant nothing, so a principal no
 *   access policy of the export reaches directly is named in a warning. Items that exempt
 *   (MASK_NONE, an empty filter) have no equivalent; one principal gets one filter or mask per
 *   object (a second, different one is reported and left out, as Ranger's first match wins).
 * - Each grant names one resource and at most 20 principals (the operation's limits).
 * - zoneName, isAuditEnabled, policyLabels and options grant nothing and are not read.
 */

const MAX_PRINCIPALS = 20;
const MAX_EXPRESSION = 4000;
const MASK_TYPES = new Set([
  'MASK',
  'MASK_SHOW_LAST_4',
  'MASK_SHOW_FIRST_4',
  'MASK_HASH',
  'MASK_NULL',
  'MASK_DATE_SHOW_YEAR',
  'CUSTOM',
]);
const CATALOG_NAME = /^[A-Za-z0-9_]{1,256}$/;

const principalKey = (p: PrincipalRef) => `${p.principal_type}/${p.principal_source}/${p.principal_name}`;
const principalText = (p: PrincipalRef) => `${p.principal_type.toLowerCase()} ${p.principal_name}`;

/** A resource as a person reads it: catalog.database.table[columns], or the URI. */
function resourceText(r: ResourceInfo): string {
  if (r.uris) return r.uris.join(', ');
  const c = r.catalogs?.[0];
  const d = c?.databases?.[0];
  const o = d?.tables?.[0] ?? d?.functions?.[0];
  const cols = d?.tables?.[0]?.columns;
  return (
    [c?.name, d?.name, o?.name].filter((x) => x !== undefined).join('.') +
    (cols ? `[${cols.filter === 'Exclude' ? 'all but ' : ''}${cols.column_name.join(',')}]` : '')
  );
}

const patternCache = new Map<string, RegExp>();
function matches(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    patternCache.set(pattern, re);
  }
  return re.test(name);
}

/** Whether an allow grant gives SELECT on a table (or, with a column, on that column). */
function givesSelect(g: GrantInput, database: string, table: string, column?: string): boolean {
  if (!g.effect || !g.permissions.some((p) => p === 'SELECT' || p === 'ALL')) return false;
  const d = g.resource.catalogs?.[0]?.databases?.[0];
  if (g.resource.type === 'CATALOG') return true;
  if (!d || !matches(d.name, database)) return false;
  if (g.resource.type === 'DATABASE') return true;
  const t = d.tables?.[0];
  if (!t || !matches(t.name, table)) return false;
  if (g.resource.type === 'TABLE' || column === undefined || !t.columns) return true;
  return t.columns.filter === 'Include'
    ? t.columns.column_name.includes(column)
    : !t.columns.column_name.includes(column);
}

/** A filter or mask grant, checked at the end against the export's own access grants. */
interface Obligation {
  ref: { id?: number; name?: string };
  what: string;
  grant: GrantInput;
  database: string;
  table: string;
  columns?: string[];
}

class Importer {
  readonly grants: GrantInput[] = [];
  readonly report: RangerImportReport[] = [];
  private readonly allows: GrantInput[] = [];
  private readonly obligations: Obligation[] = [];
  /** The filter or mask each principal already has per object: lakeform keeps one. */
  private readonly held = new Map<string, { value: string; policy: string }>();

  constructor(
    private readonly catalog: string,
    private readonly mapper: PrincipalMapper,
  ) {}

  /** Maps one raw policy; returns how many grants it yielded. Never throws. */
  policy(raw: unknown): number {
    const ref = policyRef(raw);
    const lines = new Map<string, RangerImportReport['level']>();
    const note = (level: RangerImportReport['level'], message: string) => {
      if (!lines.has(message)) lines.set(message, level);
    };
    const before = this.grants.length;
    let explained = false;
    try {
      explained = this.map(readPolicy(raw), ref, note);
    } catch (e) {
      explained = true;
      if (e instanceof MalformedPolicy) note('error', `malformed policy, not imported: ${e.message}`);
      else if (e instanceof Unrepresentable) note('warn', `not imported: ${e.message}`);
      else note('error', `could not be mapped, not imported: ${e instanceof Error ? e.message : String(e)}`);
    }
    const made = this.grants.length - before;
    if (made === 0 && !explained && ![...lines.values()].some((l) => l !== 'info'))
      note('warn', 'none of its items grants anything: nothing imported');
    for (const [message, level] of lines) this.report.push({ level, policy: ref, message });
    return made;
  }

  /** Returns true when it skipped the whole policy with a reason already noted. */
  private map(
    p: RangerPolicy,
    ref: { id?: number; name?: string },
    note: (level: RangerImportReport['level'], message: string) => void,
  ): boolean {
    if (p.serviceType !== 'hive') {
      note('warn', `service type ${p.serviceType} is not imported: only hive policies map to lakeform grants`);
      return true;
    }
    if (!p.isEnabled) {
      note('info', 'disabled in Ranger: not imported');
      return true;
    }
    if (![0, 1, 2].includes(p.policyType))
      throw new MalformedPolicy(`policyType ${p.policyType} is none of 0 (access), 1 (data mask), 2 (row filter)`);
    const plan = planResources(p.resources);
    if (p.isDenyAllElse)
      note(
        'warn',
        'isDenyAllElse is not imported: lakeform refuses what no grant ' +
          'allows, but does not override other grants on these resources',
      );
    if (p.policyPriority > 0)
      note(
        'warn',
        `policy priority ${p.policyPriority} (override) is not imported: in lakeform any deny beats any allow`,
      );
    const conditional = p.conditions > 0 || p.validitySchedules > 0;
    if (p.policyType === 0) this.access(p, plan, conditional, note);
    else this.obligation(p, ref, plan, conditional, note);
    return false;
  }

  private principals(
    item: RangerItem,
    note: (level: RangerImportReport['level'], message: string) => void,
  ): PrincipalRef[] {
    const out = new Map<string, PrincipalRef>();
    const add = (kind: RangerPrincipalKind, names: string[]) => {
      for (const name of names) {
        const m = this.mapper.map(kind, name);
        if ('skipped' in m) note('warn', `${m.skipped}: not imported`);
        else out.set(principalKey(m.principal), m.principal);
      }
    };
    add('user', item.users);
    add('group', item.groups);
    add('role', item.roles);
    return [...out.values()];
  }

  private emit(base: Omit<GrantInput, 'principal_list'>, principals: PrincipalRef[]): GrantInput[] {
    const out: GrantInput[] = [];
    for (let i = 0; i < principals.length; i += MAX_PRINCIPALS)
      out.push({ ...base, principal_list: principals.slice(i, i + MAX_PRINCIPALS) });
    this.grants.push(...out);
    return out;
  }

  private access(
    p: RangerPolicy,
    plan: Plan,
    conditional: boolean,
    note: (level: RangerImportReport['level'], message: string) => void,
  ): void {
    let reachesFunctions = false;
    for (const [list, effect, items] of [
      ['policyItems', true, p.policyItems],
      ['denyPolicyItems', false, p.denyPolicyItems],
    ] as const) {
      items.forEach((item, i) => {
        const label = `${list}[${i}]`;
        const principals = this.principals(item, note);
        if (principals.length === 0) return;
        if (conditional || item.conditions > 0) {
          if (effect) {
            note(
              'warn',
              `${label} has conditions or validity schedules, which lakeform ` +
                `does not evaluate: not imported, as it would allow always`,
            );
            return;
          }
          note(
            'warn',
            `${label} has conditions or validity schedules, which lakeform ` +
              `does not evaluate: imported as a deny that always applies ` +
              `(stricter)`,
          );
        }
        const targets: Target[] = [];
        for (const r of resourcesOf(plan, this.catalog)) {
          const t = targetsFor(plan, this.catalog, r, item.accesses);
          for (const n of t.notes) note('warn', `${label}: ${n}`);
          targets.push(...t.targets);
        }
        for (const t of targets) {
          const made = this.emit(
            {
              effect,
              resource: t.resource,
              permissions: t.permissions,
              ...(effect && item.delegateAdmin ? { grant_able_permissions: t.permissions } : {}),
            },
            principals,
          );
          if (effect) this.allows.push(...made);
          if (effect && t.resource.type === 'DATABASE' && t.permissions.some((x) => !x.startsWith('CREATE_')))
            reachesFunctions = true;
        }
      });
    }
    if (p.allowExceptions.length)
      note(
        'warn',
        `allowExceptions (${p.allowExceptions.length}) are not imported: ` +
          `lakeform has no exceptions, so the principals they except keep ` +
          `what the allow items grant`,
      );
    if (p.denyExceptions.length)
      note(
        'warn',
        `denyExceptions (${p.denyExceptions.length}) are not imported: ` +
          `the deny items apply to the principals they except too ` +
          `(stricter)`,
      );
    if (reachesFunctions && plan.kind === 'tables')
      note(
        'info',
        'granted database-wide: in lakeform such a grant also reaches ' +
          'the functions of the database, which Ranger keeps under udf ' +
          'policies',
      );
  }

  /** Data mask (policyType 1) and row filter (policyType 2) policies. */
  private obligation(
    p: RangerPolicy,
    ref: { id?: number; name?: string },
    plan: Plan,
    conditional: boolean,
    note: (level: RangerImportReport['level'], message: string) => void,
  ): void {
    const mask = p.policyType === 1;
    const what = mask ? 'mask' : 'row filter';
    const one =
      plan.kind === 'tables' && plan.databases.length === 1 && plan.tables.length === 1
        ? { database: plan.databases[0] as string, table: plan.tables[0] as string }
        : undefined;
    if (!one || one.database.includes('*') || one.table.includes('*'))
      throw new Unrepresentable(
        `a ${what} applies to one named table, and this policy names ` +
          `${plan.kind === 'tables' ? 'several or a pattern' : plan.kind}`,
      );
    const columns = plan.kind === 'tables' ? plan.columns : 'all';
    if (mask && (columns === 'all' || columns.filter === 'Exclude'))
      throw new Unrepresentable('a mask applies to named columns, and this policy names all or all but some');
    if (!mask && columns !== 'all')
      throw new Unrepresentable('a row filter applies to a whole table, and this policy names columns');
    const resource: ResourceInfo = {
      type: mask ? 'COLUMN' : 'TABLE',
      catalogs: [
        {
          name: this.catalog,
          databases: [{ name: one.database, tables: [{ name: one.table, ...(columns === 'all' ? {} : { columns }) }] }],
        },
      ],
    };
    const label0 = mask ? 'dataMaskPolicyItems' : 'rowFilterPolicyItems';
    (mask ? p.dataMaskPolicyItems : p.rowFilterPolicyItems).forEach((item, i) => {
      const label = `${label0}[${i}]`;
      const principals = this.principals(item, note);
      if (principals.length === 0) return;
      if (!item.accesses.includes('select') && !item.accesses.includes('all')) {
        note('warn', `${label} does not apply to select: not imported`);
        return;
      }
      let value: string;
      if (mask) {
        if (!item.dataMask) {
          note('error', `${label} has no dataMaskInfo: not imported`);
          return;
        }
        const type = item.dataMask.type.toUpperCase();
        if (type === 'MASK_NONE') {
          note(
            'warn',
            `${label} leaves the column unmasked (MASK_NONE): lakeform has no exemption from other masks; not imported`,
          );
          return;
        }
        if (!MASK_TYPES.has(type)) {
          note('warn', `${label} has mask type ${item.dataMask.type}, unknown to the hive service: not imported`);
          return;
        }
        if (type === 'CUSTOM' && !item.dataMask.valueExpr) {
          note('warn', `${label} is a custom mask without valueExpr: not imported`);
          return;
        }
        value = type === 'CUSTOM' ? `CUSTOM:${item.dataMask.valueExpr}` : type;
      } else {
        if (!item.rowFilter) {
          note('error', `${label} has no rowFilterInfo: not imported`);
          return;
        }
        if (!item.rowFilter.filterExpr) {
          note(
            'warn',
            `${label} has no filter expression (its principals see every ` +
              `row): lakeform has no exemption from other filters; not imported`,
          );
          return;
        }
        value = item.rowFilter.filterExpr;
      }
      if (value.length > MAX_EXPRESSION) {
        note('warn', `${label}: the ${what} is longer than ${MAX_EXPRESSION} characters: not imported`);
        return;
      }
      if (conditional || item.conditions > 0)
        note(
          'warn',
          `${label} has conditions or validity schedules, which lakeform ` +
            `does not evaluate: the ${what} always applies (stricter)`,
        );
      if (item.delegateAdmin)
        note(
          'warn',
          `${label}: delegateAdmin is not imported (grant option on SELECT ` +
            `would let its holders pass on access without the ${what})`,
        );
      const objectKey = `${what}|${resourceText(resource)}`;
      const kept = principals.filter((pr) => {
        const key = `${principalKey(pr)}|${objectKey}`;
        const had = this.held.get(key);
        if (!had) {
          this.held.set(key, { value, policy: `${ref.id ?? '?'} ${ref.name ?? ''}`.trim() });
          return true;
        }
        if (had.value !== value)
          note(
            'warn',
            `${label}: ${principalText(pr)} already has another ${what} on ` +
              `${resourceText(resource)} (policy ${had.policy}); lakeform ` +
              `keeps one per principal and object: not imported for them`,
          );
        return had.value === value;
      });
      if (kept.length === 0) return;
      const base = {
        effect: true,
        resource,
        permissions: ['SELECT'],
        ...(mask ? { data_mask: value } : { data_filter: value }),
      };
      for (const grant of this.emit(base, kept))
        this.obligations.push({
          ref,
          what,
          grant,
          ...one,
          ...(columns === 'all' ? {} : { columns: columns.column_name }),
        });
    });
  }

  /**
   * Filters and masks ride on a SELECT grant: name whoever gains SELECT that no access policy of the export gave them
   * directly.
   */
  checkObligations(): void {
    for (const o of this.obligations) {
      const bare = o.grant.principal_list.filter(
        (pr) =>
          !(o.columns ?? [undefined]).every((col) =>
            this.allows.some(
              (g) =>
                g.principal_list.some((x) => principalKey(x) === principalKey(pr)) &&
                givesSelect(g, o.database, o.table, col),
            ),
          ),
      );
      if (bare.length === 0) continue;
      this.report.push({
        level: 'warn',
        policy: o.ref,
        message:
          `this ${o.what} grants SELECT on ` +
          `${resourceText(o.grant.resource)} to ` +
          `${bare.map(principalText).join(', ')}, which no access policy ` +
          `of the export grants directly (lakeform carries a ${o.what} on ` +
          `a SELECT grant; Ranger's grant nothing): check their access ` +
          `through groups and roles`,
      });
    }
  }
}

/**
 * Maps an Apache Ranger policy export to lakeform grants and a report; throws only when the input is not a Ranger
 * export.
 */
export function mapRangerExport(
  exported: unknown,
  rules: PrincipalMappingRules,
  options: { catalog: string },
): RangerImportResult {
  const policies = exportedPolicies(exported);
  const catalog = options?.catalog;
  if (typeof catalog !== 'string' || !CATALOG_NAME.test(catalog))
    throw new Error('options.catalog must name the catalog that receives the grants (letters, digits and _)');
  const mapper = new PrincipalMapper(rules ?? {});
  const importer = new Importer(catalog.toLowerCase(), mapper);
  importer.report.push(...mapper.problems.map((message) => ({ level: 'error' as const, message })));
  let imported = 0;
  for (const raw of policies) if (importer.policy(raw) > 0) imported++;
  importer.checkObligations();
  return {
    grants: importer.grants,
    report: importer.report,
    counts: { policies: policies.length, imported, skipped: policies.length - imported },
  };
}
