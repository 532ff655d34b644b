import { type CanActivate, type ExecutionContext, Inject, Injectable, SetMetadata, applyDecorators, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig, Problems } from '@app/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Actor, type Role } from './domain/roles.js';
import { IdentityService } from './identity.service.js';

const PUBLIC = Symbol('PUBLIC');
const ROLES = Symbol('ROLES');
const PLATFORM_ONLY = Symbol('PLATFORM_ONLY');

/** No credentials needed (health, metrics, docs, the sandbox's public RDAP). */
export const Public = () => applyDecorators(SetMetadata(PUBLIC, true), ApiSecurity({}));
/**
 * The route authenticates its caller itself, with a route guard that sets the request's actor
 * (the calendar feed also accepts a feed token in its query); this guard lets it through.
 */
export const OwnAuthentication = () => SetMetadata(PUBLIC, true);
/** Only these roles (the platform admin token passes every role check). */
export const Roles = (...roles: Role[]) => applyDecorators(SetMetadata(ROLES, roles), ApiBearerAuth());
/** Only actors of the platform organisation (the operator). */
export const PlatformOnly = () => SetMetadata(PLATFORM_ONLY, true);

export type AuthedRequest = FastifyRequest & { actor?: Actor };

/** The authenticated caller of this request. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const actor = ctx.switchToHttp().getRequest<AuthedRequest>().actor;
  if (!actor) throw Problems.unauthenticated();
  return actor;
});

/**
 * Every route requires a valid bearer token unless marked @Public (or @OwnAuthentication, whose
 * own guard does it). Unknown, malformed and revoked tokens get 401; a valid token without the
 * role or outside the platform gets 403.
 * Whether a row of another organisation exists is never told: services answer 404.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly identity: IdentityService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const actor = await this.identity.authenticate(req.headers.authorization, this.config.platformAdminToken);
    if (!actor) {
      void ctx.switchToHttp().getResponse<FastifyReply>().header('www-authenticate', 'Bearer');
      throw Problems.unauthenticated();
    }
    req.actor = actor;
    if (this.reflector.getAllAndOverride<boolean>(PLATFORM_ONLY, targets) && !actor.isPlatform) {
      throw Problems.forbidden('Only the platform operator may do this');
    }
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    if (roles && actor.kind !== 'platform_admin_token' && !roles.includes(actor.role)) {
      throw Problems.forbidden(`This needs the role ${roles.join(' or ')}; the key has the role ${actor.role}`);
    }
    return true;
  }
}
