/**
 * How long a strict TBinaryProtocol message is, found by walking its structure without building
 * anything. An unframed message says nowhere how long it is: parsing it with the runtime as its
 * chunks arrive would start over at every chunk (a 1,000-partition add arrives in a dozen), so the
 * bytes are scanned first, which costs no allocation, and the message is parsed once, whole.
 */

const STOP = 0;
const MAX_DEPTH = 64;
const WIDTH: Record<number, number> = { 2: 1, 3: 1, 4: 8, 6: 2, 8: 4, 10: 8 }; // bool, byte, double, i16, i32, i64

class Incomplete {}
const INCOMPLETE = new Incomplete();

export class MalformedMessage extends Error {}

/**
 * The byte length of the message starting at `start`, or undefined while it is incomplete.
 * Throws MalformedMessage for bytes that are no strict binary message (or nest too deep, or
 * announce more than `max` bytes).
 */
export function messageLength(buf: Buffer, start: number, max: number): number | undefined {
  let pos = start;
  const need = (n: number) => {
    if (pos + n > buf.length) throw INCOMPLETE;
  };
  const i32 = () => {
    need(4);
    const v = buf.readInt32BE(pos);
    pos += 4;
    return v;
  };
  const size = (what: string) => {
    const n = i32();
    if (n < 0 || n > max) throw new MalformedMessage(`${what} of ${n}`);
    return n;
  };
  const skip = (n: number) => {
    need(n);
    pos += n;
  };
  const value = (type: number, depth: number): void => {
    const width = WIDTH[type];
    if (width !== undefined) {
      skip(width);
      return;
    }
    if (depth > MAX_DEPTH) throw new MalformedMessage('values nest too deep');
    switch (type) {
      case 11: // string, binary
        skip(size('a string length'));
        return;
      case 12: // struct
        for (;;) {
          need(1);
          const t = buf[pos++] as number;
          if (t === STOP) return;
          skip(2);
          value(t, depth + 1);
        }
      case 13: {
        // map
        need(2);
        const k = buf[pos] as number;
        const v = buf[pos + 1] as number;
        pos += 2;
        const n = size('a map size');
        const kw = WIDTH[k];
        const vw = WIDTH[v];
        if (kw !== undefined && vw !== undefined) {
          skip(n * (kw + vw));
          return;
        }
        for (let i = 0; i < n; i++) {
          value(k, depth + 1);
          value(v, depth + 1);
        }
        return;
      }
      case 14:
      case 15: {
        // set, list
        need(1);
        const e = buf[pos++] as number;
        const n = size('a list size');
        const ew = WIDTH[e];
        if (ew !== undefined) {
          skip(n * ew);
          return;
        }
        for (let i = 0; i < n; i++) value(e, depth + 1);
        return;
      }
      default:
        throw new MalformedMessage(`unknown field type ${type}`);
    }
  };
  try {
    const version = i32();
    if ((version & 0xffff0000) !== (0x80010000 | 0)) throw new MalformedMessage('not a strict binary message');
    skip(size('a method name length')); // the name
    skip(4); // the sequence id
    value(12, 0); // the arguments
    return pos - start;
  } catch (err) {
    if (err === INCOMPLETE) return undefined;
    throw err;
  }
}
