// Iceberg REST credential vending: the `storage-credentials` of a LoadTableResult and of
// loadCredentials. Every credential comes from the LakeFormation credential operation's service,
// so it gets the same checks (visibility and privilege, a plain path in the instance's space or
// an authorized location, no other table's data under the prefix) and the same scoping.
import type { Logger } from 'pino';
import type { CredentialService } from '../console/credential-service.js';
import { ServiceError } from '../errors.js';
import type { Caller, Warehouse } from './catalog-service.js';
import { unsupported } from './errors.js';

export interface StorageCredential {
  prefix: string;
  config: Record<string, string>;
}

/** What vending needs to know of the object storage; for S3, what engines need to reach it. */
export type VendingStorage =
  | { kind: 'local' }
  | { kind: 's3'; sts: boolean; endpoint: string; region: string; pathStyle: boolean };

/** The table a credential is for: its LakeCat path and its location, which is the credential's prefix. */
export interface VendTarget {
  w: Warehouse;
  namespace: string;
  name: string;
  location: string;
}

/** One hour: engines refresh through loadCredentials before it runs out. */
const DURATION_SECONDS = 3600;

export class IcebergCredentials {
  constructor(
    private readonly credentials: CredentialService,
    private readonly storage: VendingStorage,
    private readonly log: Logger,
  ) {
    if (!this.vends())
      log.info(
        'Iceberg credential vending is off: S3 storage without an STS ' +
          '(LAKEFORM_S3_STS_ROLE_ARN); loads carry no storage-credentials',
      );
  }

  /**
   * lakeform's own temporary keys are not S3 keys: handed to an engine as s3.* they would replace
   * the engine's working credentials with ones the store refuses. They are vended on the local
   * backend only, where no S3 client reaches the data, so they replace nothing; they reach the
   * table's prefix through lakeform's own storage listing, as ShowCredential's do.
   */
  private vends(): boolean {
    return this.storage.kind === 'local' || this.storage.sts;
  }

  /**
   * Fresh credentials for the table's location (loadCredentials): READ_WRITE when the caller may
   * write the table, READ when it may only read it; every refusal is the caller's answer.
   */
  async vend(p: Caller, t: VendTarget): Promise<StorageCredential[]> {
    if (!this.vends()) {
      throw unsupported(
        "credential vending on S3 storage needs the store's STS: set " +
          'LAKEFORM_S3_STS_ROLE_ARN (and LAKEFORM_S3_STS_ENDPOINT)',
      );
    }
    const table = { catalog_name: t.w.catalog, database_name: t.namespace, table_name: t.name };
    const ask = (access: 'READ' | 'READ_WRITE') =>
      this.credentials.vend(p, p.projectId, t.w.instanceId, { table, access, duration_seconds: DURATION_SECONDS });
    let c: Awaited<ReturnType<typeof ask>>;
    try {
      c = await ask('READ_WRITE');
    } catch (err) {
      // No INSERT: the reader gets what it may have, never more; any other refusal repeats itself for READ.
      if (!(err instanceof ServiceError && err.kind === 'forbidden')) throw err;
      c = await ask('READ');
    }
    const config: Record<string, string> = {
      's3.access-key-id': c.access,
      's3.secret-access-key': c.secret,
      's3.session-token': c.security_token,
      's3.session-token-expires-at-ms': String(Date.parse(c.expires_at)),
    };
    if (this.storage.kind === 's3') {
      Object.assign(config, {
        's3.endpoint': this.storage.endpoint,
        's3.path-style-access': String(this.storage.pathStyle),
        'client.region': this.storage.region,
      });
    }
    return [{ prefix: t.location, config }];
  }

  /**
   * A LoadTableResult with credentials when they can be vended. A table that gets none (its
   * location holds another table's data, the storage cannot vend, its STS fails) still loads:
   * the engine may have its own access; the reason is logged and loadCredentials answers it.
   */
  async attach<R extends { config: Record<string, string> }>(
    p: Caller,
    t: VendTarget,
    result: R,
  ): Promise<R & { 'storage-credentials'?: StorageCredential[] }> {
    if (!this.vends()) return result; // said once at start, not on every load
    try {
      const credentials = await this.vend(p, t);
      const [first] = credentials;
      return { ...result, config: { ...result.config, ...first?.config }, 'storage-credentials': credentials };
    } catch (err) {
      // A refusal is expected (warn); anything else, an STS that failed, is the operator's to see (error).
      const expected = err instanceof ServiceError;
      this.log[expected ? 'warn' : 'error'](
        {
          user: p.userName,
          table: `${t.w.instanceId}/${t.w.catalog}.${t.namespace}.${t.name}`,
          ...(expected ? { reason: (err as Error).message } : { err }),
        },
        'no vended credentials for an Iceberg table load',
      );
      return result;
    }
  }
}
