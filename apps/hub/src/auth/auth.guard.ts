import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ACCESS_KEY, type Access } from './access.decorator.js';
import { type AgentPrincipal, type ApiPrincipal, hasRole } from './principal.js';
import { TokenService } from './token.service.js';

export type AuthenticatedRequest = Request & { principal?: ApiPrincipal | AgentPrincipal };

/**
 * The one guard of the hub, on every route: a route without an access rule is refused,
 * admin routes need an API token of a strong enough role, agent routes an agent credential.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_KEY, [context.getHandler(), context.getClass()]);
    if (access === 'public') return true;
    if (access === undefined) throw new ForbiddenException('route has no access rule');
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request);
    if (!token) throw new UnauthorizedException('missing bearer token');
    if (access === 'agent') {
      const agent = await this.tokens.verifyAgentCredential(token);
      if (!agent) throw new UnauthorizedException('invalid agent credential');
      request.principal = agent;
      return true;
    }
    const principal = await this.tokens.verifyApiToken(token);
    if (!principal) {
      // A valid agent credential is known but not allowed here: 403, not 401.
      if (await this.tokens.verifyAgentCredential(token)) throw new ForbiddenException('agent credentials cannot use the admin API');
      throw new UnauthorizedException('invalid, expired or revoked token');
    }
    if (!hasRole(principal, access)) throw new ForbiddenException(`requires role ${access}; token has ${principal.role}`);
    request.principal = principal;
    return true;
  }
}

function bearerToken(request: Request): string | undefined {
  const header = request.headers.authorization;
  if (!header?.startsWith('Bearer ')) return undefined;
  return header.slice('Bearer '.length).trim() || undefined;
}
