// Metadata files of Iceberg tables and views in object storage: where a location is, reading
// (lossless JSON) and writing them, and a cache of parsed table metadata.
import { LRUCache } from 'lru-cache';
import { cacheBound } from '../../memory.js';
import { type ObjectStorage, StorageNotFoundError } from '../../storage/object-storage.js';
import { storageCoordinates } from '../console/location-service.js';
import { countedCache } from '../telemetry.js';
import { badRequest, missing } from './errors.js';
import { parseIceberg, stringifyMetadata } from './json.js';
import type { TableMetadata } from './table-metadata.js';

/**
 * Parsed metadata files by location. A metadata file never changes once written, so an entry
 * never goes stale; the cache is bounded by the files' total size (a table with many snapshots
 * has a large file), and a file above a quarter of it is not kept.
 */
const metadataCacheBytes = () => cacheBound(64 * 1024 * 1024);

export class MetadataFiles {
  private readonly cache = countedCache(
    'iceberg_metadata',
    new LRUCache<string, TableMetadata>({
      max: cacheBound(1024),
      maxSize: metadataCacheBytes(),
      maxEntrySize: metadataCacheBytes() / 4,
    }),
  );

  constructor(
    readonly storage: ObjectStorage,
    readonly localWarehouse: string | undefined,
  ) {}

  coordinates(location: string) {
    const c = storageCoordinates(location, this.localWarehouse);
    if (!c?.bucket) throw badRequest(`location ${location} is not in the object storage this service writes`);
    return c;
  }

  /** A new metadata file: every name is new (a uuid in it) and written once, so it is written in place (newKey). */
  async writeFile(location: string, body: string): Promise<void> {
    const c = this.coordinates(location);
    await this.storage.putObject(c.bucket, c.key, body, { newKey: true });
  }

  /** Best effort: a file left behind is harmless, a failed cleanup must not fail the call. */
  async removeFile(location: string): Promise<void> {
    const c = storageCoordinates(location, this.localWarehouse);
    if (c?.bucket) await this.storage.deleteObject(c.bucket, c.key).catch(() => undefined);
  }

  /** A metadata file, parsed. The object returned may be shared: never change it (applyUpdates works on a copy). */
  async readMetadata(location: string): Promise<TableMetadata> {
    const cached = this.cache.get(location);
    if (cached) return cached;
    const { value, size } = await this.readJson<TableMetadata>(location, 'table', 'table');
    this.cache.set(location, value, { size });
    return value;
  }

  /** A JSON file of our storage (lossless integers); a missing one is a not-found of `subject`. */
  async readJson<T>(location: string, subject: 'table' | 'view', what: string): Promise<{ value: T; size: number }> {
    const c = this.coordinates(location);
    try {
      const text = (await this.storage.getObject(c.bucket, c.key)).toString('utf8');
      return { value: parseIceberg<T>(text), size: Math.max(1, text.length) };
    } catch (err) {
      if (err instanceof StorageNotFoundError)
        throw missing(subject, `the metadata file ${location} of the ${what} is missing`);
      if (err instanceof SyntaxError) throw badRequest(`the file ${location} is not JSON ${what} metadata`);
      throw err;
    }
  }

  /**
   * A version a commit replaced: no longer kept. Loads read the current version, so an old one would only hold its
   * objects and engine text (see engine-paths.ts) in memory until the cache's bound; dropped now, they die young
   * instead of being copied by every garbage collection on their way to the old generation.
   */
  superseded(location: string): void {
    this.cache.delete(location);
  }

  async writeMetadata(location: string, m: TableMetadata): Promise<void> {
    // Only the items this version added are written out anew (see stringifyMetadata).
    const text = stringifyMetadata(m as unknown as Record<string, unknown>);
    await this.writeFile(location, text);
    this.cache.set(location, m, { size: Math.max(1, text.length) });
  }
}
