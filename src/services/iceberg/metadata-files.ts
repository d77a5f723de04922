// Metadata files of Iceberg tables and views in object storage: where a location is, reading
// (lossless JSON) and writing them, and a cache of parsed table metadata.
import { LRUCache } from 'lru-cache';
import { cacheBound } from '../../memory.js';
import { type ObjectStorage, type PutBody, StorageNotFoundError } from '../../storage/object-storage.js';
import { storageCoordinates } from '../console/location-service.js';
import { encodePooled } from '../raw-json.js';
import { countedCache } from '../telemetry.js';
import { badRequest, missing } from './errors.js';
import { metadataPieces, parseIceberg } from './json.js';
import type { TableMetadata } from './table-metadata.js';

/**
 * Parsed metadata files by location. A metadata file never changes once written, so an entry
 * never goes stale; the cache is bounded by the files' total size (a table with many snapshots
 * has a large file, see keptSize), and a file above a quarter of it is not kept.
 */
const metadataCacheBytes = () => cacheBound(64 * 1024 * 1024);
/**
 * What a cached version holds, counted by its file's size: its objects, and the texts of its lists kept by its items
 * (json.ts: the stored form's, and the engine form's where it reads otherwise) for the next commit and the answers.
 */
const keptSize = (fileSize: number) => Math.max(1, 2 * fileSize);

export class MetadataFiles {
  private readonly cache = countedCache(
    'iceberg_metadata',
    new LRUCache<string, TableMetadata>({
      max: cacheBound(1024),
      maxSize: metadataCacheBytes(),
      // Files up to a quarter of the bound, as before their kept texts were counted.
      maxEntrySize: metadataCacheBytes() / 2,
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

  /**
   * A new metadata file: every name is new (a uuid in it) and written once, so it is written in place (newKey).
   * `written`: see ObjectStorage.putObject.
   */
  async writeFile(location: string, body: PutBody, written?: () => void): Promise<void> {
    const c = this.coordinates(location);
    await this.storage.putObject(c.bucket, c.key, body, { newKey: true, ...(written ? { written } : {}) });
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
    this.cache.set(location, value, { size: keptSize(size) });
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
    await this.startMetadata(location, m).durable;
  }

  /**
   * A metadata file's write, started: `written` once only its durability is awaited (a local file's fsync), for the
   * caller to do meanwhile what needs no durable file; `durable` once it is (the only point from which a pointer may
   * name it). The location is to be checked first (see coordinates).
   */
  startMetadata(location: string, m: TableMetadata): MetadataWrite {
    // Only the items this version added are written out anew (see metadataPieces), and the text is encoded once,
    // from its pieces, into the buffer written (a pooled one, given back once written): when the storage asks for it
    // (the local file being created meanwhile).
    let release: (() => void) | undefined;
    let size = 1;
    const encode = () => {
      const encoded = encodePooled(metadataPieces(m as unknown as Record<string, unknown>));
      release = encoded.release;
      size = encoded.bytes.length;
      return encoded.bytes;
    };
    let handedOver = () => {};
    const written = new Promise<void>((resolve) => {
      handedOver = resolve;
    });
    const durable = this.writeFile(location, encode, handedOver).then(
      () => {
        release?.();
        this.cache.set(location, m, { size: keptSize(size) });
      },
      (err: unknown) => {
        release?.();
        throw err;
      },
    );
    // Settles `written` however the write ends, and marks a failure handled until the caller awaits it (a commit may
    // be preparing another table's file meanwhile).
    durable.then(handedOver, handedOver);
    return { written, durable };
  }
}

/** A metadata file's write under way (see MetadataFiles.startMetadata). */
export interface MetadataWrite {
  written: Promise<void>;
  durable: Promise<void>;
}
