/**
 * A result a service has already written as JSON text, because it is made mostly of JSON the
 * store keeps (partition definitions): splicing the stored text is far cheaper than parsing it
 * and writing it out again for thousands of objects. The HTTP layer sends it as it is.
 */
export class RawJson {
  constructor(
    readonly text: string,
    /** For an array: how many items it holds, so a caller that needs only the count parses nothing. */
    readonly count?: number,
  ) {}

  static array(items: string[]): RawJson {
    return new RawJson(`[${items.join(',')}]`, items.length);
  }
}
