import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

// Server side of the Huawei Cloud SDK-HMAC-SHA256 request signature (see the reference README).

export interface SignedRequestInput {
  method: string;
  /** Path and optional query exactly as received. */
  rawUrl: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface ParsedAuthorization { accessKey: string; signedHeaders: string[]; signature: string }

export type SignatureCheck = { ok: true; accessKey: string } | { ok: false; reason: string };

const ALGORITHM = 'SDK-HMAC-SHA256';

export function parseAuthorization(header: string): ParsedAuthorization | null {
  const m = /^\s*SDK-HMAC-SHA256\s+(.*)$/i.exec(header);
  if (!m) return null;
  const fields = new Map<string, string>();
  for (const part of (m[1] ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return null;
    fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const accessKey = fields.get('access');
  const signed = fields.get('signedheaders');
  const signature = fields.get('signature');
  if (!accessKey || !signed || !signature || !/^[0-9a-f]{64}$/i.test(signature)) return null;
  return { accessKey, signedHeaders: signed.split(';').map((h) => h.trim().toLowerCase()).filter(Boolean), signature: signature.toLowerCase() };
}

/** Percent-encoding of the scheme: everything but A-Z a-z 0-9 - _ . ~, upper-case hex over UTF-8. */
function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

function canonicalUri(path: string): string {
  const encoded = path.split('/').map((seg) => encode(decode(seg))).join('/');
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

function canonicalQuery(query: string): string {
  if (!query) return '';
  const pairs = query.split('&').filter(Boolean).map((kv) => {
    const eq = kv.indexOf('=');
    const k = eq < 0 ? kv : kv.slice(0, eq);
    const v = eq < 0 ? '' : kv.slice(eq + 1);
    return [encode(decode(k.replace(/\+/g, ' '))), encode(decode(v.replace(/\+/g, ' ')))] as const;
  });
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  pairs.sort((a, b) => cmp(a[0], b[0]) || cmp(a[1], b[1]));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

const headerValue = (headers: SignedRequestInput['headers'], name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

export function canonicalRequest(input: SignedRequestInput, signedHeaders: string[]): string {
  const q = input.rawUrl.indexOf('?');
  const path = q < 0 ? input.rawUrl : input.rawUrl.slice(0, q);
  const query = q < 0 ? '' : input.rawUrl.slice(q + 1);
  const names = [...signedHeaders].map((h) => h.toLowerCase()).sort();
  const headerLines = names.map((n) => `${n}:${(headerValue(input.headers, n) ?? '').trim()}\n`).join('');
  const payloadHash = headerValue(input.headers, 'x-sdk-content-sha256') ?? createHash('sha256').update(input.body).digest('hex');
  return [input.method.toUpperCase(), canonicalUri(path), canonicalQuery(query), headerLines, names.join(';'), payloadHash].join('\n');
}

export function stringToSign(sdkDate: string, canonical: string): string {
  return [ALGORITHM, sdkDate, createHash('sha256').update(canonical).digest('hex')].join('\n');
}

export function sign(secretKey: string, sdkDate: string, canonical: string): string {
  return createHmac('sha256', secretKey).update(stringToSign(sdkDate, canonical)).digest('hex');
}

export function parseSdkDate(value: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return null;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(d.getTime()) || d.getUTCDate() !== +m[3]! ? null : d;
}

const formatSdkDate = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

export function verifyRequestSignature(
  input: SignedRequestInput, secretFor: (accessKey: string) => string | undefined, now: Date, maxSkewMs = 15 * 60 * 1000,
): SignatureCheck {
  const auth = parseAuthorization(headerValue(input.headers, 'authorization') ?? '');
  if (!auth) return { ok: false, reason: 'the Authorization header is not an SDK-HMAC-SHA256 signature' };
  if (!auth.signedHeaders.includes('x-sdk-date')) return { ok: false, reason: 'X-Sdk-Date must be among the signed headers' };
  const missing = auth.signedHeaders.find((h) => headerValue(input.headers, h) === undefined);
  if (missing) return { ok: false, reason: `signed header '${missing}' is not in the request` };
  const sdkDate = headerValue(input.headers, 'x-sdk-date') ?? '';
  const when = parseSdkDate(sdkDate);
  if (!when) return { ok: false, reason: 'X-Sdk-Date must look like 20240101T000000Z' };
  if (Math.abs(now.getTime() - when.getTime()) > maxSkewMs) return { ok: false, reason: 'X-Sdk-Date is more than 15 minutes away from the server clock' };
  const secret = secretFor(auth.accessKey);
  if (secret === undefined) return { ok: false, reason: 'unknown access key' };
  const expected = Buffer.from(sign(secret, sdkDate, canonicalRequest(input, auth.signedHeaders)), 'hex');
  const given = Buffer.from(auth.signature, 'hex');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'the signature does not match the request' };
  return { ok: true, accessKey: auth.accessKey };
}

/** Client side, for tests and tools: the headers that sign a request the way the SDKs do. */
export function signRequest(opts: {
  method: string; url: string; headers: Record<string, string>; body?: string | Buffer; accessKey: string; secretKey: string; date?: Date;
}): Record<string, string> {
  const url = new URL(opts.url);
  const sdkDate = formatSdkDate(opts.date ?? new Date());
  const out: Record<string, string> = { ...opts.headers, 'X-Sdk-Date': sdkDate };
  if (!Object.keys(out).some((k) => k.toLowerCase() === 'host')) out.Host = url.host;
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(out)) lower[k.toLowerCase()] = v;
  const signed = Object.keys(lower).sort();
  const body = opts.body === undefined ? Buffer.alloc(0) : Buffer.from(opts.body);
  const canonical = canonicalRequest({ method: opts.method, rawUrl: url.pathname + url.search, headers: lower, body }, signed);
  out.Authorization = `${ALGORITHM} Access=${opts.accessKey}, SignedHeaders=${signed.join(';')}, Signature=${sign(opts.secretKey, sdkDate, canonical)}`;
  return out;
}
