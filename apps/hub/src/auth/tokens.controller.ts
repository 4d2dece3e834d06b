import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { addDays } from '../common/time.js';
import { parseBody } from '../common/validation.js';
import { PrismaService } from '../database/prisma.service.js';
import { EventsService } from '../events/events.service.js';
import { Allow } from './access.decorator.js';
import { CurrentPrincipal } from './principal.decorator.js';
import { type AgentPrincipal, type ApiPrincipal, actorOf } from './principal.js';
import { TokenService } from './token.service.js';

const createSchema = z.strictObject({
  name: z.string().min(1).max(100),
  role: z.enum(['admin', 'editor', 'viewer']),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});

@ApiTags('tokens')
@ApiBearerAuth()
@Controller('api/v1/tokens')
export class TokensController {
  constructor(
    private readonly tokens: TokenService,
    private readonly prisma: PrismaService,
    private readonly events: EventsService,
  ) {}

  @Post()
  @Allow('admin')
  @ApiOperation({ summary: 'Create an API token; the token is in this response only' })
  @ApiBody({ schema: z.toJSONSchema(createSchema) as object })
  async create(@Body() body: unknown, @CurrentPrincipal() principal: ApiPrincipal | AgentPrincipal): Promise<Record<string, unknown>> {
    const input = parseBody(createSchema, body);
    const created = await this.tokens.create(
      input.name,
      input.role,
      input.expiresInDays ? addDays(new Date(), input.expiresInDays) : undefined,
    );
    await this.events.record({
      actor: actorOf(principal),
      type: 'TokenCreated',
      subject: `token/${created.id}`,
      message: `${input.name} (${input.role})`,
    });
    return { id: created.id, name: input.name, role: input.role, token: created.token, expiresAt: created.expiresAt };
  }

  @Get()
  @Allow('admin')
  async list(): Promise<unknown[]> {
    return this.prisma.apiToken.findMany({
      orderBy: { createdAt: 'asc' },
      select: { id: true, name: true, role: true, createdAt: true, expiresAt: true, revokedAt: true, lastUsedAt: true },
    });
  }

  @Delete(':id')
  @Allow('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a token' })
  async revoke(@Param('id') id: string, @CurrentPrincipal() principal: ApiPrincipal | AgentPrincipal): Promise<void> {
    // Not a token id: nothing to revoke. (Passing `id: undefined` to Prisma drops the filter
    // and would revoke every token, the bootstrap admin included.)
    if (!z.uuid().safeParse(id).success) throw new NotFoundException(`token ${id} not found or already revoked`);
    const { count } = await this.prisma.apiToken.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (count === 0) throw new NotFoundException(`token ${id} not found or already revoked`);
    await this.events.record({ actor: actorOf(principal), type: 'TokenRevoked', subject: `token/${id}`, message: 'revoked' });
  }
}
