import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  randomInt,
  scrypt,
  timingSafeEqual,
} from 'node:crypto';

const SCRYPT = { r: 8, p: 1, keyLen: 32 } as const;
/** scrypt's N for new hashes: ~16 MiB per hash, memory-hard, ~40 ms of CPU (LAKEFORM_PASSWORD_HASH_COST sets it). */
export const DEFAULT_PASSWORD_HASH_COST = 16384;

function scryptAsync(password: string, salt: Buffer, n: number, r: number, p: number, len: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, len, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/**
 * `scrypt$N$r$p$salt$hash`, base64 parts: the parameters travel with the hash so they can be raised later, and a hash
 * made at another cost still verifies.
 */
export async function hashPassword(password: string, cost = DEFAULT_PASSWORD_HASH_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, cost, SCRYPT.r, SCRYPT.p, SCRYPT.keyLen);
  return ['scrypt', cost, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scryptAsync(
    password,
    Buffer.from(salt, 'base64'),
    Number(n),
    Number(r),
    Number(p),
    expected.length,
  );
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash to compare against when the user does not exist, at the cost of real ones, so timing does not reveal it. */
export const dummyPasswordHash = (cost = DEFAULT_PASSWORD_HASH_COST): string =>
  `scrypt$${cost}$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`;

export const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/** 32 lowercase hex characters: the id format of domains, projects, users and groups. */
export const newHexId = (): string => randomBytes(16).toString('hex');

const ALNUM_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const randomString = (alphabet: string, len: number): string =>
  Array.from({ length: len }, () => alphabet[randomInt(alphabet.length)]).join('');

/** Access keys look like the cloud's: 20 upper-case alphanumerics; secrets 40 alphanumerics. */
export const newAccessKeyId = (): string => randomString(ALNUM_UPPER, 20);
export const newSecretKey = (): string => randomString(ALNUM, 40);
export const newOpaqueToken = (prefix: string): string => `${prefix}${randomBytes(32).toString('base64url')}`;

/** Encrypts small secrets at rest with AES-256-GCM under the server's master key. */
export class SecretBox {
  private readonly key: Buffer;
  constructor(masterKey: string) {
    const raw = /^[0-9a-fA-F]{64}$/.test(masterKey) ? Buffer.from(masterKey, 'hex') : Buffer.from(masterKey, 'base64');
    if (raw.length !== 32) throw new Error('the master key must be 32 bytes, as 64 hex characters or base64');
    this.key = raw;
  }

  static generateKey(): string {
    return randomBytes(32).toString('hex');
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
  }

  open(sealed: string): string {
    const [v, iv, tag, ct] = sealed.split(':');
    if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('unreadable sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64')), decipher.final()]).toString('utf8');
  }
}
