// The storage paths an Iceberg table's metadata names: its location and the write.*.path
// properties engines write data and metadata files to. Vended credentials and the files this
// catalog writes follow them, so each new or changed one passes the same location guard as a
// LakeCat table's location before anything is written.

import { storageCoordinates } from '../console/location-service.js';
import type { Principal } from '../iam/principal.js';
import type { LocationGuard } from '../lakecat/names.js';
import { badRequest } from './errors.js';

/** Table properties that redirect where engines write a table's files. */
export const PATH_PROPERTIES = [
  'write.data.path',
  'write.metadata.path',
  'write.object-storage.path',
  'write.folder-storage.path',
] as const;

/** Characters that mean something to a storage policy or a pattern: a path never contains them. */
const METACHARACTERS = /[*?[\]{}$%"\\\s]/;

interface Paths {
  location: string;
  properties?: Record<string, string> | undefined;
}

/**
 * Refuses (invalid or forbidden) a location or path property of `next` that is new or
 * changed since `base` (all of them without a base: a table being created) unless it is a plain
 * path inside the storage this service writes and the guard lets the instance use it.
 */
export async function assertTablePaths(
  guard: LocationGuard,
  caller: Principal,
  instanceId: string,
  localWarehouse: string | undefined,
  next: Paths,
  base?: Paths,
): Promise<void> {
  const named: [string, string | undefined, string | undefined][] = [
    ['location', next.location, base?.location],
    ...PATH_PROPERTIES.map((k): [string, string | undefined, string | undefined] => [
      k,
      next.properties?.[k],
      base?.properties?.[k],
    ]),
  ];
  for (const [what, path, before] of named) {
    if (path === undefined || (base && path === before)) continue;
    const c = storageCoordinates(path, localWarehouse);
    if (!c?.bucket || !c.key || METACHARACTERS.test(path) || path.split('/').some((s) => s === '.' || s === '..')) {
      throw badRequest(
        `${what} ${path} must be a plain path inside a bucket of this ` +
          `service's object storage: no wildcards, policy characters or ` +
          `relative segments`,
      );
    }
    // The guard's refusals stay LakeCat errors (forbidden or invalid); a forbidden one is audited.
    await guard(caller, instanceId, path.replace(/\/+$/, ''));
  }
}
