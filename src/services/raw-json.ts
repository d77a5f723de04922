import { cacheBound } from '../memory.js';

/**
 * A result a service has already written as JSON text, because it is made mostly of JSON the
 * store keeps (partition definitions): splicing the stored text is far cheaper than parsing it
 * and writing it out again for thousands of objects. The HTTP layer sends it as it is.
 */
export class RawJson {
  private textForm: string | undefined;
  private readonly bytes: Buffer | undefined;
  /**
   * For bytes in a pooled buffer (see Encoded): gives it back once they are sent, and only then. A RawJson with one
   * is sent once and never kept.
   */
  release: (() => void) | undefined;

  constructor(
    content: string | Buffer,
    /** For an array: how many items it holds, so a caller that needs only the count parses nothing. */
    readonly count?: number,
  ) {
    if (typeof content === 'string') this.textForm = content;
    else this.bytes = content;
  }

  get text(): string {
    this.textForm ??= (this.bytes as Buffer).toString('utf8');
    return this.textForm;
  }

  /** What goes on the wire: the UTF-8 bytes when it was written as bytes. */
  get body(): string | Buffer {
    return this.bytes ?? (this.textForm as string);
  }

  static array(items: string[]): RawJson {
    return RawJson.concat('[', items, ']');
  }

  /**
   * `head`, the items joined by commas, and `tail`, written as UTF-8 straight into one buffer.
   * Joining thousands of spliced strings into one string first costs several times more (V8
   * flattens every piece), and the socket would encode the result again.
   */
  static concat(head: string, items: string[], tail: string): RawJson {
    const w = new Utf8Writer(head.length + tail.length + items.length + items.reduce((n, s) => n + s.length, 0));
    w.put(head);
    for (let i = 0; i < items.length; i++) w.put(i > 0 ? `,${items[i] as string}` : (items[i] as string));
    w.put(tail);
    return new RawJson(w.done(), items.length);
  }

  /**
   * Pieces of JSON text, in order, as one UTF-8 buffer: no flat string of the whole is made (see utf8Of). A large
   * text is written into a pooled buffer, given back when sent (release).
   */
  static of(pieces: readonly string[]): RawJson {
    const encoded = encodePooled(pieces);
    const json = new RawJson(encoded.bytes);
    json.release = encoded.release;
    return json;
  }
}

/**
 * Pieces of text written as UTF-8 into one buffer. A large text made of kept pieces (an Iceberg table's metadata)
 * is encoded once, straight from its pieces: joined into a string first, it would be copied flat, measured, and
 * encoded again by the file or socket write.
 */
export function utf8Of(pieces: readonly string[]): Buffer {
  let chars = 0;
  for (const s of pieces) chars += s.length;
  const w = new Utf8Writer(chars);
  for (const s of pieces) w.put(s);
  return w.done();
}

/** Text encoded into a buffer that may be pooled: `release` gives it back once `bytes` are no longer used. */
export interface Encoded {
  bytes: Buffer;
  release: (() => void) | undefined;
}

/** Texts above this size are encoded into pooled buffers. */
const POOLED = 64 * 1024;

/**
 * Buffers for large texts, used again. A fresh buffer of a megabyte or more is fresh memory, faulted in page by page
 * and freed only by a garbage collection: at 10,000 snapshots (a 1.5 MB metadata file, written to the file and to the
 * answer each commit) those allocations and the collections they brought cost more than the encoding itself. A few
 * buffers, of 32 MiB at most together (at the 1,024 MB budget), are kept; a larger text gets a buffer of its own.
 */
class BufferPool {
  private readonly free: Buffer[] = [];
  private kept = 0;

  constructor(
    private readonly maxBuffers: number,
    private readonly maxBytes: number,
  ) {}

  take(bytes: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i] as Buffer;
      if (b.length >= bytes && (best < 0 || b.length < (this.free[best] as Buffer).length)) best = i;
    }
    // With room to grow: a table's next version is a little larger, and would not fit this one's buffer exactly.
    if (best < 0) return Buffer.allocUnsafeSlow(bytes + (bytes >> 3));
    const [b] = this.free.splice(best, 1) as [Buffer];
    this.kept -= b.length;
    return b;
  }

  give(b: Buffer): void {
    if (b.length > this.maxBytes) return;
    // The smallest go first when the pool is full: the next large text needs a large buffer.
    this.free.push(b);
    this.kept += b.length;
    this.free.sort((x, y) => y.length - x.length);
    while (this.free.length > this.maxBuffers || this.kept > this.maxBytes)
      this.kept -= (this.free.pop() as Buffer).length;
  }
}

/** Pooled buffers lent by encodePooled and given back so far: a difference that grows while idle is a leak. */
const lending = { lent: 0, returned: 0 };
export const pooledLending = (): Readonly<typeof lending> => ({ ...lending });

let pool: BufferPool | undefined;
/** Made at first use: the memory budget (cacheBound) is known by then. */
const thePool = () => {
  pool ??= new BufferPool(8, cacheBound(32 * 1024 * 1024));
  return pool;
};

/**
 * Pieces of text as UTF-8, as utf8Of, into a pooled buffer when large (`release` then gives it back: call it once the
 * bytes are written, never before; a buffer never given back is only collected).
 */
export function encodePooled(pieces: readonly string[]): Encoded {
  let chars = 0;
  for (const s of pieces) chars += s.length;
  if (chars + 1024 <= POOLED) return { bytes: utf8Of(pieces), release: undefined };
  const w = new Utf8Writer(chars, (n) => thePool().take(n));
  for (const s of pieces) w.put(s);
  const bytes = w.done();
  const whole = w.buffer;
  let given = false;
  lending.lent++;
  return {
    bytes,
    release: () => {
      if (given) return;
      given = true;
      lending.returned++;
      thePool().give(whole);
    },
  };
}

class Utf8Writer {
  private buf: Buffer;
  private at = 0;

  /** Sized for ASCII (one byte a character); grown when a piece might not fit as UTF-8. */
  constructor(
    chars: number,
    private readonly alloc: (bytes: number) => Buffer = Buffer.allocUnsafe,
  ) {
    this.buf = alloc(chars + 1024);
  }

  /** The whole buffer written into (done() is the part written). */
  get buffer(): Buffer {
    return this.buf;
  }

  put(s: string): void {
    let n = this.buf.write(s, this.at, 'utf8');
    // A write stops short only before a character its room cannot hold (4 bytes at most): a piece is measured only
    // then, not each time (a scan of a large piece).
    if (this.buf.length - this.at - n < 4) {
      const bytes = Buffer.byteLength(s, 'utf8');
      if (bytes !== n) {
        const next = this.alloc(Math.max(this.buf.length * 2, this.at + bytes + 1024));
        this.buf.copy(next, 0, 0, this.at);
        this.buf = next;
        n = this.buf.write(s, this.at, 'utf8');
      }
    }
    this.at += n;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}
