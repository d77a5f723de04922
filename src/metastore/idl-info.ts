import fs from 'node:fs';
import path from 'node:path';
import { METASTORE_SRC } from './runtime.js';

/** What our IDL declares of one method: argument names in order, declared exception types, oneway. */
export interface MethodInfo {
  name: string;
  args: string[];
  throws: string[];
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
      const args = (m[3] ?? '')
        .split(',')
        .map((a) => /\d+\s*:\s*[\w<>. ]+?\s+(\w+)\s*(=.*)?$/.exec(a.trim())?.[1])
        .filter((a): a is string => a !== undefined);
      const throws = (m[4] ?? '')
        .split(',')
        .map((t) => /:\s*([\w.]+)\s+\w+/.exec(t.trim())?.[1])
        .filter((t): t is string => t !== undefined);
      out.set(m[2] as string, { name: m[2] as string, args, throws, oneway: Boolean(m[1]) });
    }
  }
  return out;
}
