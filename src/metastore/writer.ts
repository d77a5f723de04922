/**
 * TBinaryProtocol output written straight into one growing buffer. The runtime's own writer
 * allocates a Buffer per field through the deprecated `new Buffer()` (a stack check each time),
 * which made a 1,000-partition answer take ~0.7 s to serialise; this writes the same bytes.
 * Only the writing half is here: requests are read with the runtime's TBinaryProtocol.
 */
const VERSION_1 = 0x80010000;

/** Strings up to this long are copied by hand when ASCII: below it a native call costs more than the loop. */
const HAND_COPY = 1024;
/** Strings longer than this are copied by the runtime (see handCopied). */
const NATIVE_OVER = 32;
/** A flushed buffer above this size is handed over as it is (and a new one started) rather than copied. */
const HAND_OVER = 16 * 1024;
/** Buffers grow by doubling up to this size; a message past it continues in further buffers of it. */
const CHUNK = 64 * 1024;

export class BinaryWriter {
  private buf = Buffer.allocUnsafe(4096);
  private pos = 0;
  /** Bytes before `buf` in this message: finished pieces, sent in order before it without being copied into it. */
  private pieces: Buffer[] = [];
  private piecesLength = 0;

  /** `framed` puts the 4-byte length first, as TFramedTransport does. */
  constructor(
    private readonly onFlush: (b: Buffer) => void,
    private readonly framed: boolean,
  ) {
    if (framed) this.pos = 4;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.buf.length >= CHUNK && this.pos > 0) {
      // A large message goes on in a new buffer rather than copying what it holds into a twice larger one.
      this.pieces.push(this.buf.subarray(0, this.pos));
      this.piecesLength += this.pos;
      this.buf = Buffer.allocUnsafe(Math.max(CHUNK, n));
      this.pos = 0;
      return;
    }
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  writeMessageBegin(name: string, type: number, seqid: number): void {
    this.writeI32((VERSION_1 | type) >> 0);
    this.writeString(name);
    this.writeI32(seqid);
  }
  writeMessageEnd(): void {}
  writeStructBegin(): void {}
  writeStructEnd(): void {}
  writeFieldBegin(_name: string, type: number, id: number): void {
    this.room(3);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = type;
    buf[p + 1] = id >> 8;
    buf[p + 2] = id;
    this.pos = p + 3;
  }
  writeFieldEnd(): void {}
  writeFieldStop(): void {
    this.writeByte(0);
  }
  writeMapBegin(ktype: number, vtype: number, size: number): void {
    this.writeByte(ktype);
    this.writeByte(vtype);
    this.writeI32(size);
  }
  writeMapEnd(): void {}
  writeListBegin(etype: number, size: number): void {
    this.writeByte(etype);
    this.writeI32(size);
  }
  writeListEnd(): void {}
  writeSetBegin(etype: number, size: number): void {
    this.writeListBegin(etype, size);
  }
  writeSetEnd(): void {}
  writeBool(b: boolean): void {
    this.writeByte(b ? 1 : 0);
  }
  // Plain stores into the Uint8Array (which keeps the low byte): the Buffer methods check ranges on every call.
  writeByte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }
  writeI16(v: number): void {
    this.room(2);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = v >> 8;
    buf[p + 1] = v;
    this.pos = p + 2;
  }
  writeI32(v: number): void {
    this.room(4);
    this.i32At(v, this.pos);
    this.pos += 4;
  }
  private i32At(v: number, p: number): void {
    const buf = this.buf;
    buf[p] = v >>> 24;
    buf[p + 1] = v >>> 16;
    buf[p + 2] = v >>> 8;
    buf[p + 3] = v;
  }
  writeI64(v: number | { buffer: Buffer; offset?: number }): void {
    this.room(8);
    if (typeof v === 'number') this.buf.writeBigInt64BE(BigInt(Math.trunc(v)), this.pos);
    else v.buffer.copy(this.buf, this.pos, v.offset ?? 0, (v.offset ?? 0) + 8);
    this.pos += 8;
  }
  writeDouble(v: number): void {
    this.room(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }
  writeString(s: string | Buffer): void {
    if (typeof s !== 'string') {
      this.writeBinary(s);
      return;
    }
    // Room for the longest encoding, then the length is written in front of what it came to:
    // one pass over the string instead of measuring it first.
    this.room(4 + s.length * 3);
    const n = s.length <= HAND_COPY ? this.handCopied(s, this.pos + 4) : this.buf.write(s, this.pos + 4, 'utf8');
    this.i32At(n, this.pos);
    this.pos += 4 + n;
  }
  /**
   * The string `a + b` (a location's prefix and key), without joining them: a joined string is flattened again to be
   * copied. The same bytes, as UTF-8 encodes each character alone (a surrogate pair split between them is joined).
   */
  writeStringPair(a: string, b: string): void {
    const last = a.length ? a.charCodeAt(a.length - 1) : 0;
    if (a.length + b.length > HAND_COPY || (last >= 0xd800 && last < 0xdc00)) {
      this.writeString(a + b);
      return;
    }
    this.room(4 + (a.length + b.length) * 3);
    const n = this.handCopied(a, this.pos + 4);
    const m = this.handCopied(b, this.pos + 4 + n);
    this.i32At(n + m, this.pos);
    this.pos += 4 + n + m;
  }
  /** A string's bytes at `at` (room made): short ASCII copied by hand, else UTF-8 by the runtime. */
  private handCopied(s: string, at: number): number {
    const buf = this.buf;
    // Past a few dozen characters the runtime's copy is the faster (a location: ~3 times), above all for a slice of
    // a longer string (a location read from a stored definition), which the loop reads through an indirection.
    if (s.length > NATIVE_OVER) return buf.write(s, at, 'utf8');
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return buf.write(s, at, 'utf8');
      buf[at + i] = c;
    }
    return s.length;
  }
  /**
   * A JSON array of strings as JSON.stringify writes it when there is nothing to escape and all is ASCII (`["a","b"]`),
   * written as a list<string> (element type 11) straight from the text. False, with nothing written, for any other
   * text: the caller parses it.
   */
  writeJsonStrings(text: string): boolean {
    const n = text.length;
    if (n < 2 || text.charCodeAt(0) !== 0x5b || text.charCodeAt(n - 1) !== 0x5d) return false;
    // The list header (5 bytes), then per value its length (4) and at most its text: at most 5 + 4 * n.
    this.room(5 + 4 * n);
    const buf = this.buf;
    const start = this.pos;
    let p = start + 5;
    let count = 0;
    let i = 1;
    if (n > 2) {
      for (;;) {
        if (text.charCodeAt(i) !== 0x22) return false;
        const at = p;
        p += 4;
        i++;
        for (;;) {
          if (i >= n) return false;
          const c = text.charCodeAt(i);
          if (c === 0x22) break;
          // An escape, a control character or anything not ASCII: parsed by the caller instead.
          if (c === 0x5c || c < 0x20 || c >= 0x80) return false;
          buf[p++] = c;
          i++;
        }
        this.i32At(p - at - 4, at);
        count++;
        i++;
        const next = text.charCodeAt(i);
        if (next === 0x5d && i === n - 1) break;
        if (next !== 0x2c) return false;
        i++;
      }
    }
    buf[start] = 11;
    this.i32At(count, start + 1);
    this.pos = p;
    return true;
  }
  writeBinary(b: Buffer | Uint8Array | string): void {
    if (typeof b === 'string') {
      this.writeString(b);
      return;
    }
    this.writeI32(b.length);
    this.room(b.length);
    Buffer.from(b.buffer, b.byteOffset, b.length).copy(this.buf, this.pos);
    this.pos += b.length;
  }
  /** Bytes another writer encoded (its `bytes()`), copied in as they are. */
  writeRaw(b: Buffer): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  /**
   * Buffers that follow what is written so far, sent as they are rather than copied (a large encoded answer): the
   * caller must not change them afterwards.
   */
  writePieces(pieces: Buffer[]): void {
    this.pieces.push(this.buf.subarray(0, this.pos), ...pieces);
    this.piecesLength += this.pos;
    for (const p of pieces) this.piecesLength += p.length;
    // The bytes so far now belong to a piece: go on in a new buffer.
    this.buf = Buffer.allocUnsafe(4096);
    this.pos = 0;
  }
  /** How many bytes have been written since the start, the last take or the last flush. */
  get length(): number {
    return this.piecesLength + this.pos - (this.framed ? 4 : 0);
  }
  /** What has been written since the start or the last flush (a view valid until the next write, or a copy). */
  bytes(): Buffer {
    const last = this.buf.subarray(0, this.pos);
    const all = this.pieces.length ? Buffer.concat([...this.pieces, last]) : last;
    return all.subarray(this.framed ? 4 : 0);
  }
  /** What an unframed writer holds, as pieces that are the caller's to keep; the writer starts over. */
  take(): Buffer[] {
    if (this.framed) throw new Error('BinaryWriter.take: only for an unframed writer');
    const last = this.buf.subarray(0, this.pos);
    const out = [...this.pieces, this.pos > HAND_OVER ? last : Buffer.from(last)];
    if (this.pos > HAND_OVER) this.buf = Buffer.allocUnsafe(4096);
    this.pieces = [];
    this.piecesLength = 0;
    this.pos = 0;
    return out;
  }
  /** Forgets what has been written since the last flush (a reply that failed half-way). */
  reset(): void {
    this.pieces = [];
    this.piecesLength = 0;
    this.pos = this.framed ? 4 : 0;
  }
  flush(): void {
    const pieces = this.pieces;
    const first = pieces[0] ?? this.buf;
    if (this.framed) first.writeInt32BE(this.piecesLength + this.pos - 4, 0);
    for (const p of pieces) this.onFlush(p);
    // A large buffer goes as it is (a new one is started); a small one is copied and kept for the next message.
    const last = this.buf.subarray(0, this.pos);
    if (this.pos > HAND_OVER) {
      this.onFlush(last);
      this.buf = Buffer.allocUnsafe(4096);
    } else this.onFlush(Buffer.from(last));
    this.pieces = [];
    this.piecesLength = 0;
    this.pos = this.framed ? 4 : 0;
  }
}
