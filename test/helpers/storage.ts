// Helpers shared by the object-storage tests.
import assert from 'node:assert/strict';
import './lean-runner.js';
import type { ListObjectsOptions, ObjectStorage } from '../../src/storage/object-storage.js';

/** S3 order: UTF-8 bytes. */
export const byteOrder = (a: string, b: string): number =>
  Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** Follows nextMarker to the end, checking the paging contract of every page on the way. */
export async function listAll(
  storage: ObjectStorage,
  bucket: string,
  opts: ListObjectsOptions,
): Promise<{ items: string[]; pages: number }> {
  const items: string[] = [];
  let marker = opts.marker;
  for (let pages = 1; ; pages++) {
    const page = await storage.listObjects(bucket, { ...opts, ...(marker === undefined ? {} : { marker }) });
    assert.ok(page.objects.length + page.commonPrefixes.length <= opts.limit, 'a page never exceeds the limit');
    const got = [...page.objects.map((o) => o.key), ...page.commonPrefixes].sort(byteOrder);
    items.push(...got);
    if (page.nextMarker === undefined) return { items, pages };
    assert.equal(page.nextMarker, got.at(-1), 'the next marker is the last item returned');
    assert.equal(got.length, opts.limit, 'only a full page is truncated');
    marker = page.nextMarker;
    assert.ok(pages < 10_000, 'paging terminates');
  }
}

/** Keys whose order differs between UTF-16 code units, code points and folder walks; S3 orders them by UTF-8 bytes. */
export const TRICKY = [
  'a/b',
  'a/c/d',
  'a-b',
  'a.b',
  'ab',
  'a0',
  'A',
  '_x',
  '~',
  'é',
  'z',
  '😀',
  '\uFFFD',
  '\uFB00',
  '\uE000',
  'b/😀/x',
  'b/\uE000/y',
  'b/\uFFFD',
  'b/c',
  'b-c',
  'b.c/d',
  'b/c0',
  'data/part-0001.parquet',
  'data/.part-0001.crc',
  'data/_SUCCESS',
  'dt=2024-01-01/x',
  'dt=2024-01-02/x',
  'dt=2024-01-02/y',
  'dt=2024/z',
  'x y/z',
  'ünï/cödé',
];
