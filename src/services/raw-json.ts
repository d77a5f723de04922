/**
 * A result a service has already written as JSON text, because it is made mostly of JSON the
 * store keeps (partition definitions): splicing the stored text is far cheaper than parsing it
 * and writing it out again for thousands of objects. The HTTP layer sends it as it is.
 */
export class RawJson {
  private textForm: string | undefined;
  private readonly bytes: Buffer | undefined;

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
    let chars = head.length + tail.length + items.length;
    for (const s of items) chars += s.length;
    // Sized for ASCII (one byte a character); grown when a piece might not fit as UTF-8.
    let buf = Buffer.allocUnsafe(chars + 1024);
    let at = 0;
    const put = (s: string) => {
      if (at + s.length * 3 > buf.length && at + Buffer.byteLength(s, 'utf8') > buf.length) {
        const next = Buffer.allocUnsafe(Math.max(buf.length * 2, at + s.length * 3));
        buf.copy(next, 0, 0, at);
        buf = next;
      }
      at += buf.write(s, at, 'utf8');
    };
    put(head);
    for (let i = 0; i < items.length; i++) put(i > 0 ? `,${items[i] as string}` : (items[i] as string));
    put(tail);
    return new RawJson(buf.subarray(0, at), items.length);
  }
}
