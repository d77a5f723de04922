import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as HmsTypes from './gen/hive_metastore_types.js';

/**
 * The generated Thrift code (CommonJS, committed under src/metastore/gen) and the Apache thrift
 * runtime, loaded from ESM. The generated files stay in src/ (tsc does not copy JavaScript), so
 * compiled code finds them relative to the package root.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
/** src/metastore whether this module runs from src (tsx) or dist/src (tsc). */
export const METASTORE_SRC = fs.existsSync(path.join(here, 'idl'))
  ? here
  : path.resolve(here, '../../../src/metastore');
const require = createRequire(path.join(METASTORE_SRC, 'gen', 'index.js'));

export const thrift = require('thrift') as any;
export const Int64 = require('node-int64') as new (
  v: number | Buffer,
) => {
  toNumber(allowImprecise?: boolean): number;
};
export const T = require('./hive_metastore_types.js') as typeof HmsTypes;
export const ThriftHiveMetastore = require('./ThriftHiveMetastore.js') as {
  Processor: new (handler: object) => Processor;
};
export interface Processor {
  process(input: unknown, output: unknown): void;
}
export type { HmsTypes };

/** An i64 read from the wire (node-int64) or a number, as a number (exact up to 2^53). */
export function num(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  return (v as { toNumber(x: boolean): number }).toNumber(true);
}

/*
 * thrift@0.23's TApplicationException.write puts `this.code` (never set) in field 2 instead of
 * `this.type`, so every UNKNOWN_METHOD would reach clients as type UNKNOWN (0) and Hive's and
 * Trino's fallbacks, which test the type, would not fire. Written here with the type.
 */
{
  const Type = thrift.Thrift.Type;
  thrift.Thrift.TApplicationException.prototype.write = function write(
    this: { message?: string; type?: number },
    output: any,
  ) {
    output.writeStructBegin('TApplicationException');
    if (this.message) {
      output.writeFieldBegin('message', Type.STRING, 1);
      output.writeString(this.message);
      output.writeFieldEnd();
    }
    output.writeFieldBegin('type', Type.I32, 2);
    output.writeI32(this.type ?? 0);
    output.writeFieldEnd();
    output.writeFieldStop();
    output.writeStructEnd();
  };
}

/** The generated client (benchmarks and tools; the tests use an independent Python client). */
export const ThriftHiveMetastoreClient = (require('./ThriftHiveMetastore.js') as { Client: unknown }).Client;
