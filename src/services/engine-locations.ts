import path from 'node:path';
import { invalid } from './errors.js';

/**
 * The one rule mapping stored locations to the ones engines use, and back.
 *
 * LakeCat stores `obs://<bucket>/<key>` (the LakeFormation API shows it as is). Engines get:
 * - on the local backend, `file://<data dir>/warehouse/<bucket>/<key>` — the folder that holds it;
 * - on S3, `s3://<bucket>/<key>`.
 * Engines may send either of those, `s3a://` / `s3n://` (Hadoop's S3 schemes) or `obs://`; all
 * come back to `obs://`. A `.` or `..` segment, or a file:// path outside the warehouse, is
 * refused; the services' location guards then apply to the stored form as for every other caller.
 */
/**
 * Whether it holds what a regex `.` does not match (a stored location holding one is shown as it is). Four searches
 * cost a third of the regex /[\n\r\u2028\u2029]/ on a listing's locations.
 */
const hasLineEnd = (s: string): boolean =>
  s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0 || s.indexOf('\u2028') >= 0 || s.indexOf('\u2029') >= 0;

export class LocationMap {
  /** The rule as text: locations mapped by maps of one form are mapped alike (a kept encoding is keyed by it). */
  readonly form: string;

  constructor(
    private readonly kind: 'local' | 's3',
    private readonly warehouse: string | undefined,
  ) {
    this.form = JSON.stringify([kind, kind === 'local' ? (warehouse ?? null) : null]);
  }

  /** The engine form of the last bucket mapped: a listing maps thousands of locations in one bucket. */
  private last: { bucket: string; prefix: string } | undefined;

  toEngine(stored: string | undefined | null): string {
    const [prefix, rest] = this.toEngineParts(stored);
    return prefix ? `${prefix}${rest}` : rest;
  }

  /** toEngine's answer as the two strings it joins (the prefix may be ''): an encoder writes them without joining. */
  toEngineParts(stored: string | undefined | null): readonly [string, string] {
    if (!stored) return ['', ''];
    // obs://<bucket>[/<key>] by hand (a listing maps thousands): what /^obs:\/\/([^/]+)(\/.*)?$/ would match.
    if (!stored.startsWith('obs://')) return ['', stored];
    const slash = stored.indexOf('/', 6);
    // The bucket compared in place: a listing's locations are mostly in the last bucket mapped.
    const last = this.last;
    const end = slash < 0 ? stored.length : slash;
    const bucket =
      last && end - 6 === last.bucket.length && stored.startsWith(last.bucket, 6) ? last.bucket : stored.slice(6, end);
    const key = slash < 0 ? '' : stored.slice(slash);
    if (!bucket || hasLineEnd(key)) return ['', stored];
    if (last?.bucket !== bucket) {
      const prefix =
        this.kind === 'local' && this.warehouse
          ? `file://${path.posix.join(this.warehouse, bucket)}`
          : `s3://${bucket}`;
      this.last = { bucket, prefix };
    }
    return [(this.last as { prefix: string }).prefix, key];
  }

  fromEngine(what: string, loc: string | undefined | null): string | undefined {
    if (loc === undefined || loc === null || loc === '') return undefined;
    if (loc.length > 4000) throw invalid(`${what} is longer than 4000 characters`);
    const segments = (p: string) => p.split('/');
    const file = /^file:(\/\/)?(\/.*)$/.exec(loc);
    if (file) {
      const p = file[2] as string;
      if (segments(p).some((s) => s === '..' || s === '.'))
        throw invalid(`${what} '${loc}' must not hold . or .. segments`);
      const root = this.warehouse;
      if (this.kind !== 'local' || !root)
        throw invalid(`${what} '${loc}': file:// locations need the local storage backend; use s3://`);
      const rel = path.posix.relative(root, p.replace(/\/+$/, ''));
      if (rel === '' || rel.startsWith('..') || path.posix.isAbsolute(rel)) {
        throw invalid(`${what} '${loc}' is outside the warehouse folder ${root}`);
      }
      return `obs://${rel}`;
    }
    const s3 = /^(s3|s3a|s3n|obs):\/\/([^/]+)(\/.*)?$/.exec(loc);
    if (!s3)
      throw invalid(
        `${what} '${loc}' must be s3://bucket/path${this.kind === 'local' ? ' or file:// inside the warehouse' : ''}`,
      );
    const key = s3[3] ?? '';
    if (segments(key).some((s) => s === '..' || s === '.'))
      throw invalid(`${what} '${loc}' must not hold . or .. segments`);
    return `obs://${s3[2] as string}${key}`.replace(/\/+$/, '');
  }
}
