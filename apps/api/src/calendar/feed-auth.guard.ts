import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { type Actor, type AuthedRequest, IdentityService } from '@app/identity';
import { APP_CONFIG, type AppConfig, Problems } from '@app/platform';
import type { FastifyReply } from 'fastify';
import { CalendarFeedTokens } from '@app/deadlines';

/**
 * The calendar feed's authentication (with @OwnAuthentication, which makes the global guard
 * step aside): the usual bearer header, or, for calendar apps that cannot send one, the
 * organisation's feed token as `?token=`. A header, when present, decides alone: a bad header
 * is 401 even with a good token. A feed token reads as a viewer of its organisation.
 */
@Injectable()
export class CalendarFeedAuthGuard implements CanActivate {
  constructor(
    private readonly identity: IdentityService,
    private readonly tokens: CalendarFeedTokens,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const token = (req.query as Record<string, unknown> | undefined)?.token;
    const actor =
      req.headers.authorization !== undefined || token === undefined
        ? await this.identity.authenticate(req.headers.authorization, this.config.platformAdminToken)
        : await this.feedActor(token);
    if (!actor) {
      void ctx.switchToHttp().getResponse<FastifyReply>().header('www-authenticate', 'Bearer');
      throw Problems.unauthenticated('A valid API key, the platform admin token or a live calendar feed token (?token=) is required');
    }
    req.actor = actor;
    return true;
  }

  private async feedActor(token: unknown): Promise<Actor | null> {
    const orgId = typeof token === 'string' ? await this.tokens.orgFor(token) : null;
    if (!orgId) return null;
    // No API key stands behind a feed token (keyId null); the actor only ever reads deadlines.
    // The platform's own token sees every organisation's, as the platform's keys do.
    const isPlatform = orgId === (await this.identity.platformOrg());
    return { kind: 'api_key', orgId, role: 'viewer', keyId: null, isPlatform, idempotencyScope: orgId };
  }
}
