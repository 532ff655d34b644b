import { Injectable } from '@nestjs/common';
import { Clock, type Page, type PageQuery, ProblemError, Problems, Transactions, decodeCursor, sqlState, toPage, timeIdCursor } from '@app/platform';
import { DataSource, IsNull } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity.js';
import { AuditLog } from './audit/audit.service.js';
import { bearerToken, generateApiKey, hashApiKey, looksLikeApiKey, secretsEqual } from './domain/api-key.js';
import { type Actor, type Role, auditActor, canSeeOrg } from './domain/roles.js';
import { OrganisationEntity } from './organisation.entity.js';

export interface OrganisationView {
  id: string;
  name: string;
  kind: 'platform' | 'member';
  createdAt: string;
}

export interface ApiKeyView {
  id: string;
  orgId: string;
  role: Role;
  label: string;
  keyPrefix: string;
  createdAt: string;
  revokedAt: string | null;
}

/** Shown once, at creation. */
export interface IssuedApiKey extends ApiKeyView {
  apiKey: string;
}


/** Organisations, API keys and who a bearer token is. */
@Injectable()
export class IdentityService {
  private platformOrgId?: string;

  constructor(
    private readonly db: DataSource,
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {}

  /** Resolves a bearer token to an actor, or null (unknown, malformed or revoked). */
  async authenticate(authorization: string | string[] | undefined, platformAdminToken: string): Promise<Actor | null> {
    const token = bearerToken(authorization);
    if (!token) return null;
    if (secretsEqual(token, platformAdminToken)) {
      const orgId = await this.platformOrg();
      return { kind: 'platform_admin_token', orgId, role: 'admin', keyId: null, isPlatform: true, idempotencyScope: 'platform-admin-token' };
    }
    if (!looksLikeApiKey(token)) return null;
    const rows: { id: string; org_id: string; role: Role; kind: string }[] = await this.db.query(
      `SELECT k.id, k.org_id, k.role, o.kind FROM api_keys k JOIN organisations o ON o.id = k.org_id
        WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
      [hashApiKey(token)],
    );
    const k = rows[0];
    if (!k) return null;
    return { kind: 'api_key', orgId: k.org_id, role: k.role, keyId: k.id, isPlatform: k.kind === 'platform', idempotencyScope: k.org_id };
  }

  async platformOrg(): Promise<string> {
    if (!this.platformOrgId) {
      const org = await this.db.getRepository(OrganisationEntity).findOneByOrFail({ kind: 'platform' });
      this.platformOrgId = org.id;
    }
    return this.platformOrgId;
  }

  async createOrganisation(actor: Actor, name: string, requestId?: string): Promise<{ org: OrganisationView; key: IssuedApiKey }> {
    return this.tx.tx(async (em) => {
      const now = await this.clock.now();
      const org = em.getRepository(OrganisationEntity).create({ name, kind: 'member', createdAt: now });
      try {
        await em.getRepository(OrganisationEntity).insert(org);
      } catch (err) {
        if (sqlState(err) === '23505') {
          throw new ProblemError(409, 'ORG.NAME_TAKEN', 'Organisation name taken', `An organisation named "${name}" already exists`);
        }
        throw err;
      }
      await this.audit.record(actor, { action: 'org.created', orgId: org.id, subject: { type: 'organisation', id: org.id }, details: { name }, requestId });
      const key = await this.issueKey(actor, org.id, 'admin', 'first admin key', requestId);
      return { org: toOrgView(org), key };
    });
  }

  async listOrganisations(page: PageQuery): Promise<Page<OrganisationView>> {
    const after = page.cursor ? decodeCursor(page.cursor, timeIdCursor) : null;
    const rows: { id: string; name: string; kind: 'platform' | 'member'; created_at: Date }[] = await this.db.query(
      `SELECT id, name, kind, created_at FROM organisations
        WHERE $1::timestamptz IS NULL OR (created_at, id) > ($1::timestamptz, $2::uuid)
        ORDER BY created_at, id LIMIT $3`,
      [after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
    );
    return toPage(rows, page.limit, (r) => [r.created_at.toISOString(), r.id], (r) => toOrgView({ ...r, createdAt: r.created_at }));
  }

  /** An organisation's name, for documents that name it (a registry sub-assignment's customer). */
  async organisationName(id: string): Promise<string | null> {
    const rows: { name: string }[] = await this.db.query('SELECT name FROM organisations WHERE id = $1', [id]);
    return rows[0]?.name ?? null;
  }

  async getOrganisation(actor: Actor, id: string): Promise<OrganisationView> {
    const org = canSeeOrg(actor, id) ? await this.db.getRepository(OrganisationEntity).findOneBy({ id }) : null;
    if (!org) throw Problems.notFound('The organisation', 'ORG.NOT_FOUND');
    return toOrgView(org);
  }

  /** A new key for `orgId`; the caller has already been checked as that organisation's admin or the platform's. */
  async createApiKey(actor: Actor, orgId: string, role: Role, label: string, requestId?: string): Promise<IssuedApiKey> {
    return this.tx.tx(async () => {
      if (!canSeeOrg(actor, orgId)) throw Problems.notFound('The organisation', 'ORG.NOT_FOUND');
      const org = await this.tx.manager().getRepository(OrganisationEntity).findOneBy({ id: orgId });
      if (!org) throw Problems.notFound('The organisation', 'ORG.NOT_FOUND');
      return this.issueKey(actor, orgId, role, label, requestId);
    });
  }

  async listApiKeys(actor: Actor, orgId: string, page: PageQuery): Promise<Page<ApiKeyView>> {
    if (!canSeeOrg(actor, orgId) || !(await this.db.getRepository(OrganisationEntity).existsBy({ id: orgId }))) {
      throw Problems.notFound('The organisation', 'ORG.NOT_FOUND');
    }
    const after = page.cursor ? decodeCursor(page.cursor, timeIdCursor) : null;
    const rows: ApiKeyEntity[] = await this.db
      .getRepository(ApiKeyEntity)
      .createQueryBuilder('k')
      .where('k.org_id = :orgId', { orgId })
      .andWhere(after ? '(k.created_at, k.id) > (:at::timestamptz, :id::uuid)' : 'true', after ? { at: after[0], id: after[1] } : {})
      .orderBy('k.created_at', 'ASC')
      .addOrderBy('k.id', 'ASC')
      .limit(page.limit + 1)
      .getMany();
    return toPage(rows, page.limit, (k) => [k.createdAt.toISOString(), k.id], toKeyView);
  }

  /** Revokes a key of the actor's organisation (any organisation for the platform). Revoking twice is fine. */
  async revokeApiKey(actor: Actor, keyId: string, requestId?: string): Promise<void> {
    await this.tx.tx(async (em) => {
      const repo = em.getRepository(ApiKeyEntity);
      const key = await repo.findOne({ where: { id: keyId }, lock: { mode: 'pessimistic_write' } });
      if (!key || !canSeeOrg(actor, key.orgId)) throw Problems.notFound('The API key', 'API_KEY.NOT_FOUND');
      if (key.revokedAt) return;
      await repo.update({ id: keyId, revokedAt: IsNull() }, { revokedAt: await this.clock.now() });
      await this.audit.record(actor, {
        action: 'api_key.revoked',
        orgId: key.orgId,
        subject: { type: 'api_key', id: keyId },
        details: { role: key.role, label: key.label },
        requestId,
      });
    });
  }

  private async issueKey(actor: Actor, orgId: string, role: Role, label: string, requestId?: string): Promise<IssuedApiKey> {
    const em = this.tx.manager();
    const generated = generateApiKey();
    const entity = em.getRepository(ApiKeyEntity).create({
      orgId,
      role,
      label,
      keyHash: generated.hash,
      keyPrefix: generated.displayPrefix,
      createdBy: auditActor(actor).id,
      createdAt: await this.clock.now(),
      revokedAt: null,
    });
    await em.getRepository(ApiKeyEntity).insert(entity);
    await this.audit.record(actor, { action: 'api_key.created', orgId, subject: { type: 'api_key', id: entity.id }, details: { role, label }, requestId });
    return { ...toKeyView(entity), apiKey: generated.secret };
  }
}


function toOrgView(o: Pick<OrganisationEntity, 'id' | 'name' | 'kind' | 'createdAt'>): OrganisationView {
  return { id: o.id, name: o.name, kind: o.kind, createdAt: o.createdAt.toISOString() };
}

function toKeyView(k: ApiKeyEntity): ApiKeyView {
  return {
    id: k.id,
    orgId: k.orgId,
    role: k.role,
    label: k.label,
    keyPrefix: k.keyPrefix,
    createdAt: k.createdAt.toISOString(),
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}
