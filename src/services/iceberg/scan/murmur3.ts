// Iceberg's 32-bit hash (table spec, Appendix B): Murmur3, x86 32-bit variant, seed 0, over the
// value's bytes as the spec lays them out per type. The bucket transform is built on it.

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixK(k: number): number {
  let x = Math.imul(k, C1);
  x = (x << 15) | (x >>> 17);
  return Math.imul(x, C2);
}

function mixH(h: number, k: number): number {
  let x = h ^ k;
  x = (x << 13) | (x >>> 19);
  return (Math.imul(x, 5) + 0xe6546b64) | 0;
}

function finalize(h: number, length: number): number {
  let x = h ^ length;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x | 0;
}

/** The signed 32-bit Murmur3 hash of `bytes`. */
export function murmur3(bytes: Uint8Array): number {
  let h = 0;
  const blocks = bytes.length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const o = i * 4;
    const k =
      (bytes[o] as number) |
      ((bytes[o + 1] as number) << 8) |
      ((bytes[o + 2] as number) << 16) |
      ((bytes[o + 3] as number) << 24);
    h = mixH(h, mixK(k));
  }
  const tail = blocks * 4;
  const rest = bytes.length & 3;
  if (rest > 0) {
    let k = 0;
    if (rest === 3) k ^= (bytes[tail + 2] as number) << 16;
    if (rest >= 2) k ^= (bytes[tail + 1] as number) << 8;
    k ^= bytes[tail] as number;
    h ^= mixK(k);
  }
  return finalize(h, bytes.length);
}

/** hashLong: the 8 little-endian bytes of a 64-bit integer (ints hash as longs, so promotion keeps buckets). */
export function hashLong(v: bigint | number): number {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt.asIntN(64, BigInt(v)));
  return murmur3(b);
}

/** The minimum two's-complement big-endian bytes of an integer (decimals hash their unscaled value so). */
export function minBigEndian(v: bigint): Buffer {
  const bytes: number[] = [];
  let x = v;
  for (;;) {
    bytes.unshift(Number(BigInt.asUintN(8, x)));
    const rest = x >> 8n;
    // Done when the rest is only sign extension of the byte written.
    const signBit = ((bytes[0] as number) & 0x80) !== 0;
    if ((rest === 0n && !signBit) || (rest === -1n && signBit)) break;
    x = rest;
  }
  return Buffer.from(bytes);
}

/** `(hash & Integer.MAX_VALUE) % n`: the bucket of a hash. */
export const bucketOf = (hash: number, n: number): number => (hash & 0x7fffffff) % n;
