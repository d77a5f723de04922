import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

// Huawei Cloud AK/SK request signing (SDK-HMAC-SHA256), checked on the server and produced for
// our own tests and tools. The scheme is SigV4-like but signs with the raw secret key.

export interface SignedRequestInput {
  method: string;
  /** Path and optional query exactly as received (e.g. req.raw.url). */
  rawUrl: string;
  /** Header names in lower case, as Node gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The exact body bytes received; an empty Buffer when there is none. */
  body: Buffer;
}

export interface ParsedAuthorization {
  accessKey: string;
  signedHeaders: string[];
  signature: string;
}

export type SignatureCheck = { ok: true; accessKey: string } | { ok: false; reason: string };

const ALGORITHM = 'SDK-HMAC-SHA256';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

export function parseAuthorization(header: string): ParsedAuthorization | null {
  const m = /^\s*SDK-HMAC-SHA256\s+(\S[\s\S]*)$/i.exec(header);
  if (!m?.[1]) return null;
  const fields = new Map<string, string>();
  for (const part of m[1].split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return null;
    const key = part.slice(0, eq).trim().toLowerCase();
    // A repeated field makes the header ambiguous, so it is refused rather than guessed at.
    if (fields.has(key)) return null;
    fields.set(key, part.slice(eq + 1).trim());
  }
  const accessKey = fields.get('access');
  const signed = fields.get('signedheaders');
  const signature = fields.get('signature');
  if (!accessKey || /\s/.test(accessKey) || !signed || !signature || !/^[0-9a-f]{64}$/i.test(signature)) return null;
  const signedHeaders = signed.split(';').map((h) => h.trim().toLowerCase());
  if (!signedHeaders.every((h) => HEADER_NAME.test(h))) return null;
  return { accessKey, signedHeaders, signature: signature.toLowerCase() };
}

// --- percent-encoding, done on bytes so any UTF-8 (or invalid UTF-8) round-trips exactly ---

const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isUnreserved = (b: number): boolean =>
  (b >= 65 && b <= 90) ||
  (b >= 97 && b <= 122) ||
  (b >= 48 && b <= 57) ||
  b === 45 ||
  b === 46 ||
  b === 95 ||
  b === 126;

/** Lenient decoding: a '%' not followed by two hex digits stays a literal '%'. */
function percentDecode(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && i + 2 < s.length && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      const cp = s.codePointAt(i) ?? c;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
      if (cp > 0xffff) i++;
    }
  }
  return Buffer.from(bytes);
}

/** Everything but A-Z a-z 0-9 - _ . ~ becomes %XX with upper-case hex. */
function percentEncode(bytes: Buffer): string {
  let out = '';
  for (const b of bytes)
    out += isUnreserved(b) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

const reencode = (s: string): string => percentEncode(percentDecode(s));

function splitUrl(rawUrl: string): { path: string; query: string } {
  // Absolute-form targets (proxies) carry scheme and authority; only path and query are signed.
  let target = rawUrl.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/, '');
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

function canonicalUri(path: string): string {
  const encoded = path.split('/').map(reencode).join('/');
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

function canonicalQuery(query: string): string {
  // The SDKs sort the decoded names and values, so comparison is on decoded bytes, not on the encoded text.
  const pairs = query
    .split('&')
    .filter((kv) => kv !== '')
    .map((kv) => {
      const eq = kv.indexOf('=');
      const name = eq < 0 ? kv : kv.slice(0, eq);
      const value = eq < 0 ? '' : kv.slice(eq + 1);
      return [percentDecode(name.replace(/\+/g, '%20')), percentDecode(value.replace(/\+/g, '%20'))] as const;
    });
  pairs.sort((a, b) => Buffer.compare(a[0], b[0]) || Buffer.compare(a[1], b[1]));
  return pairs.map(([n, v]) => `${percentEncode(n)}=${percentEncode(v)}`).join('&');
}

function headerValue(headers: SignedRequestInput['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function normaliseNames(signedHeaders: string[]): string[] {
  return [...new Set(signedHeaders.map((h) => h.trim().toLowerCase()))].sort(byteOrder);
}

/** lineOrder exists for the Node SDK, which orders the header lines with localeCompare. */
function buildCanonical(input: SignedRequestInput, names: string[], lineOrder: string[] = names): string {
  const { path, query } = splitUrl(input.rawUrl);
  const headerLines = lineOrder.map((n) => `${n}:${(headerValue(input.headers, n) ?? '').trim()}\n`).join('');
  const payloadHash = headerValue(input.headers, 'x-sdk-content-sha256')?.trim() ?? sha256Hex(input.body);
  return [
    input.method.toUpperCase(),
    canonicalUri(path),
    canonicalQuery(query),
    headerLines,
    names.join(';'),
    payloadHash,
  ].join('\n');
}

export function canonicalRequest(input: SignedRequestInput, signedHeaders: string[]): string {
  return buildCanonical(input, normaliseNames(signedHeaders));
}

export function stringToSign(sdkDate: string, canonical: string): string {
  return [ALGORITHM, sdkDate, sha256Hex(canonical)].join('\n');
}

export function sign(secretKey: string, sdkDate: string, canonical: string): string {
  return createHmac('sha256', secretKey).update(stringToSign(sdkDate, canonical)).digest('hex');
}

/** UTC time as YYYYMMDD'T'HHMMSS'Z'. */
export function formatSdkDate(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

export function parseSdkDate(value: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s));
  date.setUTCFullYear(y); // Date.UTC maps years 0-99 to 19xx
  // Out-of-range fields (month 13, 25:00, Feb 30) roll over, so a round trip exposes them.
  return Number.isNaN(date.getTime()) || formatSdkDate(date) !== value ? null : date;
}

function sameHex(expectedHex: string, givenHex: string): boolean {
  const a = Buffer.from(expectedHex, 'hex');
  const b = Buffer.from(givenHex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

const minutes = (ms: number): string => {
  const n = Math.round(ms / 60000);
  return n === 1 ? '1 minute' : `${n} minutes`;
};

export function verifyRequestSignature(
  input: SignedRequestInput,
  secretFor: (accessKey: string) => string | undefined,
  now: Date,
  maxSkewMs = 15 * 60 * 1000,
): SignatureCheck {
  const rawAuth = input.headers.authorization;
  if (typeof rawAuth !== 'string') return { ok: false, reason: 'the request carries no single Authorization header' };
  const auth = parseAuthorization(rawAuth);
  if (!auth) return { ok: false, reason: 'the Authorization header is not a well-formed SDK-HMAC-SHA256 signature' };
  const names = normaliseNames(auth.signedHeaders);
  if (!names.includes('x-sdk-date')) return { ok: false, reason: 'X-Sdk-Date must be one of the signed headers' };
  const missing = names.find((h) => headerValue(input.headers, h) === undefined);
  if (missing !== undefined) return { ok: false, reason: `the signed header '${missing}' is not in the request` };

  const sdkDate = (headerValue(input.headers, 'x-sdk-date') ?? '').trim();
  const when = parseSdkDate(sdkDate);
  if (!when) return { ok: false, reason: 'X-Sdk-Date is malformed; expected a UTC time such as 20240101T000000Z' };
  const skew = when.getTime() - now.getTime();
  if (skew > maxSkewMs)
    return { ok: false, reason: `X-Sdk-Date is more than ${minutes(maxSkewMs)} ahead of the server clock` };
  if (-skew > maxSkewMs)
    return { ok: false, reason: `X-Sdk-Date is more than ${minutes(maxSkewMs)} behind the server clock` };

  // The payload hash is taken from this header, so a hash that is not the body's would let the body be swapped.
  const declared = headerValue(input.headers, 'x-sdk-content-sha256')?.trim();
  if (declared !== undefined && declared !== UNSIGNED_PAYLOAD && declared.toLowerCase() !== sha256Hex(input.body)) {
    return { ok: false, reason: 'X-Sdk-Content-Sha256 does not match the request body' };
  }

  const secret = secretFor(auth.accessKey);
  if (secret === undefined) return { ok: false, reason: 'the access key is not known' };

  const candidates = [buildCanonical(input, names)];
  const localeOrder = [...names].sort((a, b) => a.localeCompare(b));
  if (localeOrder.join(';') !== names.join(';')) candidates.push(buildCanonical(input, names, localeOrder));
  let match = false;
  for (const canonical of candidates) match = sameHex(sign(secret, sdkDate, canonical), auth.signature) || match;
  return match
    ? { ok: true, accessKey: auth.accessKey }
    : { ok: false, reason: 'the signature does not match the request' };
}

/** Client side, for tests and tools: the headers that sign a request the way the SDKs do. */
export function signRequest(opts: {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  accessKey: string;
  secretKey: string;
  date?: Date;
}): Record<string, string> {
  const url = new URL(opts.url);
  const out: Record<string, string> = {};
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers)) {
    const l = k.toLowerCase();
    if (l === 'authorization') continue;
    if (l in lower) throw new TypeError(`header '${k}' is given twice`);
    out[k] = v;
    lower[l] = v;
  }
  // As in the SDKs, a caller-supplied X-Sdk-Date is kept.
  if (lower['x-sdk-date'] === undefined)
    lower['x-sdk-date'] = out['X-Sdk-Date'] = formatSdkDate(opts.date ?? new Date());
  if (lower.host === undefined) lower.host = out.Host = url.host;
  const signed = Object.keys(lower).sort(byteOrder);
  const body = opts.body === undefined ? Buffer.alloc(0) : Buffer.from(opts.body);
  const sdkDate = lower['x-sdk-date'];
  const canonical = buildCanonical(
    { method: opts.method, rawUrl: url.pathname + url.search, headers: lower, body },
    signed,
  );
  out.Authorization =
    `${ALGORITHM} Access=${opts.accessKey}, ` +
    `SignedHeaders=${signed.join(';')}, ` +
    `Signature=${sign(opts.secretKey, sdkDate, canonical)}`;
  return out;
}
