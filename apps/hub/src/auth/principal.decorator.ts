import { createParamDecorator, type ExecutionContext, InternalServerErrorException } from '@nestjs/common';
import type { AuthenticatedRequest } from './auth.guard.js';
import type { AgentPrincipal, ApiPrincipal } from './principal.js';

/** The caller the guard authenticated. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): ApiPrincipal | AgentPrincipal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new InternalServerErrorException('no authenticated principal');
  return principal;
});

export const CurrentAgent = createParamDecorator((_data: unknown, context: ExecutionContext): AgentPrincipal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (principal?.kind !== 'agent') throw new InternalServerErrorException('no authenticated agent');
  return principal;
});
