import { hasAgency } from '../../store/console/agency-repository.js';
import * as repo from '../../store/console/service-authorization-repository.js';
import type { Store } from '../../store/store.js';
import { nowIso } from '../../store/store.js';
import { Authorizer } from '../authz/authorizer.js';
import { forbidden, invalid } from '../errors.js';
import type { Principal } from '../iam/principal.js';

/** An agreement users of a project sign before using the service, with where to read it. */
export interface AgreementRule {
  agreement_name: string;
  agreement_version: string;
  agreement_display_name: string;
  agreement_url: string;
}

/** The agreements this server asks for: its licence, at the address configuration gives. */
export function agreementRules(url: string): AgreementRule[] {
  return [
    {
      agreement_name: 'lakeformation_service',
      agreement_version: 'v1',
      agreement_display_name: 'lakeform service terms (Apache License 2.0)',
      agreement_url: url,
    },
  ];
}

function projectOf(caller: Principal): string {
  if (!caller.projectId) throw invalid('agreements belong to a project: use a project-scoped credential');
  return caller.projectId;
}

/** Agreements signed per project, and the services a project lets act on its data. */
export class ServiceAuthorizationService {
  private readonly authz: Authorizer;

  constructor(
    private readonly store: Store,
    private readonly rules: AgreementRule[],
  ) {
    this.authz = new Authorizer(store);
  }

  async showRules(caller: Principal, projectId: string): Promise<{ agreement_rules: AgreementRule[] }> {
    await this.authz.check(caller, 'agreement.show', { kind: 'project', projectId });
    return { agreement_rules: this.rules };
  }

  /** Signs each agreement at the version the rules give; an unknown name or version is refused whole. */
  async sign(caller: Principal, agreements: { agreement_name?: string; agreement_version?: string }[]): Promise<void> {
    const projectId = projectOf(caller);
    await this.authz.check(caller, 'agreement.sign', { kind: 'project', projectId });
    for (const a of agreements) {
      const rule = this.rules.find((r) => r.agreement_name === a.agreement_name);
      if (!rule)
        throw invalid(`there is no agreement named ${a.agreement_name ?? '(none)'}; ShowAgreementRule lists them`);
      if (a.agreement_version !== undefined && a.agreement_version !== rule.agreement_version) {
        throw invalid(
          `agreement ${rule.agreement_name} is at version ${rule.agreement_version}, not ${a.agreement_version}`,
        );
      }
    }
    const now = nowIso();
    await this.store.transaction(async (trx) => {
      for (const a of agreements) {
        const rule = this.rules.find((r) => r.agreement_name === a.agreement_name) as AgreementRule;
        await repo.upsertAgreement(trx, {
          project_id: projectId,
          name: rule.agreement_name,
          version: rule.agreement_version,
          signed_by: caller.userName,
          signed_at: now,
        });
      }
    });
  }

  async show(caller: Principal) {
    const projectId = projectOf(caller);
    await this.authz.check(caller, 'agreement.show', { kind: 'project', projectId });
    const rows = await repo.listAgreements(this.store.db, projectId);
    return {
      agreements: rows.map((r) => ({ agreement_name: r.name, agreement_version: r.version })),
      is_agency: await hasAgency(this.store.db, caller.domainId),
    };
  }

  /** Withdraws every agreement of the project. */
  async withdraw(caller: Principal): Promise<void> {
    const projectId = projectOf(caller);
    await this.authz.check(caller, 'agreement.withdraw', { kind: 'project', projectId });
    await repo.deleteAgreements(this.store.db, projectId);
  }

  /** Refuses work in a project that has not signed every agreement the rules ask for. */
  async admit(projectId: string): Promise<void> {
    const signed = await repo.listAgreements(this.store.db, projectId);
    const missing = this.rules.filter(
      (r) => !signed.some((s) => s.name === r.agreement_name && s.version === r.agreement_version),
    );
    if (missing.length) {
      throw forbidden(
        `the project has not signed ` +
          `${missing.map((r) => `${r.agreement_name} ${r.agreement_version}`).join(', ')}: ` +
          `sign with CreateAgreement first (ShowAgreementRule lists the ` +
          `terms)`,
        'lakeformation.00010004',
      );
    }
  }

  async authorizeAccessServices(
    caller: Principal,
    projectId: string,
    services: { name: string; grant?: boolean; description?: string }[],
  ): Promise<void> {
    await this.authz.check(caller, 'access-service.authorize', { kind: 'project', projectId });
    const names = new Set<string>();
    for (const s of services) {
      if (!/^[A-Za-z0-9_-]{1,20}$/.test(s.name))
        throw invalid(`access service name ${JSON.stringify(s.name)} must be 1 to 20 letters, digits, '_' or '-'`);
      if (names.has(s.name.toUpperCase())) throw invalid(`access service ${s.name} appears twice`);
      names.add(s.name.toUpperCase());
    }
    const now = nowIso();
    await this.store.transaction(async (trx) => {
      for (const s of services) {
        await repo.upsertAccessService(trx, {
          project_id: projectId,
          name: s.name.toUpperCase(),
          granted: s.grant === false ? 0 : 1,
          description: s.description ?? '',
          updated_at: now,
        });
      }
    });
  }

  async showAccessServices(caller: Principal, projectId: string) {
    await this.authz.check(caller, 'access-service.show', { kind: 'project', projectId });
    const rows = await repo.listAccessServices(this.store.db, projectId);
    return { access_services: rows.map((r) => ({ name: r.name, grant: r.granted === 1, description: r.description })) };
  }
}
