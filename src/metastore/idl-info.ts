import fs from 'node:fs';
import path from 'node:path';
import { METASTORE_SRC } from './runtime.js';

/** What our IDL declares of one method: argument names in order, declared exception types, oneway. */
export interface MethodInfo {
  name: string;
  args: string[];
  /** The arguments' field ids and IDL types, in order (as `args`). */
  fields: { id: number; type: string; name: string }[];
  throws: string[];
  /** The result struct's field id of each declared exception type. */
  throwIds: Record<string, number>;
  oneway: boolean;
}

/**
 * The methods our IDL declares (the metastore service and the fb303 base it extends), read from
 * the IDL itself so the handler's arities and the exceptions a method may raise have one source.
 */
export function readMethods(): Map<string, MethodInfo> {
  const out = new Map<string, MethodInfo>();
  for (const file of ['fb303.thrift', 'hive_metastore.thrift']) {
    const text = fs.readFileSync(path.join(METASTORE_SRC, 'idl', file), 'utf8').replace(/#[^\n]*/g, '');
    const body = text.slice(text.indexOf('{', text.indexOf('service ')) + 1);
    const re = /(oneway\s+)?(?!oneway\b)\w[\w<>, .]*?\s+(\w+)\s*\(([^)]*)\)\s*(?:throws\s*\(([^)]*)\))?\s*[,;]?/g;
    for (const m of body.matchAll(re)) {
      const fields = [...(m[3] ?? '').matchAll(/(\d+)\s*:\s*([\w.]+(?:<[\w<>., ]*>)?)\s+(\w+)/g)].map((a) => ({
        id: Number(a[1]),
        type: (a[2] as string).replace(/\s+/g, ''),
        name: a[3] as string,
      }));
      const thrown = [...(m[4] ?? '').matchAll(/(\d+)\s*:\s*([\w.]+)\s+\w+/g)];
      out.set(m[2] as string, {
        name: m[2] as string,
        args: fields.map((f) => f.name),
        fields,
        throws: thrown.map((t) => t[2] as string),
        throwIds: Object.fromEntries(thrown.map((t) => [t[2] as string, Number(t[1])])),
        oneway: Boolean(m[1]),
      });
    }
  }
  return out;
}
