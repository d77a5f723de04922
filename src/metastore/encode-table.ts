import type { LocationMap } from '../services/engine-locations.js';
import type { RawJson } from '../services/raw-json.js';
import type { Encoded } from './context.js';
import { tableOut } from './convert.js';
import { BinaryWriter } from './writer.js';

const STRUCT = 12;
/** A generated struct writes itself to any protocol (the .d.ts leaves `write` out). */
const writeStruct = (s: object, w: BinaryWriter) => (s as { write(o: BinaryWriter): void }).write(w);
const LIST = 15;

/**
 * Table structs as encoded from the services' table views. A view is an immutable value that the table service hands
 * out again while the table is unchanged (and the caller sees it whole; see TableService.show), so its encoding is
 * kept with it: a call that gets the same view back writes the same bytes without converting it again. Currency and
 * authorization stay the service's, decided on every call; held weakly, so this lives as long as the service keeps
 * the view.
 */
const encodedTables = new WeakMap<RawJson, { loc: LocationMap; bytes: Buffer }>();

/** The Table struct (with its stop byte) of a table view, as engines see it through `loc`. */
export function tableBytes(view: RawJson, loc: LocationMap): Buffer {
  const known = encodedTables.get(view);
  if (known?.loc === loc) return known.bytes;
  const w = new BinaryWriter(() => {}, false);
  writeStruct(tableOut(JSON.parse(view.text) as Record<string, unknown>, loc), w);
  const bytes = Buffer.concat(w.take());
  encodedTables.set(view, { loc, bytes });
  return bytes;
}

/** get_table's answer (a Table), or get_table_req's (a GetTableResult holding it as field 1). */
export class EncodedTable implements Encoded {
  constructor(
    private readonly bytes: Buffer,
    private readonly inResult: boolean,
  ) {}

  writeSuccess(w: BinaryWriter): void {
    w.writeFieldBegin('success', STRUCT, 0);
    if (this.inResult) w.writeFieldBegin('table', STRUCT, 1);
    w.writeRaw(this.bytes);
    if (this.inResult) w.writeFieldStop();
  }
}

/** get_table_objects_by_name's answer (a list of Tables), or its _req twin's (a GetTablesResult holding it). */
export class EncodedTables implements Encoded {
  private readonly count: number;
  private readonly pieces: Buffer[];

  constructor(
    views: readonly Record<string, unknown>[],
    loc: LocationMap,
    private readonly inResult: boolean,
  ) {
    const body = new BinaryWriter(() => {}, false);
    for (const v of views) writeStruct(tableOut(v, loc), body);
    this.count = views.length;
    this.pieces = body.take();
  }

  writeSuccess(w: BinaryWriter): void {
    if (this.inResult) {
      w.writeFieldBegin('success', STRUCT, 0);
      w.writeFieldBegin('tables', LIST, 1);
    } else w.writeFieldBegin('success', LIST, 0);
    w.writeListBegin(STRUCT, this.count);
    w.writePieces(this.pieces);
    if (this.inResult) w.writeFieldStop();
  }
}
