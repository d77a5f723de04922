import * as repo from '../../store/console/agency-repository.js';
import type { Store } from '../../store/store.js';
import { nowIso } from '../../store/store.js';
import { Authorizer } from '../authz/authorizer.js';
import { forbidden, notFound, unlessDuplicate } from '../errors.js';
import type { AccessKeyService } from '../iam/access-key-service.js';
import type { Principal } from '../iam/principal.js';

export const AGENCY_TYPES = ['JOB_TRUST', 'ADMIN_TRUST'] as const;
const AGENCY_NAMES: Record<string, string> = { JOB_TRUST: 'lakeform_job_trust', ADMIN_TRUST: 'lakeform_admin_trust' };
/** How long a table-service credential lives: long enough for a query, short enough to leak little. */
const TABLE_SERVICE_SECONDS = 900;

/**
 * Agencies: the account's delegation of rights to the service (jobs act through JOB_TRUST,
 * administration through ADMIN_TRUST). One of each type per account (domain).
 */
export class AgencyService {
  constructor(
    private readonly store: Store,
    private readonly accessKeys: AccessKeyService,
  ) {
    this.authz = new Authorizer(store);
  }

  private readonly authz: Authorizer;

  async create(caller: Principal, type: string): Promise<{ agency_type: string }> {
    await this.authz.check(caller, 'agency.create', { kind: 'domain' });
    const row = {
      domain_id: caller.domainId,
      agency_type: type,
      name: AGENCY_NAMES[type] ?? type.toLowerCase(),
      created_by: caller.userName,
      created_at: nowIso(),
    };
    await unlessDuplicate(`an agency of type ${type} already exists`, () =>
      this.store.transaction((trx) => repo.insertAgency(trx, row)),
    );
    return { agency_type: type };
  }

  async show(caller: Principal, type: string): Promise<{ agency_type: string }> {
    await this.authz.check(caller, 'agency.show', { kind: 'domain' });
    const row = await repo.findAgency(this.store.db, caller.domainId, type);
    if (!row) throw notFound(`no agency of type ${type} exists; CreateAgency makes one`);
    return { agency_type: row.agency_type };
  }

  async delete(caller: Principal, type: string): Promise<void> {
    await this.authz.check(caller, 'agency.drop', { kind: 'domain' });
    if (!(await repo.deleteAgency(this.store.db, caller.domainId, type)))
      throw notFound(`no agency of type ${type} exists`);
  }

  /**
   * A short-lived credential of the table service: a temporary AK/SK and security token of
   * this server's identity service, carrying the administrator's project scope and expiring
   * with it. Only administrators receive one; nothing long-lived leaves the server.
   */
  async tableServiceCredential(caller: Principal) {
    await this.authz.check(caller, 'agency.credential', { kind: 'domain' });
    if (caller.via !== 'token')
      throw forbidden('the table service credential is issued against a token: authenticate with X-Auth-Token');
    const issued = new Date();
    const t = await this.accessKeys.createTemporary(caller, TABLE_SERVICE_SECONDS);
    return {
      agency_name: 'lakeform_table_service',
      agency_type: 'TABLE_SERVICE_TRUST',
      access: t.access,
      secret: t.secret,
      security_token: t.securitytoken,
      issued_at: issued.toISOString(),
      expires_at: t.expires_at,
    };
  }
}
