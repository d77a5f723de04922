/**
 * What the importer reads of Apache Ranger's policy model, as its policy export
 * (`/service/plugins/policies/exportJson`) writes it: `{ metaDataInfo, policies: RangerPolicy[] }`.
 * Reading is strict about types (a policy with a wrong field is malformed, reported and
 * skipped) and lenient about absence (Ranger's own defaults: enabled, access policy, no items).
 */

export interface RangerResource {
  values: string[];
  isExcludes: boolean;
  isRecursive: boolean;
}
export interface RangerItem {
  /** Access types whose `isAllowed` is not false, as written (lower-cased). */
  accesses: string[];
  users: string[];
  groups: string[];
  roles: string[];
  /** How many conditions it has (its own, and a mask's conditionExpr): lakeform evaluates none. */
  conditions: number;
  delegateAdmin: boolean;
  dataMask?: { type: string; valueExpr?: string };
  rowFilter?: { filterExpr?: string };
}
export interface RangerPolicy {
  id?: number;
  name?: string;
  serviceType: string;
  isEnabled: boolean;
  policyType: number;
  policyPriority: number;
  isDenyAllElse: boolean;
  resources: Record<string, RangerResource>;
  policyItems: RangerItem[];
  denyPolicyItems: RangerItem[];
  allowExceptions: RangerItem[];
  denyExceptions: RangerItem[];
  dataMaskPolicyItems: RangerItem[];
  rowFilterPolicyItems: RangerItem[];
  /** Policy-level conditions and validity schedules: how many (we do not evaluate them). */
  conditions: number;
  validitySchedules: number;
}

/** A policy that is not shaped as Ranger writes one; the message names the field. */
export class MalformedPolicy extends Error {}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function field<T>(o: Obj, key: string, check: (v: unknown) => v is T, what: string, fallback: T): T {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  if (!check(v)) throw new MalformedPolicy(`${key} is not ${what}`);
  return v;
}
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isInt = (v: unknown): v is number => Number.isInteger(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

/** The policies array of an export; throws when the input is not a Ranger export at all. */
export function exportedPolicies(exported: unknown): unknown[] {
  let input = exported;
  if (typeof input === 'string') {
    try {
      input = JSON.parse(input);
    } catch {
      throw new Error('not an Apache Ranger policy export: the text is not JSON');
    }
  }
  if (!isObj(input))
    throw new Error('not an Apache Ranger policy export: expected a JSON object with "policies" (and "metaDataInfo")');
  if (!Array.isArray(input.policies)) throw new Error('not an Apache Ranger policy export: it has no "policies" array');
  if (input.metaDataInfo !== undefined && !isObj(input.metaDataInfo))
    throw new Error('not an Apache Ranger policy export: "metaDataInfo" is not an object');
  return input.policies;
}

/** The id and name of a raw policy, for report lines, as far as they can be read. */
export function policyRef(raw: unknown): { id?: number; name?: string } {
  if (!isObj(raw)) return {};
  return { ...(isInt(raw.id) ? { id: raw.id } : {}), ...(isString(raw.name) ? { name: raw.name } : {}) };
}

function readResource(key: string, raw: unknown): RangerResource {
  if (!isObj(raw)) throw new MalformedPolicy(`resources.${key} is not an object`);
  try {
    const values = field(raw, 'values', isStrings, 'a list of strings', []);
    if (values.length === 0) throw new MalformedPolicy('values is empty');
    return {
      values,
      isExcludes: field(raw, 'isExcludes', isBool, 'a boolean', false),
      isRecursive: field(raw, 'isRecursive', isBool, 'a boolean', false),
    };
  } catch (e) {
    throw e instanceof MalformedPolicy ? new MalformedPolicy(`resources.${key}.${e.message}`) : e;
  }
}

function readItem(list: string, i: number, raw: unknown): RangerItem {
  const where = `${list}[${i}]`;
  if (!isObj(raw)) throw new MalformedPolicy(`${where} is not an object`);
  try {
    const accesses: string[] = [];
    for (const [j, a] of field(raw, 'accesses', isArray, 'a list', []).entries()) {
      if (!isObj(a) || !isString(a.type)) throw new MalformedPolicy(`accesses[${j}] has no type`);
      // An access Ranger marks as not allowed grants nothing.
      if (field(a, 'isAllowed', isBool, 'a boolean', true)) accesses.push(a.type.toLowerCase());
    }
    const item: RangerItem = {
      accesses,
      users: field(raw, 'users', isStrings, 'a list of strings', []),
      groups: field(raw, 'groups', isStrings, 'a list of strings', []),
      roles: field(raw, 'roles', isStrings, 'a list of strings', []),
      conditions: field(raw, 'conditions', isArray, 'a list', []).length,
      delegateAdmin: field(raw, 'delegateAdmin', isBool, 'a boolean', false),
    };
    const mask = raw.dataMaskInfo;
    if (mask !== undefined && mask !== null) {
      if (!isObj(mask) || !isString(mask.dataMaskType)) throw new MalformedPolicy('dataMaskInfo has no dataMaskType');
      const valueExpr = field(mask, 'valueExpr', isString, 'a string', '');
      item.dataMask = { type: mask.dataMaskType, ...(valueExpr ? { valueExpr } : {}) };
      // A mask applied only when its condition holds is a conditional item like any other.
      if (field(mask, 'conditionExpr', isString, 'a string', '')) item.conditions++;
    }
    const filter = raw.rowFilterInfo;
    if (filter !== undefined && filter !== null) {
      if (!isObj(filter)) throw new MalformedPolicy('rowFilterInfo is not an object');
      const filterExpr = field(filter, 'filterExpr', isString, 'a string', '');
      item.rowFilter = filterExpr ? { filterExpr } : {};
    }
    return item;
  } catch (e) {
    throw e instanceof MalformedPolicy ? new MalformedPolicy(`${where}.${e.message}`) : e;
  }
}

/** Reads one policy of the export; throws MalformedPolicy naming the first bad field. */
export function readPolicy(raw: unknown): RangerPolicy {
  if (!isObj(raw)) throw new MalformedPolicy('the policy is not an object');
  const serviceType = raw.serviceType;
  if (!isString(serviceType) || serviceType === '') throw new MalformedPolicy('serviceType is missing');
  const rawResources = field(raw, 'resources', isObj, 'an object', {});
  const resources: Record<string, RangerResource> = {};
  for (const [key, value] of Object.entries(rawResources)) resources[key] = readResource(key, value);
  const items = (key: string) => field(raw, key, isArray, 'a list', []).map((x, i) => readItem(key, i, x));
  return {
    ...policyRef(raw),
    serviceType,
    isEnabled: field(raw, 'isEnabled', isBool, 'a boolean', true),
    policyType: field(raw, 'policyType', isInt, 'an integer', 0),
    policyPriority: field(raw, 'policyPriority', isInt, 'an integer', 0),
    isDenyAllElse: field(raw, 'isDenyAllElse', isBool, 'a boolean', false),
    resources,
    policyItems: items('policyItems'),
    denyPolicyItems: items('denyPolicyItems'),
    allowExceptions: items('allowExceptions'),
    denyExceptions: items('denyExceptions'),
    dataMaskPolicyItems: items('dataMaskPolicyItems'),
    rowFilterPolicyItems: items('rowFilterPolicyItems'),
    conditions: field(raw, 'conditions', isArray, 'a list', []).length,
    validitySchedules: field(raw, 'validitySchedules', isArray, 'a list', []).length,
  };
}
